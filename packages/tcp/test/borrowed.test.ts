// Tcp and FramedTcp connections, outgoing and accepted, read into one receive buffer shared by all
// of them. With `reuseReceiveBuffer: true` (opt-in) they lend what they read (BorrowedBytes); these
// tests check that what users may rely on still holds then: a received message can be sent on as it
// is, events stored by the core own their bytes, a frame spread over reads is whole. By default
// (no option) messages are the user's, and may be kept.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
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
 * Writes `outgoing` (framed for FramedTcp) to a plain `net` socket and reads nothing until all of
 * it is flushed: meanwhile an echo fills the kernel's buffers and waits in the other side's
 * socket, by reference, while that side goes on reading. Records what comes back into `peer`.
 */
function writeThenRead(socket: Socket, framed: boolean, outgoing: readonly Uint8Array[], peer: { received: Uint8Array[]; bytes: number }): void {
  const decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
  const sink = { received: (message: Uint8Array) => void peer.received.push(new Uint8Array(message)) };
  sockets.push(socket);
  socket.on('error', () => undefined);
  socket.pause();
  socket.on('data', (chunk: Buffer) => {
    peer.bytes += chunk.byteLength;
    if (framed) expect(decoder.decode(chunk, sink)).toBeUndefined();
    else peer.received.push(new Uint8Array(chunk));
  });
  outgoing.forEach((message, i) => {
    if (framed) socket.write(encodeVarint(message.byteLength));
    socket.write(message, i === outgoing.length - 1 ? () => socket.resume() : undefined);
  });
}

/** A plain `net` server that does {@link writeThenRead} on the first connection. */
async function writingPeer(framed: boolean, outgoing: readonly Uint8Array[]): Promise<Peer> {
  const peer = { received: [] as Uint8Array[], bytes: 0 };
  const server = createServer((socket) => writeThenRead(socket, framed, outgoing, peer));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { addr: `127.0.0.1:${(server.address() as AddressInfo).port}`, received: peer.received, receivedBytes: () => peer.bytes };
}

/** As {@link writingPeer}, from the other side: a plain `net` client connects to `port`. */
function writingClient(framed: boolean, outgoing: readonly Uint8Array[], port: number): Peer {
  const peer = { received: [] as Uint8Array[], bytes: 0 };
  writeThenRead(connect(port, '127.0.0.1'), framed, outgoing, peer);
  return { addr: `127.0.0.1:${port}`, received: peer.received, receivedBytes: () => peer.bytes };
}

/** Bytes on the wire for `outgoing`: with their prefixes on FramedTcp. */
function wireBytes(framed: boolean, outgoing: readonly Uint8Array[]): number {
  return outgoing.reduce((n, m) => n + m.byteLength + (framed ? encodeVarint(m.byteLength).byteLength : 0), 0);
}

/**
 * A node that sends every message back as it is, by reference to the shared receive buffer (so
 * `send` must copy it), counting the messages lent (BorrowedBytes) and the others.
 */
function echoingNode(): { net: ReturnType<NodeHandler<never>['network']>; counts: { lent: number; plain: number } } {
  const [handler, listener] = split();
  handlers.push(handler);
  const net = handler.network();
  const counts = { lent: 0, plain: 0 };
  void listener.forEach((event) => {
    if (event.type !== 'message') return;
    if (event.data instanceof BorrowedBytes) counts.lent++;
    else counts.plain++;
    expect(net.send(event.endpoint, event.data)).toBe(SendStatus.Sent);
  });
  return { net, counts };
}

/** Waits until `peer` has the echo of every byte of `outgoing`, and checks it, message by message on FramedTcp. */
async function expectEcho(framed: boolean, peer: Peer, outgoing: readonly Uint8Array[], counts: { lent: number; plain: number }): Promise<void> {
  const expected = wireBytes(framed, outgoing);
  await until(() => peer.receivedBytes() >= expected, { timeout: 20_000, what: 'the echo of every byte' });
  expect(peer.receivedBytes()).toBe(expected);
  expect(counts.lent).toBeGreaterThan(0);
  if (framed) {
    expect(counts.lent + counts.plain).toBe(outgoing.length);
    expect(peer.received.length).toBe(outgoing.length);
    peer.received.forEach((message, i) => expect(sameBytes(message, outgoing[i]!), `message ${i}`).toBe(true));
  } else {
    expect(counts.plain).toBe(0);
    expect(sameBytes(joinBytes(peer.received), joinBytes(outgoing))).toBe(true);
  }
}

describe.each([
  ['Tcp', Tcp],
  ['FramedTcp', FramedTcp],
] as [string, Transport<never, never>][])('%s: an outgoing connection with reuseReceiveBuffer lends its receive buffer', (name, transport) => {
  const framed = name === 'FramedTcp';

  it('hands messages over as BorrowedBytes, and echoing them as they are returns every byte intact', async () => {
    const outgoing = messages(420, 7); // about 10 MB each way
    const server = await writingPeer(framed, outgoing);
    const { net, counts } = echoingNode();
    net.connect(transport, server.addr, { maxBufferedBytes: 64 * 1024 * 1024, reuseReceiveBuffer: true });
    await expectEcho(framed, server, outgoing, counts);
  });

  it('gives the async iterator events that own their bytes', async () => {
    const outgoing = messages(140, 11);
    const total = outgoing.reduce((n, m) => n + m.byteLength, 0);
    const server = await writingPeer(framed, outgoing);
    const [handler, listener] = split();
    handlers.push(handler);
    handler.network().connect(transport, server.addr, { reuseReceiveBuffer: true });
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

describe.each([
  ['Tcp', Tcp],
  ['FramedTcp', FramedTcp],
] as [string, Transport<never, never>][])('%s: an accepted connection with reuseReceiveBuffer lends its receive buffer', (name, transport) => {
  const framed = name === 'FramedTcp';

  it('hands messages over as BorrowedBytes, and echoing them as they are returns every byte intact', async () => {
    const outgoing = messages(420, 13); // about 10 MB each way
    const { net, counts } = echoingNode();
    const { addr } = await net.listen(transport, '127.0.0.1:0', { maxBufferedBytes: 64 * 1024 * 1024, reuseReceiveBuffer: true });
    // The client writes everything before it reads: the echo waits in the accepted socket's queue.
    const client = writingClient(framed, outgoing, Number(addr.split(':').pop()));
    await expectEcho(framed, client, outgoing, counts);
  });
});

describe.each([
  ['Tcp', Tcp],
  ['FramedTcp', FramedTcp],
] as [string, Transport<never, never>][])('%s by default', (name, transport) => {
  const framed = name === 'FramedTcp';

  it('gives messages of their own, which may be kept after the callback, on both sides', async () => {
    const outgoing = messages(140, 17);
    const total = outgoing.reduce((n, m) => n + m.byteLength, 0);
    const [handler, listener] = split();
    handlers.push(handler);
    const net = handler.network();
    const options = { maxBufferedBytes: 64 * 1024 * 1024 };
    const { addr } = await net.listen(transport, '127.0.0.1:0', options);
    const client = net.connect(transport, addr, options);
    // Kept by reference from forEach, on both sides: the listener's, then the client's (the echo).
    const kept = { accepted: [] as Uint8Array[], outgoing: [] as Uint8Array[] };
    const bytes = { accepted: 0, outgoing: 0 };
    let lent = 0;
    void listener.forEach((event) => {
      if (event.type === 'connected' && event.ok) for (const message of outgoing) net.send(client, message);
      if (event.type !== 'message') return;
      if (event.data instanceof BorrowedBytes) lent++;
      const side = event.endpoint === client ? 'outgoing' : 'accepted';
      kept[side].push(event.data);
      bytes[side] += event.data.byteLength;
      if (side === 'accepted') net.send(event.endpoint, event.data);
    });
    await until(() => bytes.outgoing >= total, { timeout: 20_000, what: 'the echo of every byte' });
    expect(lent).toBe(0);
    for (const side of ['accepted', 'outgoing'] as const) {
      if (framed) kept[side].forEach((message, i) => expect(sameBytes(message, outgoing[i]!), `${side} message ${i}`).toBe(true));
      else expect(sameBytes(joinBytes(kept[side]), joinBytes(outgoing)), side).toBe(true);
    }
  });
});

describe('the borrowed-bytes check', () => {
  for (const [how, make] of [
    ['split({ checkBorrowed: true })', () => split({ checkBorrowed: true })],
    [
      'MESSAGE_IO_CHECK_BORROWED=1',
      () => {
        process.env.MESSAGE_IO_CHECK_BORROWED = '1';
        try {
          return split();
        } finally {
          delete process.env.MESSAGE_IO_CHECK_BORROWED;
        }
      },
    ],
  ] as const) {
    it(`with ${how}, lent bytes read right in the callback are right, and kept ones fail loudly`, async () => {
      const [handler, listener] = make();
      handlers.push(handler);
      const net = handler.network();
      const { addr } = await net.listen(FramedTcp, '127.0.0.1:0', { reuseReceiveBuffer: true });
      const kept: Uint8Array[] = [];
      const inside: string[] = [];
      void listener.forEach((event) => {
        if (event.type !== 'message') return;
        expect(event.data).toBeInstanceOf(BorrowedBytes);
        inside.push(Buffer.from(event.data).toString());
        kept.push(event.data); // the mistake the check is for
      });
      const client = connect(Number(addr.split(':').pop()), '127.0.0.1');
      sockets.push(client);
      client.on('error', () => undefined);
      client.write(Buffer.concat(['one', 'two'].flatMap((word) => [encodeVarint(3), Buffer.from(word)])));
      await until(() => kept.length === 2, { timeout: 5_000, what: 'two messages' });
      expect(inside).toEqual(['one', 'two']);
      for (const data of kept) {
        expect(data.byteLength).toBe(0);
        expect(() => new Uint8Array(data)).toThrow(TypeError);
        expect(() => data.slice()).toThrow(/detached/);
      }
    });
  }

  it('is off by default: lent bytes are handed over as they are', async () => {
    const [handler, listener] = split();
    handlers.push(handler);
    const net = handler.network();
    const { addr } = await net.listen(FramedTcp, '127.0.0.1:0', { reuseReceiveBuffer: true });
    const lengths: number[] = [];
    let kept: Uint8Array | undefined;
    void listener.forEach((event) => {
      if (event.type !== 'message') return;
      kept = event.data;
      lengths.push(event.data.byteLength);
    });
    const client = connect(Number(addr.split(':').pop()), '127.0.0.1');
    sockets.push(client);
    client.on('error', () => undefined);
    client.write(Buffer.concat([encodeVarint(3), Buffer.from('abc')]));
    await until(() => lengths.length === 1, { timeout: 5_000, what: 'one message' });
    expect(kept!.byteLength).toBe(3); // not detached: the check costs a copy, for tests only
  });
});
