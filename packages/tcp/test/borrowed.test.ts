// Outgoing Tcp and FramedTcp connections read into one receive buffer shared by all of them and
// lend what they read (BorrowedBytes). These tests check that what users may rely on still holds:
// a received message can be sent on as it is, events stored by the core own their bytes, and a
// frame spread over reads is whole.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BorrowedBytes, SendStatus, split, type NodeHandler, type Transport } from '@message-io/core';
import { encodeVarint, FrameDecoder, FramedTcp, Tcp } from '@message-io/tcp';
import { joinBytes, randomBytes, rng, sameBytes, until } from '@message-io/adapter-testkit';

const handlers: NodeHandler<never>[] = [];
const sockets: Socket[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const handler of handlers.splice(0)) handler.stop();
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
});

/** Seeded messages of mixed sizes: tiny ones, ones around the 4 KiB copy limit, and ones over a read. */
function messages(count: number, seed: number): Uint8Array[] {
  const random = rng(seed);
  const sizes = [1, 100, 4097, 70_000, 65_536, 3, 20_000];
  return Array.from({ length: count }, (_, i) => randomBytes(random, sizes[i % sizes.length]!));
}

interface Peer {
  addr: string;
  /** What came back: the messages (FramedTcp) or chunks (Tcp), copied, in order. */
  received: Uint8Array[];
  receivedBytes: () => number;
}

/**
 * A plain `net` server that writes `outgoing` (framed for FramedTcp) to the first connection and
 * reads nothing until all of it is flushed: meanwhile an echo fills the kernel's buffers and waits
 * in the client's socket, by reference, while the client goes on reading.
 */
async function writingPeer(framed: boolean, outgoing: readonly Uint8Array[]): Promise<Peer> {
  const received: Uint8Array[] = [];
  let bytes = 0;
  const decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
  const sink = { received: (message: Uint8Array) => void received.push(new Uint8Array(message)) };
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.pause();
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.byteLength;
      if (framed) expect(decoder.decode(chunk, sink)).toBeUndefined();
      else received.push(new Uint8Array(chunk));
    });
    outgoing.forEach((message, i) => {
      if (framed) socket.write(encodeVarint(message.byteLength));
      socket.write(message, i === outgoing.length - 1 ? () => socket.resume() : undefined);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { addr: `127.0.0.1:${(server.address() as AddressInfo).port}`, received, receivedBytes: () => bytes };
}

describe.each([
  ['Tcp', Tcp],
  ['FramedTcp', FramedTcp],
] as [string, Transport<never, never>][])('%s: an outgoing connection lends its receive buffer', (name, transport) => {
  const framed = name === 'FramedTcp';

  it('hands messages over as BorrowedBytes, and echoing them as they are returns every byte intact', async () => {
    const outgoing = messages(420, 7); // about 10 MB each way
    const total = outgoing.reduce((n, m) => n + m.byteLength, 0);
    const server = await writingPeer(framed, outgoing);
    const [handler, listener] = split();
    handlers.push(handler);
    const net = handler.network();
    let lent = 0;
    let plain = 0;
    void listener.forEach((event) => {
      if (event.type !== 'message') return;
      if (event.data instanceof BorrowedBytes) lent++;
      else plain++;
      // Sent back at once, by reference to the shared receive buffer: send must copy it.
      expect(net.send(event.endpoint, event.data)).toBe(SendStatus.Sent);
    });
    net.connect(transport, server.addr, { maxBufferedBytes: 64 * 1024 * 1024 });
    const expected = framed ? total + outgoing.reduce((n, m) => n + encodeVarint(m.byteLength).byteLength, 0) : total;
    await until(() => server.receivedBytes() >= expected, 20_000, 'the echo of every byte');
    expect(server.receivedBytes()).toBe(expected);
    expect(lent).toBeGreaterThan(0);
    if (framed) {
      // Frames over one read arrive joined, as plain copies; every other frame is lent.
      expect(lent + plain).toBe(outgoing.length);
      expect(server.received.length).toBe(outgoing.length);
      server.received.forEach((message, i) => expect(sameBytes(message, outgoing[i]!), `message ${i}`).toBe(true));
    } else {
      expect(plain).toBe(0);
      expect(sameBytes(joinBytes(server.received), joinBytes(outgoing))).toBe(true);
    }
  });

  it('gives the async iterator events that own their bytes', async () => {
    const outgoing = messages(140, 11);
    const total = outgoing.reduce((n, m) => n + m.byteLength, 0);
    const server = await writingPeer(framed, outgoing);
    const [handler, listener] = split();
    handlers.push(handler);
    handler.network().connect(transport, server.addr);
    const kept: Uint8Array[] = [];
    let bytes = 0;
    for await (const event of listener) {
      if (event.type !== 'message') continue;
      expect(event.data).not.toBeInstanceOf(BorrowedBytes);
      kept.push(event.data); // kept without a copy: the event owns it
      bytes += event.data.byteLength;
      if (bytes >= total) break;
    }
    if (framed) kept.forEach((message, i) => expect(sameBytes(message, outgoing[i]!), `message ${i}`).toBe(true));
    else expect(sameBytes(joinBytes(kept), joinBytes(outgoing))).toBe(true);
  });
});
