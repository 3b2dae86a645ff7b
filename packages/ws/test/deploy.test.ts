// Ws where people deploy it: a listener attached to the application's own http.Server (its HTTP
// routes keep working, other paths stay with other upgrade handlers), subprotocols offered and
// chosen, and text frames sent and told apart from binary ones. All on real sockets; the https
// case with certificates made by openssl at test time.
import { createServer, request, type Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  InvalidAddressError,
  InvalidOptionError,
  ListenError,
  SendStatus,
  UnsupportedError,
  type MessageEvent,
  type NodeEvent,
  type NodeHandler,
  type PeerCertificate,
} from '@message-io/core';
import { FramedTcp } from '@message-io/tcp';
import { Ws } from '@message-io/ws';
import { skipWithout } from '../../../test/support/peers.js';
import { usePki } from '../../../test/support/pki.js';
import { testNode, until, type TestNode } from './support.js';

const nodes: TestNode[] = [];
const servers: (Server | HttpsServer)[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) n.handler.stop();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function node(onEvent?: (event: NodeEvent<never>, handler: NodeHandler<never>) => void): TestNode {
  const n = testNode(onEvent);
  nodes.push(n);
  return n;
}

const echo = (event: NodeEvent<never>, handler: NodeHandler<never>): void => {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
};

/** An application's HTTP server with one route, `GET /health`, listening on 127.0.0.1. */
async function appServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === '/health') res.end('ok');
    else res.writeHead(404).end('no such route');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Status and body of a plain HTTP GET. */
function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const messages = (events: readonly NodeEvent<never>[]): MessageEvent[] => events.filter((e): e is MessageEvent => e.type === 'message');
const decode = (data: Uint8Array): string => new TextDecoder().decode(data);

describe('Ws attached to an existing http.Server', () => {
  it('shares the port with the HTTP routes: WebSocket on its path, the routes unchanged', async () => {
    const { server, port } = await appServer();
    const listener = node(echo);
    const { addr } = await listener.handler.network().listen(Ws, `127.0.0.1:${port}`, { server, path: '/ws' });
    expect(addr).toBe(`127.0.0.1:${port}`);
    expect(await get(port, '/health')).toEqual({ status: 200, body: 'ok' });

    const client = node();
    const endpoint = await client.handler.network().connectAndWait(Ws, `ws://127.0.0.1:${port}/ws`);
    expect(client.handler.network().send(endpoint, new TextEncoder().encode('through the app server'))).toBe(SendStatus.Sent);
    await until(() => messages(client.events).length === 1, { what: 'the echo' });
    expect(decode(messages(client.events)[0]!.data)).toBe('through the app server');
    expect(await get(port, '/health')).toEqual({ status: 200, body: 'ok' });
    expect(await get(port, '/other')).toEqual({ status: 404, body: 'no such route' });
  });

  it('leaves other paths to the server’s other upgrade handlers, and answers 404 when there are none', async () => {
    const { server, port } = await appServer();
    const listener = node(echo);
    await listener.handler.network().listen(Ws, `127.0.0.1:0`, { server, path: '/ws' });
    const client = node();
    const refused = client.handler.network().connect(Ws, `ws://127.0.0.1:${port}/elsewhere`);
    await until(() => client.events.some((e) => e.type === 'connected'), { what: 'the refused client' });
    const failed = client.events.find((e) => e.type === 'connected' && e.endpoint === refused);
    expect(failed).toMatchObject({ ok: false });
    expect((failed as { error: Error }).error.message).toMatch(/404/);

    // Another WebSocket server of the application, on /other, beside ours.
    const other = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      if (req.url === '/other') other.handleUpgrade(req, socket, head, (ws) => ws.send('from the other handler'));
    });
    const got = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/other`);
      ws.on('message', (data) => {
        resolve(String(data));
        ws.close();
      });
      ws.on('error', reject);
    });
    expect(got).toBe('from the other handler');
    other.close();
    expect(listener.events).toEqual([]);
  });

  it('remove() detaches the listener and leaves the server serving HTTP; connections it accepted stay', async () => {
    const { server, port } = await appServer();
    const listener = node(echo);
    const { id } = await listener.handler.network().listen(Ws, `127.0.0.1:${port}`, { server, path: '/ws' });
    const client = node();
    const kept = await client.handler.network().connectAndWait(Ws, `ws://127.0.0.1:${port}/ws`);
    expect(server.listenerCount('upgrade')).toBe(1);
    expect(listener.handler.network().remove(id)).toBe(true);
    expect(server.listenerCount('upgrade')).toBe(0);
    expect(server.listening).toBe(true);
    expect(await get(port, '/health')).toEqual({ status: 200, body: 'ok' });
    client.handler.network().send(kept, new TextEncoder().encode('still up'));
    await until(() => messages(client.events).length === 1, { what: 'an echo on the connection accepted before remove' });
  });

  it('refuses a server that is not listening, another port, TLS options beside it, and a value that is not a server', async () => {
    const listener = node();
    const idle = createServer();
    await expect(listener.handler.network().listen(Ws, '127.0.0.1:0', { server: idle })).rejects.toBeInstanceOf(ListenError);
    const { server, port } = await appServer();
    const wrong = listener.handler.network().listen(Ws, `127.0.0.1:${port === 65535 ? 1 : port + 1}`, { server });
    await expect(wrong).rejects.toBeInstanceOf(InvalidAddressError);
    await expect(listener.handler.network().listen(Ws, '127.0.0.1:0', { server, cert: 'x', key: 'y' })).rejects.toThrow(/TLS is set on the https.Server/);
    await expect(listener.handler.network().listen(Ws, '127.0.0.1:0', { server: {} as Server })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe('Ws subprotocols', () => {
  it('the listener chooses among those the client offers; both ends see the choice', async () => {
    const offeredSeen: string[][] = [];
    const listener = node(echo);
    const { addr } = await listener.handler.network().listen(Ws, '127.0.0.1:0', {
      selectProtocol: (offered, handshake) => {
        offeredSeen.push([...offered]);
        expect(handshake.path).toBe('/');
        return offered.includes('chat.v1') ? 'chat.v1' : undefined;
      },
    });
    const client = node();
    const endpoint = await client.handler.network().connectAndWait(Ws, `ws://${addr}/`, { protocols: ['chat.v2', 'chat.v1'] });
    expect(offeredSeen).toEqual([['chat.v2', 'chat.v1']]);
    expect(client.handler.network().protocol(endpoint)).toBe('chat.v1');
    await until(() => listener.events.some((e) => e.type === 'accepted'), { what: 'accepted' });
    const accepted = listener.events.find((e) => e.type === 'accepted')!;
    expect(listener.handler.network().protocol(accepted.endpoint)).toBe('chat.v1');
  });

  it('none offered or none chosen: no protocol; a ws client that offered some and got none fails', async () => {
    const listener = node(echo);
    const { addr } = await listener.handler.network().listen(Ws, '127.0.0.1:0', {
      selectProtocol: () => {
        throw new Error('a broken hook chooses nothing');
      },
    });
    const client = node();
    const plain = await client.handler.network().connectAndWait(Ws, `ws://${addr}/`);
    expect(client.handler.network().protocol(plain)).toBeUndefined();
    await expect(client.handler.network().connectAndWait(Ws, `ws://${addr}/`, { protocols: ['chat.v1'] })).rejects.toThrow(/subprotocol/i);
  });

  it('refuses protocols that are not distinct tokens', () => {
    const client = node();
    for (const protocols of [['a b'], ['x', 'x'], 'chat', [1]]) {
      expect(() => client.handler.network().connect(Ws, 'ws://127.0.0.1:1/', { protocols } as never)).toThrow(InvalidOptionError);
    }
  });
});

describe('Ws text frames', () => {
  it('sendText sends a text frame, received with text: true; send stays binary', async () => {
    const listener = node((event, handler) => {
      if (event.type !== 'message') return;
      if (event.text === true) handler.network().sendText(event.endpoint, `${decode(event.data)} back`);
      else handler.network().send(event.endpoint, event.data);
    });
    const { addr } = await listener.handler.network().listen(Ws, '127.0.0.1:0');
    const client = node();
    const endpoint = await client.handler.network().connectAndWait(Ws, `ws://${addr}/`);
    const net = client.handler.network();
    // Binary, text, binary in one turn: they keep their order.
    expect(net.send(endpoint, new TextEncoder().encode('one'))).toBe(SendStatus.Sent);
    expect(net.sendText(endpoint, 'héllo ✓ 𝄞')).toBe(SendStatus.Sent);
    expect(net.send(endpoint, new TextEncoder().encode('three'))).toBe(SendStatus.Sent);
    await until(() => messages(client.events).length === 3, { what: 'three echoes' });
    const got = messages(client.events).map((e) => [decode(e.data), e.text]);
    expect(got).toEqual([
      ['one', undefined],
      ['héllo ✓ 𝄞 back', true],
      ['three', undefined],
    ]);
    const received = messages(listener.events);
    expect(received.map((e) => e.text)).toEqual([undefined, true, undefined]);
  });

  it('talks text with a plain ws peer, fragments text past maxFrameSize, and checks the UTF-8 size', async () => {
    const peer = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const heard: { data: string; binary: boolean }[] = [];
    peer.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => heard.push({ data: String(data), binary: isBinary }));
      ws.send('a string from ws');
    });
    await new Promise((resolve) => peer.once('listening', resolve));
    try {
      const client = node();
      const url = `ws://127.0.0.1:${(peer.address() as AddressInfo).port}/`;
      const endpoint = await client.handler.network().connectAndWait(Ws, url, { maxFrameSize: 1024, maxMessageSize: 4000 });
      await until(() => messages(client.events).length === 1, { what: 'the string from ws' });
      expect(messages(client.events)[0]).toMatchObject({ text: true });
      expect(decode(messages(client.events)[0]!.data)).toBe('a string from ws');
      const long = 'ü'.repeat(1500); // 3000 bytes: three frames of at most 1024
      expect(client.handler.network().sendText(endpoint, long)).toBe(SendStatus.Sent);
      expect(client.handler.network().sendText(endpoint, 'é'.repeat(2001))).toBe(SendStatus.MaxPacketSizeExceeded);
      expect(client.handler.network().sendText(endpoint, 'e'.repeat(2001))).toBe(SendStatus.Sent);
      await until(() => heard.length === 2, { what: 'the texts at the ws peer' });
      expect(heard).toEqual([
        { data: long, binary: false },
        { data: 'e'.repeat(2001), binary: false },
      ]);
    } finally {
      peer.close();
    }
  });

  it('sendText on a transport without text throws UnsupportedError; a non-string throws', async () => {
    const listener = node();
    const { addr } = await listener.handler.network().listen(FramedTcp, '127.0.0.1:0');
    const client = node();
    const endpoint = await client.handler.network().connectAndWait(FramedTcp, addr);
    expect(() => client.handler.network().sendText(endpoint, 'x')).toThrow(UnsupportedError);
    expect(() => client.handler.network().sendText(endpoint, 42 as never)).toThrow(/string/);
  });
});

describe.skipIf(skipWithout('openssl'))('Ws attached to an https.Server', () => {
  const pki = usePki();

  it('speaks wss on the server’s port beside its HTTPS routes, and sees the verified client certificate', async () => {
    const server = createHttpsServer({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca, requestCert: true, rejectUnauthorized: false }, (_req, res) =>
      res.end('secure route'),
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;

    const certificates: (PeerCertificate | undefined)[] = [];
    const listener = node((event, handler) => {
      if (event.type === 'message') handler.network().send(event.endpoint, event.data);
    });
    await listener.handler.network().listen(Ws, `127.0.0.1:${port}`, {
      server,
      path: '/ws',
      authenticate: (handshake) => {
        certificates.push(handshake.peerCertificate);
        return handshake.secure && handshake.peerCertificate !== undefined;
      },
    });

    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/', ca: pki.ca, servername: 'localhost' }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('secure route');

    const client = node();
    const url = `wss://localhost:${port}/ws`;
    const endpoint = await client.handler.network().connectAndWait(Ws, url, { ca: pki.ca, cert: pki.client.cert, key: pki.client.key });
    client.handler.network().send(endpoint, new TextEncoder().encode('over wss'));
    await until(() => client.events.some((e) => e.type === 'message'), { what: 'the echo over wss' });
    expect(certificates).toHaveLength(1);
    expect(certificates[0]?.subject.CN).toBe('client-1');
    const accepted = listener.events.find((e) => e.type === 'accepted')!;
    expect(listener.handler.network().peerCertificate(accepted.endpoint)?.subject.CN).toBe('client-1');

    // Without a client certificate the server's rejectUnauthorized: false lets TLS through, and
    // the hook refuses the upgrade with 401.
    const anonymous = client.handler.network().connectAndWait(Ws, url, { ca: pki.ca });
    await expect(anonymous).rejects.toThrow(/401/);
  });
});
