// A Ws listener of its own without TLS or hooks on the upgrade request takes its connections on
// their libuv handle and reads their upgrade request itself (design note 0020): no `net.Socket`,
// no HTTP server in between. What `ws` checks of a request (key, version, method) is tested in
// handshake.test.ts and diagnostics.test.ts, on these connections; here, what the listener's own
// reader does: requests cut anywhere, bytes that follow a request, what it refuses and how.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { IncomingMessage } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DIAGNOSTICS_CHANNELS, SendStatus, type Endpoint, type NodeEvent, type NodeHandler } from '@message-io/core';
import { Ws, type WsHandshake, type WsListenOptions } from '@message-io/ws';
import { frame, rawPeer, status, upgradeRequest, type RawPeer } from './raw.js';
import { sleep, testNode, until, type TestNode } from './support.js';
import { countSocketsBuilt, stopCounting } from '../../../test/support/sockets-built.js';

const refusals: Record<string, unknown>[] = [];
const onRefuse = (message: unknown): void => void refusals.push(message as Record<string, unknown>);
subscribe(DIAGNOSTICS_CHANNELS.refuse, onRefuse);
afterAll(() => unsubscribe(DIAGNOSTICS_CHANNELS.refuse, onRefuse));

const nodes: TestNode[] = [];
const peers: RawPeer[] = [];
/** `ws`'s WebSocket prototype, with the method that hands it an upgraded socket (not in its type definitions). */
const wsPrototype = WebSocket.prototype as unknown as { setSocket: (this: WebSocket, ...args: unknown[]) => void };
const setSocket = wsPrototype.setSocket;
afterEach(() => {
  wsPrototype.setSocket = setSocket;
  stopCounting();
  for (const p of peers.splice(0)) p.socket.destroy();
  for (const n of nodes.splice(0)) n.handler.stop();
  refusals.splice(0);
});

const echo = (event: NodeEvent<never>, handler: NodeHandler<never>): void => {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
};

async function listener(options: WsListenOptions = {}): Promise<{ n: TestNode; port: number }> {
  const n = testNode(echo);
  nodes.push(n);
  const { addr } = await n.handler.network().listen(Ws, '127.0.0.1:0', options);
  return { n, port: Number(addr.slice(addr.lastIndexOf(':') + 1)) };
}

function peer(port: number, request?: string | Buffer): RawPeer {
  const p = rawPeer('127.0.0.1', port, request);
  peers.push(p);
  return p;
}

/** One message from our own client to the listener and its echo back. */
async function exchange(port: number, path = '/', headers?: Record<string, string>): Promise<void> {
  const client = testNode();
  nodes.push(client);
  const ep: Endpoint = await client.handler.network().connectAndWait(Ws, `ws://127.0.0.1:${port}${path}`, headers === undefined ? {} : { headers });
  expect(client.handler.network().send(ep, Buffer.from('ping'))).toBe(SendStatus.Sent);
  await until(() => client.events.some((e) => e.type === 'message'), { what: 'the echo' });
  const back = client.events.find((e) => e.type === 'message') as { data: Uint8Array };
  expect(Buffer.from(back.data).toString()).toBe('ping');
}

describe('Ws connections accepted on their handle', () => {
  it.each([
    ['owning', {}],
    ['lending (reuseReceiveBuffer)', { reuseReceiveBuffer: true }],
    ['with path, origins and maxConnections', { path: (path: string) => path === '/chat', origins: ['https://app.example'], maxConnections: 10 }],
  ] as [string, WsListenOptions][])('%s: no net.Socket is built, and messages go both ways', async (_name, options) => {
    const sockets = countSocketsBuilt();
    const { port } = await listener(options);
    if (options.path === undefined) await exchange(port);
    else await exchange(port, '/chat', { Origin: 'https://app.example' });
    expect(sockets.count).toBe(0);
  });

  it("a listener offering compression (perMessageDeflate) has Node's HTTP server read the request (a net.Socket per connection)", async () => {
    const sockets = countSocketsBuilt();
    const { port } = await listener({ perMessageDeflate: true });
    await exchange(port);
    expect(sockets.count).toBe(1);
  });

  it("the hooks are handed Node's IncomingMessage, made from the request read on the handle", async () => {
    const sockets = countSocketsBuilt();
    const seen: WsHandshake[] = [];
    const { port } = await listener({
      authenticate: (handshake) => {
        seen.push(handshake);
        return handshake.headers['x-token'] === 'good';
      },
      selectProtocol: (offered) => offered.find((protocol) => protocol === 'chat.v2'),
    });
    const p = peer(
      port,
      upgradeRequest('/chat?room=1', ['X-Token: good', 'Cookie: a=1', 'Cookie: b=2', 'Host: second.example', 'Sec-WebSocket-Protocol: chat.v1, chat.v2']),
    );
    await until(() => p.head !== undefined, { timeout: 3000, what: 'the answer' });
    expect(status(p.head)).toBe(101);
    expect(p.head).toMatch(/\r\nSec-WebSocket-Protocol: chat\.v2(\r\n|$)/);
    expect(sockets.count).toBe(0);
    const [handshake] = seen;
    expect(handshake!.request).toBeInstanceOf(IncomingMessage);
    expect(handshake!.path).toBe('/chat?room=1');
    expect(handshake!.request.method).toBe('GET');
    expect(handshake!.request.httpVersion).toBe('1.1');
    // Joined as Node joins them: cookies with "; ", the first Host kept.
    expect(handshake!.headers.cookie).toBe('a=1; b=2');
    expect(handshake!.headers.host).toBe('127.0.0.1');
    expect(handshake!.request.rawHeaders).toContain('X-Token');
    expect(handshake!.addr).toBe(`127.0.0.1:${p.socket.localPort}`);
    expect(handshake!.request.socket.remoteAddress).toBe('127.0.0.1');
    expect(handshake!.request.socket.remoteFamily).toBe('IPv4');
    expect(handshake!.request.socket.localPort).toBe(port);
  });

  it('a frame sent before an asynchronous authenticate answers waits, and arrives once upgraded', async () => {
    let answer: (accepted: boolean) => void = () => undefined;
    const { n, port } = await listener({ authenticate: () => new Promise<boolean>((resolve) => (answer = resolve)) });
    const p = peer(port, upgradeRequest('/'));
    await sleep(50);
    p.socket.write(frame(2, Buffer.from('early')));
    await sleep(50);
    expect(p.head).toBeUndefined();
    answer(true);
    await n.waitCount((e) => e.type === 'message', 1);
    const got = n.events.find((e) => e.type === 'message') as { data: Uint8Array };
    expect(Buffer.from(got.data).toString()).toBe('early');
    expect(status(p.head)).toBe(101);
  });

  it('a request cut into pieces, its last piece carrying a frame, is upgraded and the frame echoed', async () => {
    const { n, port } = await listener();
    const request = Buffer.from(upgradeRequest('/'));
    const message = Buffer.from('after the request');
    const cuts = [1, 5, 16, 40, request.length - 3, request.length - 1];
    const p = peer(port);
    await new Promise<void>((resolve) => p.socket.once('connect', resolve));
    p.socket.setNoDelay(true);
    let from = 0;
    for (const cut of cuts) {
      p.socket.write(request.subarray(from, cut));
      from = cut;
      await sleep(15);
    }
    p.socket.write(Buffer.concat([request.subarray(from), frame(2, message)]));
    await until(() => p.frames.length > 0, { timeout: 3000, what: 'the echo' });
    expect(status(p.head)).toBe(101);
    expect(p.frames[0]!.payload).toEqual(message);
    expect(n.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
  });

  it('frames sent with the request, in one write, arrive in order: binary, text, binary', async () => {
    const { n, port } = await listener();
    const frames = [frame(2, Buffer.from('one')), frame(1, Buffer.from('two')), frame(2, Buffer.from('three'))];
    peer(port, Buffer.concat([Buffer.from(upgradeRequest('/')), ...frames]));
    await n.waitCount((e) => e.type === 'message', 3);
    const got = n.events.filter((e) => e.type === 'message') as { data: Uint8Array; text?: boolean }[];
    expect(got.map((e) => Buffer.from(e.data).toString())).toEqual(['one', 'two', 'three']);
    expect(got.map((e) => e.text === true)).toEqual([false, true, false]);
  });

  it.each([
    ['HTTP/1.0', upgradeRequest('/').replace('HTTP/1.1', 'HTTP/1.0'), 'a malformed request line'],
    ['a space in the request target', upgradeRequest('/').replace('GET / ', 'GET /a b '), 'a malformed request line'],
    ['a NUL in a header value', upgradeRequest('/', ['X-Bad: a\u0000b']), 'a control character in a header value'],
    ['a folded header line', upgradeRequest('/', ['X-Folded: a', ' b']), 'a malformed header line'],
    ['a bare LF', upgradeRequest('/', ['X-A: a\nX-B: b']), 'a control character in a header value'],
    ['a header with no name', upgradeRequest('/', [': empty']), 'a malformed header line'],
  ])('%s is answered 400, refused as protocol, and the listener serves the next client', async (_name, request, detail) => {
    const { n, port } = await listener();
    const p = peer(port, request);
    await until(() => p.head !== undefined || p.closed, { timeout: 3000, what: 'an answer' });
    expect(status(p.head)).toBe(400);
    await until(() => p.closed, { timeout: 3000, what: 'the server to close' });
    expect(refusals).toEqual([expect.objectContaining({ reason: 'protocol', detail: `HTTP 400: ${detail}` })]);
    await exchange(port);
    expect(n.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
  });

  it('a request past 16 KiB is answered 431 as soon as it is, without waiting for its end', async () => {
    const { port } = await listener();
    const p = peer(port, `GET / HTTP/1.1\r\nX-Long: ${'a'.repeat(17 * 1024)}`);
    await until(() => p.head !== undefined || p.closed, { timeout: 3000, what: 'an answer' });
    expect(status(p.head)).toBe(431);
    await until(() => p.closed, { timeout: 3000, what: 'the server to close' });
    expect(refusals).toEqual([expect.objectContaining({ reason: 'protocol', detail: 'HTTP 431: a request over 16384 bytes' })]);
  });

  it('what a refused client sends after its request is ignored, and it is closed', async () => {
    const { n, port } = await listener();
    const p = peer(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    p.socket.write(Buffer.concat([Buffer.from(upgradeRequest('/')), frame(2, Buffer.from('x'))]));
    await until(() => p.closed, { timeout: 3000, what: 'the server to close' });
    expect(status(p.head)).toBe(426);
    expect(p.frames).toEqual([]);
    expect(n.events.filter((e) => e.type === 'accepted' || e.type === 'message')).toEqual([]);
  });

  it('many clients at once, each with its request in pieces: every one upgraded, pending handshakes back to none', async () => {
    const { n, port } = await listener({ maxPendingHandshakes: 200 });
    const count = 100;
    const all = Array.from({ length: count }, () => peer(port));
    await until(() => all.every((p) => p.socket.readyState === 'open'), { what: 'the clients to connect' });
    const requests = all.map(() => Buffer.from(upgradeRequest('/')));
    for (const at of [10, 60]) {
      all.forEach((p, i) => p.socket.write(requests[i]!.subarray(at === 10 ? 0 : 10, at)));
      await sleep(20);
    }
    all.forEach((p, i) => p.socket.write(requests[i]!.subarray(60)));
    await until(() => all.every((p) => p.head !== undefined), { timeout: 5000, what: 'every answer' });
    expect(all.map((p) => status(p.head))).toEqual(all.map(() => 101));
    await n.waitCount((e) => e.type === 'accepted', count);
    // Still room for as many pending handshakes as the limit: none is left counted.
    const more = Array.from({ length: 200 }, () => peer(port));
    await until(() => more.every((p) => p.socket.readyState === 'open'), { what: 'the next clients to connect' });
    await sleep(50);
    expect(more.some((p) => p.closed)).toBe(false);
    expect(refusals).toEqual([]);
  });

  it("when our receive path cannot sit in front of ws's receiver, ws reads everything from the handle itself", async () => {
    // A receiver whose `write` is its own (not its prototype's) is one we do not intercept.
    wsPrototype.setSocket = function (this: WebSocket, ...args: unknown[]): void {
      setSocket.apply(this, args);
      const receiver = (this as unknown as { _receiver: { write: unknown } })._receiver;
      Object.defineProperty(receiver, 'write', { value: receiver.write, writable: true, configurable: true });
    };
    const { n, port } = await listener();
    const frames = [frame(2, Buffer.from('one')), frame(1, Buffer.from('two')), frame(2, Buffer.alloc(100_000, 7))];
    const p = peer(port, Buffer.concat([Buffer.from(upgradeRequest('/')), frames[0]!]));
    await n.waitCount((e) => e.type === 'message', 1);
    p.socket.write(Buffer.concat(frames.slice(1)));
    await n.waitCount((e) => e.type === 'message', 3);
    const got = n.events.filter((e) => e.type === 'message') as { data: Uint8Array; text?: boolean }[];
    expect(got.map((e) => e.data.byteLength)).toEqual([3, 3, 100_000]);
    expect(Buffer.from(got[2]!.data).equals(Buffer.alloc(100_000, 7))).toBe(true);
    expect(got.map((e) => e.text === true)).toEqual([false, true, false]);
    // The echoes went back, and a Close is answered.
    await until(() => p.frames.length >= 3, { timeout: 3000, what: 'the echoes' });
    p.socket.write(frame(8, Buffer.from([0x03, 0xe8])));
    await until(() => p.closeCode() !== undefined, { timeout: 3000, what: 'the answering Close' });
    expect(p.closeCode()).toBe(1000);
  });
});
