// Handshakes a Ws listener turns away, on real sockets: each one answered as before (the HTTP
// status a client sees), published on the message-io:refuse diagnostics channel with its reason and
// the peer's address, and counted in network().stats(), for the node and for the listener. And a
// listener that stops by itself (its application server closed): message-io:error says so.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DIAGNOSTICS_CHANNELS, ListenerClosedError, type NodeHandler, type ResourceId } from '@message-io/core';
import { Ws, type WsListenOptions } from '@message-io/ws';
import { skipWithout } from '../../../test/support/peers.js';
import { usePki } from '../../../test/support/pki.js';
import { rawPeer, status, upgradeRequest, type RawPeer } from './raw.js';
import { testNode, until, type TestNode } from './support.js';

const refusals: Record<string, unknown>[] = [];
const onRefuse = (message: unknown): void => void refusals.push(message as Record<string, unknown>);
subscribe(DIAGNOSTICS_CHANNELS.refuse, onRefuse);
const failures: Record<string, unknown>[] = [];
const onError = (message: unknown): void => void failures.push(message as Record<string, unknown>);
subscribe(DIAGNOSTICS_CHANNELS.error, onError);
afterAll(() => {
  unsubscribe(DIAGNOSTICS_CHANNELS.refuse, onRefuse);
  unsubscribe(DIAGNOSTICS_CHANNELS.error, onError);
});

const nodes: TestNode[] = [];
const peers: RawPeer[] = [];
const clients: WebSocket[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.terminate();
  for (const p of peers.splice(0)) p.socket.destroy();
  for (const n of nodes.splice(0)) n.handler.stop();
  refusals.splice(0);
  failures.splice(0);
});

async function listener(options: WsListenOptions): Promise<{ handler: NodeHandler<never>; id: ResourceId; port: number }> {
  const server = testNode();
  nodes.push(server);
  const { id, addr } = await server.handler.network().listen(Ws, '127.0.0.1:0', options);
  return { handler: server.handler, id, port: Number(addr.slice(addr.lastIndexOf(':') + 1)) };
}

/** The local port of each raw client, kept when it connects (Node forgets it once the socket closes). */
const ports = new WeakMap<RawPeer, number>();

/** A raw client connection to the listener on `port`, sending `request` at once if given. */
function raw(port: number, request?: string): RawPeer {
  const peer = rawPeer('127.0.0.1', port, request);
  peer.socket.once('connect', () => ports.set(peer, peer.socket.localPort!));
  peers.push(peer);
  return peer;
}

/** Sends `request` on a raw connection and waits for the HTTP status of the answer. */
async function answer(port: number, request: string): Promise<{ status: number | undefined; peer: RawPeer }> {
  const peer = raw(port, request);
  await until(() => peer.head !== undefined || peer.closed, { timeout: 3000, what: 'the answer to the request' });
  return { status: status(peer.head), peer };
}

/** The peer address a refusal names, as the server saw the raw client. */
function addrOf(peer: RawPeer): string {
  return `127.0.0.1:${ports.get(peer)}`;
}

describe('Ws: refused handshakes are published and counted', () => {
  it('a path not served (404), an Origin not allowed (403), authenticate saying no (401) or failing (500)', async () => {
    const { handler, id, port } = await listener({
      path: '/chat',
      origins: ['https://app.example'],
      authenticate: (handshake) => {
        if (handshake.headers['x-token'] === 'throw') throw new Error('the hook failed');
        return handshake.headers['x-token'] === 'good';
      },
    });
    const origin = 'Origin: https://app.example';
    const cases = [
      { request: upgradeRequest('/elsewhere', [origin, 'X-Token: good']), status: 404, reason: 'path' },
      { request: upgradeRequest('/chat', ['Origin: https://evil.example', 'X-Token: good']), status: 403, reason: 'origin' },
      { request: upgradeRequest('/chat', [origin, 'X-Token: bad']), status: 401, reason: 'authenticate' },
      { request: upgradeRequest('/chat', [origin, 'X-Token: throw']), status: 500, reason: 'authenticate' },
    ];
    for (const [i, c] of cases.entries()) {
      const { status: got, peer } = await answer(port, c.request);
      expect(got).toBe(c.status);
      expect(refusals[i]).toEqual({ listenerId: id, reason: c.reason, addr: addrOf(peer), detail: `HTTP ${c.status}` });
    }
    // And one that passes: not refused, accepted.
    const { status: ok } = await answer(port, upgradeRequest('/chat', [origin, 'X-Token: good']));
    expect(ok).toBe(101);
    expect(refusals).toHaveLength(4);
    await until(() => handler.network().stats().connections === 1, { what: 'the accepted connection' });
    expect(handler.network().stats()).toMatchObject({ refused: 4, connections: 1, byListener: [{ id, refused: 4, connections: 1 }] });
  });

  it('maxConnections (503), a plain HTTP request (426), a malformed upgrade (400) and a method other than GET (405)', async () => {
    const { handler, id, port } = await listener({ maxConnections: 1 });
    const first = new WebSocket(`ws://127.0.0.1:${port}/`);
    clients.push(first);
    await new Promise<void>((resolve, reject) => {
      first.once('open', () => resolve());
      first.once('error', reject);
    });
    await until(() => handler.network().stats().connections === 1, { what: 'the first connection' });
    const full = await answer(port, upgradeRequest('/'));
    expect(full.status).toBe(503);
    const plain = await answer(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(plain.status).toBe(426);
    const malformed = await answer(port, upgradeRequest('/').replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 7'));
    expect(malformed.status).toBe(400);
    const post = await answer(port, upgradeRequest('/').replace('GET /', 'POST /'));
    expect(post.status).toBe(405);
    expect(refusals).toEqual([
      { listenerId: id, reason: 'limit', addr: addrOf(full.peer), detail: 'HTTP 503' },
      { listenerId: id, reason: 'protocol', addr: addrOf(plain.peer), detail: 'HTTP 426: a plain HTTP request' },
      { listenerId: id, reason: 'protocol', addr: addrOf(malformed.peer), detail: expect.stringMatching(/^HTTP 400: .*Sec-WebSocket-Version/) },
      { listenerId: id, reason: 'protocol', addr: addrOf(post.peer), detail: expect.stringMatching(/^HTTP 405: /) },
    ]);
    expect(handler.network().stats()).toMatchObject({ refused: 4, connections: 1 });
  });

  it('a client that never completes its handshake (handshakeTimeout), and one past maxPendingHandshakes', async () => {
    const { handler, id, port } = await listener({ handshakeTimeout: 300, maxPendingHandshakes: 1 });
    const silent = raw(port);
    await until(() => ports.has(silent), { what: 'the silent client to connect' });
    const extra = raw(port);
    await until(() => extra.closed, { timeout: 3000, what: 'the connection past maxPendingHandshakes to be closed' });
    await until(() => silent.closed, { timeout: 3000, what: 'the silent client to be timed out' });
    expect(refusals).toEqual([
      { listenerId: id, reason: 'limit', addr: addrOf(extra), detail: 'maxPendingHandshakes (1)' },
      { listenerId: id, reason: 'timeout', addr: addrOf(silent), detail: 'handshakeTimeout (300 ms)' },
    ]);
    expect(handler.network().stats().byListener).toEqual([expect.objectContaining({ id, refused: 2, connections: 0 })]);
  });

  it('a listener on an application server that the application closes: message-io:error tells, and it is gone', async () => {
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { handler, id } = await listener({ server: http });
    expect(handler.network().stats().listeners).toBe(1);
    await new Promise((resolve) => http.close(resolve));
    await until(() => failures.length === 1, { what: 'the error diagnostic' });
    expect(failures[0]).toEqual({ resourceId: id, error: expect.any(ListenerClosedError) });
    expect((failures[0]!.error as Error).message).toMatch(/^the Ws listener on 127\.0\.0\.1:\d+ stopped accepting/);
    expect(handler.network().isReady(id)).toBeUndefined();
    expect(handler.network().stats()).toMatchObject({ listeners: 0, byListener: [] });
    // Removed by the user instead: nothing is published.
    const again = createServer();
    await new Promise<void>((resolve) => again.listen(0, '127.0.0.1', resolve));
    const second = await listener({ server: again });
    second.handler.network().remove(second.id);
    await new Promise((resolve) => again.close(resolve));
    expect(failures).toHaveLength(1);
  });
});

describe.skipIf(skipWithout('openssl'))('Ws: a refused TLS handshake', () => {
  const pki = usePki();

  it('wss: a client without the certificate mutual TLS asks for fails its TLS handshake: reason tls', async () => {
    const { handler, id, port } = await listener({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca, requestCert: true });
    const client = new WebSocket(`wss://localhost:${port}/`, { ca: pki.ca });
    clients.push(client);
    await new Promise<void>((resolve) => {
      client.once('error', () => resolve());
      client.once('close', () => resolve());
    });
    await until(() => refusals.length === 1, { timeout: 3000, what: 'the refused TLS handshake' });
    expect(refusals[0]).toMatchObject({ listenerId: id, reason: 'tls', addr: expect.stringMatching(/^127\.0\.0\.1:\d+$/), error: expect.any(Error) });
    expect(handler.network().stats()).toMatchObject({ refused: 1, connections: 0 });
  });
});
