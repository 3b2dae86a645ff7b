// With `reuseReceiveBuffer: true` (opt-in), accepted Ws connections (without TLS) read into one
// receive buffer shared by all of them and lend what they read (BorrowedBytes); a client masks its
// large messages into buffers it uses again once written. These tests check that every byte still
// arrives intact and in order, that a received message can be sent on as it is, and that by default
// messages are the user's.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { BorrowedBytes, SendStatus, split, type NodeHandler } from '@message-io/core';
import { Ws } from '@message-io/ws';
import { frame, rawPeer, upgradeRequest } from './raw.js';
import { randomBytes, rng, until } from './support.js';

const handlers: NodeHandler<never>[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const handler of handlers.splice(0)) handler.stop();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Seeded messages of mixed sizes: tiny, around the 4 KiB framing limit, and over a 64 KiB read. */
function messages(count: number, seed: number): Buffer[] {
  const random = rng(seed);
  const sizes = [1, 100, 4097, 70_000, 65_536, 3, 20_000, 200_000];
  return Array.from({ length: count }, (_, i) => {
    const data = Buffer.from(randomBytes(random, sizes[i % sizes.length]!));
    data[0] = i & 0xff;
    return data;
  });
}

/** A plain `ws` client that sends `outgoing` at once and collects what comes back, in order. */
async function plainClient(addr: string, outgoing: readonly Buffer[]): Promise<Buffer[]> {
  const socket = new WebSocket(`ws://${addr}/`, { maxPayload: 0 });
  cleanups.push(() => socket.terminate());
  socket.on('error', () => undefined);
  const received: Buffer[] = [];
  socket.on('message', (data: Buffer) => received.push(data));
  await new Promise((resolve) => socket.once('open', resolve));
  for (const message of outgoing) socket.send(message);
  return received;
}

describe('Ws: an accepted connection with reuseReceiveBuffer lends its receive buffer', () => {
  it('hands messages over as BorrowedBytes, and echoing them as they are returns every byte intact', async () => {
    const outgoing = messages(240, 5); // about 10 MB each way
    const [handler, listener] = split();
    handlers.push(handler);
    const net = handler.network();
    let lent = 0;
    void listener.forEach((event) => {
      if (event.type !== 'message') return;
      if (event.data instanceof BorrowedBytes) lent++;
      // Sent back at once, by reference to the shared buffer: `send` must copy it.
      expect(net.send(event.endpoint, event.data)).toBe(SendStatus.Sent);
    });
    const { addr } = await net.listen(Ws, '127.0.0.1:0', { maxBufferedBytes: 64 * 1024 * 1024, reuseReceiveBuffer: true });
    const echoed = await plainClient(addr, outgoing);
    await until(() => echoed.length === outgoing.length, { timeout: 20_000, what: 'every echo' });
    expect(lent).toBeGreaterThan(0);
    echoed.forEach((message, i) => expect(Buffer.compare(message, outgoing[i]!), `message ${i}`).toBe(0));
  });

  it('by default, gives messages of their own, which may be kept', async () => {
    const outgoing = messages(120, 9);
    const [handler, listener] = split();
    handlers.push(handler);
    const net = handler.network();
    const kept: Uint8Array[] = [];
    void listener.forEach((event) => {
      if (event.type === 'message') kept.push(event.data); // kept by reference
    });
    const { addr } = await net.listen(Ws, '127.0.0.1:0');
    await plainClient(addr, outgoing);
    await until(() => kept.length === outgoing.length, { timeout: 20_000, what: 'every message' });
    expect(kept.filter((data) => data instanceof BorrowedBytes)).toEqual([]);
    kept.forEach((message, i) => expect(Buffer.compare(message, outgoing[i]!), `message ${i}`).toBe(0));
  });
});

describe('Ws: what `ws` receives from a lent read', () => {
  it('text frames, and a fragmented message after which `ws` takes the stream, arrive intact to the async iterator', async () => {
    const [handler, listener] = split();
    handlers.push(handler);
    const { addr } = await handler.network().listen(Ws, '127.0.0.1:0', { reuseReceiveBuffer: true });
    const random = rng(21);
    const expected: Buffer[] = [];
    const parts: Buffer[] = [];
    const add = (opcode: number, data: Buffer): void => {
      parts.push(frame(opcode, data, { mask: true }));
      expected.push(data);
    };
    for (let i = 0; i < 60; i++) {
      if (i === 30) {
        // From here `ws` receives everything (receive.ts hands it the rest of the stream).
        parts.push(frame(2, Buffer.from('frag-'), { fin: false, mask: true }), frame(0, Buffer.from('mented'), { mask: true }));
        expected.push(Buffer.from('frag-mented'));
      }
      add(1, Buffer.from(`text ${i} `.padEnd(1000, String.fromCharCode(97 + (i % 26)))));
      add(2, Buffer.from(randomBytes(random, 70_000)));
    }
    const peer = rawPeer('127.0.0.1', Number(addr.split(':')[1]), upgradeRequest('/'));
    cleanups.push(() => peer.socket.destroy());
    await until(() => peer.head !== undefined, { timeout: 5000, what: 'the upgrade response' });
    peer.socket.write(Buffer.concat(parts));
    // Kept by reference: each event of the async iterator must own its bytes.
    const received: Uint8Array[] = [];
    for await (const event of listener) {
      if (event.type !== 'message') continue;
      received.push(event.data);
      if (received.length === expected.length) break;
    }
    received.forEach((message, i) => expect(Buffer.compare(message, expected[i]!), `message ${i}`).toBe(0));
  });
});

describe('Ws: reads before the connection is open', () => {
  it('frames sent during a slow handshake, before the answer, arrive intact and in order', async () => {
    const [handler, listener] = split();
    handlers.push(handler);
    const received: Uint8Array[] = [];
    void listener.forEach((event) => {
      if (event.type === 'message') received.push(new Uint8Array(event.data));
    });
    // The handshake waits 200 ms: what the client sends meanwhile is read before `ws` has the socket.
    const authenticate = (): Promise<boolean> => new Promise((resolve) => setTimeout(() => resolve(true), 200));
    const { addr } = await handler.network().listen(Ws, '127.0.0.1:0', { authenticate, reuseReceiveBuffer: true });
    const random = rng(33);
    // Small ones first, one read each (each lands at the start of the receive buffer), then large ones.
    const expected = Array.from({ length: 40 }, (_, i) => Buffer.from(randomBytes(random, i < 10 ? 300 : i % 2 === 0 ? 70_000 : 300)));
    const peer = rawPeer('127.0.0.1', Number(addr.split(':')[1]));
    cleanups.push(() => peer.socket.destroy());
    peer.socket.write(upgradeRequest('/'));
    // After the request, in separate writes while the server decides (no wait for its answer).
    for (const [i, data] of expected.entries()) {
      if (i <= 10) await new Promise((resolve) => setTimeout(resolve, 10));
      peer.socket.write(frame(2, data, { mask: true }));
    }
    expect(peer.head).toBeUndefined(); // all of it sent before the answer
    await until(() => received.length === expected.length, { timeout: 10_000, what: 'every message' });
    expect(peer.head).toMatch(/^HTTP\/1\.1 101/);
    received.forEach((message, i) => expect(Buffer.compare(message, expected[i]!), `message ${i}`).toBe(0));
  });
});

describe('Ws: a client masks large messages into buffers used again', () => {
  it('sends a burst of same-sized messages, each different, to a plain ws server intact and in order', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 0 });
    cleanups.push(() => server.close());
    await new Promise((resolve) => server.once('listening', resolve));
    const received: Buffer[] = [];
    server.on('connection', (socket) => socket.on('message', (data: Buffer) => received.push(data)));
    const [handler, listener] = split();
    handlers.push(handler);
    const net = handler.network();
    void listener.forEach(() => undefined);
    const random = rng(3);
    // 64 KiB, 65,535 and 100,000 bytes: the 16-bit and 64-bit length forms, sent in rounds so that
    // buffers written in one round are filled again by the next.
    const sizes = [65_536, 65_535, 100_000];
    const outgoing = Array.from({ length: 300 }, (_, i) => Buffer.from(randomBytes(random, sizes[i % sizes.length]!)));
    const endpoint = await net.connectAndWait(Ws, `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, { maxBufferedBytes: 64 * 1024 * 1024 });
    for (let round = 0; round < 3; round++) {
      for (const message of outgoing.slice(round * 100, round * 100 + 100)) expect(net.send(endpoint, message)).toBe(SendStatus.Sent);
      await until(() => received.length >= (round + 1) * 100, { timeout: 20_000, what: `round ${round}` });
    }
    expect(received.length).toBe(outgoing.length);
    received.forEach((message, i) => expect(Buffer.compare(message, outgoing[i]!), `message ${i}`).toBe(0));
  });
});
