// Faults on Ws (docs/reliability.md LC-01, LC-02): a reset in the middle of a message, or while we
// write 8 MiB; messages followed by a Close, or by a bare TCP half-close. Raw peers (./raw.ts)
// send exactly the bytes each case needs.
import { afterEach, describe, expect, it } from 'vitest';
import { SendStatus, type NodeEvent, type NodeHandler } from '@message-io/core';
import { Ws } from '@message-io/ws';
import { closePayload, frame, rawPeer, upgradeRequest, type RawPeer } from './raw.js';
import { sleep, testNode, until, type TestNode } from './support.js';

const MiB = 1024 * 1024;
const nodes: TestNode[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  for (const n of nodes.splice(0)) n.handler.stop();
});

/** A node listening with Ws; `onEvent` runs inside its callback. */
async function server(onEvent?: (event: NodeEvent<never>, handler: NodeHandler<never>) => void) {
  const n = testNode(onEvent);
  nodes.push(n);
  const { addr } = await n.handler.network().listen(Ws, '127.0.0.1:0');
  return { n, port: Number(addr.split(':')[1]) };
}

/** A raw client past its upgrade, recording socket errors (an RST shows as ECONNRESET). */
async function upgraded(port: number): Promise<RawPeer & { errors: string[] }> {
  const peer = Object.assign(rawPeer('127.0.0.1', port, upgradeRequest('/')), { errors: [] as string[] });
  peer.socket.on('error', (error: NodeJS.ErrnoException) => peer.errors.push(error.code ?? error.message));
  cleanups.push(() => peer.socket.destroy());
  await until(() => peer.head !== undefined, { timeout: 3000, what: 'the 101 response' });
  expect(peer.head).toMatch(/^HTTP\/1\.1 101/);
  return peer;
}

const text = (data: Uint8Array): string => Buffer.from(data).toString();
const replyTo = (event: NodeEvent<never>, handler: NodeHandler<never>): void => {
  if (event.type === 'message') handler.network().send(event.endpoint, Buffer.concat([Buffer.from('re:'), event.data]));
};

describe('LC-01 reset in the middle of a message', () => {
  it('a frame cut at half its payload, then RST: one disconnected, no partial message, later sends ResourceNotFound', async () => {
    const { n, port } = await server();
    const peer = await upgraded(port);
    const accepted = await n.waitFor((e) => e.type === 'accepted');
    peer.socket.write(frame(2, Buffer.from('whole')));
    const cut = frame(2, Buffer.alloc(2000, 0x61));
    peer.socket.write(cut.subarray(0, cut.length - 1000));
    await n.waitFor((e) => e.type === 'message', 3000);
    await sleep(50);
    peer.socket.resetAndDestroy();
    await n.waitFor((e) => e.type === 'disconnected', 3000);
    await sleep(100);
    const mine = n.events.filter((e) => 'endpoint' in e && e.endpoint === accepted.endpoint);
    expect(mine.map((e) => e.type)).toEqual(['accepted', 'message', 'disconnected']);
    expect(mine.flatMap((e) => (e.type === 'message' ? [text(e.data)] : []))).toEqual(['whole']);
    expect(n.handler.network().send(accepted.endpoint, new Uint8Array([1]))).toBe(SendStatus.ResourceNotFound);
  });

  it('a reset while we write 8 MiB to the peer: one disconnected, no uncaught error, the node keeps serving', async () => {
    const { n, port } = await server(replyTo);
    const peer = await upgraded(port);
    const accepted = await n.waitFor((e) => e.type === 'accepted');
    expect(n.handler.network().send(accepted.endpoint, new Uint8Array(8 * MiB))).toBe(SendStatus.Sent);
    await sleep(20);
    peer.socket.resetAndDestroy();
    await n.waitFor((e) => e.type === 'disconnected', 3000);
    await sleep(100);
    expect(n.events.filter((e) => e.type === 'disconnected')).toHaveLength(1);
    expect(n.handler.network().send(accepted.endpoint, new Uint8Array([1]))).toBe(SendStatus.ResourceNotFound);

    const other = await upgraded(port);
    other.socket.write(frame(2, Buffer.from('still here')));
    await until(() => other.frames.length > 0, { timeout: 3000, what: 'the reply' });
    expect(other.frames[0]!.payload.toString()).toBe('re:still here');
  });
});

describe('LC-02 half-close after data', () => {
  it('messages, a pause, then Close 1000: every message and reply first, then one disconnected; the close is graceful', async () => {
    const { n, port } = await server(replyTo);
    const peer = await upgraded(port);
    const accepted = await n.waitFor((e) => e.type === 'accepted');
    for (const t of ['one', 'two', 'three']) peer.socket.write(frame(2, Buffer.from(t)));
    await until(() => peer.frames.length === 3, { timeout: 3000, what: 'the three replies' });
    peer.socket.write(frame(8, closePayload(1000, 'done')));
    await n.waitFor((e) => e.type === 'disconnected', 3000);
    await until(() => peer.ended, { timeout: 3000, what: 'FIN from the server' });
    const mine = n.events.filter((e) => 'endpoint' in e && e.endpoint === accepted.endpoint);
    expect(mine.map((e) => e.type)).toEqual(['accepted', 'message', 'message', 'message', 'disconnected']);
    expect(peer.frames.map((f) => (f.opcode === 8 ? `close ${f.payload.readUInt16BE(0)}` : f.payload.toString()))).toEqual([
      're:one',
      're:two',
      're:three',
      'close 1000',
    ]);
    expect(peer.errors).toEqual([]); // FIN, not RST
  });

  it('messages and Close 1000 in one write: every message delivered before the single disconnected; the peer gets Close 1000', async () => {
    const { n, port } = await server(replyTo);
    const peer = await upgraded(port);
    const accepted = await n.waitFor((e) => e.type === 'accepted');
    const texts = ['one', 'two', 'three'];
    peer.socket.write(Buffer.concat([...texts.map((t) => frame(2, Buffer.from(t))), frame(8, closePayload(1000))]));
    await n.waitFor((e) => e.type === 'disconnected', 3000);
    await until(() => peer.ended, { timeout: 3000, what: 'FIN from the server' });
    await sleep(50);
    const mine = n.events.filter((e) => 'endpoint' in e && e.endpoint === accepted.endpoint);
    expect(mine.map((e) => e.type)).toEqual(['accepted', 'message', 'message', 'message', 'disconnected']);
    expect(mine.flatMap((e) => (e.type === 'message' ? [text(e.data)] : []))).toEqual(texts);
    // The replies, written while the node handled messages that came in the same read as the Close,
    // still leave before our answering Close.
    expect(peer.frames.map((f) => (f.opcode === 8 ? `close ${f.payload.readUInt16BE(0)}` : f.payload.toString()))).toEqual([
      ...texts.map((t) => `re:${t}`),
      'close 1000',
    ]);
    expect(peer.errors).toEqual([]);
  });

  it('messages then a bare TCP half-close (no Close frame): every message delivered, then one disconnected', async () => {
    const { n, port } = await server(replyTo);
    const peer = await upgraded(port);
    const accepted = await n.waitFor((e) => e.type === 'accepted');
    const texts = ['one', 'two', 'three'];
    peer.socket.end(Buffer.concat(texts.map((t) => frame(2, Buffer.from(t)))));
    await n.waitFor((e) => e.type === 'disconnected', 3000);
    await until(() => peer.closed, { timeout: 3000, what: 'the server to close' });
    await sleep(50);
    const mine = n.events.filter((e) => 'endpoint' in e && e.endpoint === accepted.endpoint);
    expect(mine.map((e) => e.type)).toEqual(['accepted', 'message', 'message', 'message', 'disconnected']);
    expect(mine.flatMap((e) => (e.type === 'message' ? [text(e.data)] : []))).toEqual(texts);
    expect(n.handler.network().send(accepted.endpoint, new Uint8Array([1]))).toBe(SendStatus.ResourceNotFound);
  });
});
