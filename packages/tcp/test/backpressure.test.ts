// The send path under a slow reader: a capped queue, the Backpressure status, the writable event,
// and no loss or reordering across the cycle (docs/reliability.md BP-02, light).
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SendStatus, type Transport } from '@message-io/core';
import { FrameDecoder, FramedTcp, Tcp } from '@message-io/tcp';
import { bytesOf } from '@message-io/adapter-testkit';
import { requirePeers, skipWithout } from '../../../test/support/peers.js';
import { testNode, until, type TestNode } from './support.js';

const KiB = 1024;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A raw peer that does not read until `resume()`, and collects what it reads. */
async function slowPeer(): Promise<{ port: number; socket: Promise<Socket>; chunks: Buffer[]; bytes: () => number }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let resolveSocket: (s: Socket) => void = () => undefined;
  const socket = new Promise<Socket>((r) => (resolveSocket = r));
  const server: Server = createServer((s) => {
    s.pause();
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      bytes += d.length;
    });
    s.on('error', () => undefined);
    cleanups.push(() => s.destroy());
    resolveSocket(s);
  });
  cleanups.push(() => server.close());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, socket, chunks, bytes: () => bytes };
}

describe.each([
  ['Tcp', Tcp],
  ['FramedTcp', FramedTcp],
] as [string, Transport<never, never>][])('%s backpressure', (_name, transport) => {
  it('caps queued bytes, answers Backpressure, emits writable once drained, and loses nothing', async () => {
    const cap = 256 * KiB;
    const size = 16 * KiB;
    const total = 4000;
    const peer = await slowPeer();
    const node: TestNode = testNode();
    cleanups.push(() => node.handler.stop());
    const net = node.handler.network();
    const ep = await net.connectAndWait(transport, `127.0.0.1:${peer.port}`, { maxBufferedBytes: cap });
    const socket = await peer.socket;

    let next = 0;
    let backpressured = 0;
    const message = (seq: number): Uint8Array => {
      const bytes = new Uint8Array(size).fill(seq & 0xff);
      new DataView(bytes.buffer).setUint32(0, seq, true);
      return bytes;
    };
    const pump = (): void => {
      while (next < total) {
        const status = net.send(ep, message(next));
        if (status === SendStatus.Backpressure) {
          backpressured++;
          return;
        }
        expect(status).toBe(SendStatus.Sent);
        next++;
      }
    };
    // The kernel's socket buffers take some bytes first: keep sending on each writable event until
    // the queue stays full (no writable event for 150 ms).
    let seen = 0;
    pump();
    expect(backpressured).toBe(1);
    for (let round = 0; round < 200; round++) {
      const before = node.events.length;
      await new Promise((r) => setTimeout(r, 150));
      const writable = node.events.filter((e) => e.type === 'writable').length;
      if (writable === seen && node.events.length === before) break;
      seen = writable;
      pump();
    }
    expect(next).toBeLessThan(total);
    expect(net.bufferedBytes(ep)).toBeGreaterThanOrEqual(cap);
    expect(net.bufferedBytes(ep)).toBeLessThan(cap + 2 * size);
    expect(net.send(ep, message(next))).toBe(SendStatus.Backpressure);
    expect(node.events.filter((e) => e.type === 'writable').length).toBe(seen);
    expect(seen).toBeLessThanOrEqual(backpressured);

    socket.resume();
    await until(
      () => {
        const writable = node.events.filter((e) => e.type === 'writable').length;
        if (writable > seen) {
          seen = writable;
          pump();
        }
        return next === total;
      },
      { timeout: 10_000, what: 'every message to be sent' },
    );
    expect(seen).toBeGreaterThanOrEqual(1);
    // One writable event per Backpressure answer at most: nobody is told twice.
    expect(node.events.filter((e) => e.type === 'writable' && e.endpoint === ep).length).toBeLessThanOrEqual(backpressured);

    const prefix = transport.packetBased ? 2 : 0;
    await until(() => peer.bytes() >= total * (size + prefix), { timeout: 10_000, what: 'every byte at the peer' });
    const all = Buffer.concat(peer.chunks);
    const stream = (): Buffer => all;
    const messages: Uint8Array[] = [];
    if (transport.packetBased) new FrameDecoder(size).decode(stream(), { received: (m) => void messages.push(m) });
    else for (let i = 0; i < total; i++) messages.push(stream().subarray(i * size, (i + 1) * size));
    expect(messages).toHaveLength(total);
    messages.forEach((m, seq) => {
      const got = m[0]! | (m[1]! << 8) | (m[2]! << 16) | (m[3]! << 24);
      if (got !== seq || m[size - 1] !== (seq & 0xff)) throw new Error(`message ${seq} arrived as ${got}`);
    });
    expect(net.send(ep, new Uint8Array([1]))).toBe(SendStatus.Sent);
  });
});

describe.each([
  ['Tcp', Tcp],
  ['FramedTcp', FramedTcp],
] as [string, Transport<never, never>][])('%s under a peer that never reads', (_name, transport) => {
  it.skipIf(skipWithout('socat'))('BP-01: socat -u never reads; sends stop at the cap, memory stays bounded, another client keeps its echo', async () => {
    requirePeers('socat');
    const { spawn } = await import('node:child_process');
    const cap = 4 * 1024 * 1024;
    const server = testNode((event, handler) => {
      if (event.type === 'message') handler.network().send(event.endpoint, event.data);
    });
    cleanups.push(() => server.handler.stop());
    const net = server.handler.network();
    const { addr } = await net.listen(transport, '127.0.0.1:0', { maxBufferedBytes: cap });
    const port = addr.slice(addr.lastIndexOf(':') + 1);
    const socat = spawn('sh', ['-c', `sleep 20 | exec socat -u - TCP:127.0.0.1:${port}`], { stdio: 'ignore', detached: true });
    cleanups.push(() => {
      try {
        process.kill(-socat.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    });
    const silent = await server.waitFor((e) => e.type === 'accepted', 5000);
    const client = testNode();
    cleanups.push(() => client.handler.stop());
    const b = await client.handler.network().connectAndWait(transport, addr);

    const before = process.memoryUsage();
    const chunk = new Uint8Array(64 * KiB);
    let sent = 0;
    let refused = 0;
    const pings: string[] = [];
    // 64 rounds of 64 sends to the silent peer (256 MiB attempted), each followed by a ping from the
    // other client that must come back: the silent one never reads, so an echo held up behind it
    // would never come. The bound on each wait only ends a broken run; it measures nothing.
    for (let round = 0; round < 64; round++) {
      for (let i = 0; i < 64; i++) {
        const status = net.send(silent.endpoint, chunk);
        if (status === SendStatus.Sent) sent++;
        else if (status === SendStatus.Backpressure) refused++;
        else throw new Error(`unexpected ${status}`);
      }
      pings.push(`ping ${round}`);
      client.handler.network().send(b, Buffer.from(`ping ${round}`));
      const echoed = pings.join('').length; // Tcp is a byte stream: count bytes, not messages
      await until(() => bytesOf(client.events).length >= echoed, { timeout: 10_000, what: `the echo of ping ${round}` });
    }
    const after = process.memoryUsage();
    expect(refused).toBeGreaterThan(0);
    expect(net.bufferedBytes(silent.endpoint)).toBeLessThan(cap + 64 * KiB);
    expect(sent * 64 * KiB).toBeLessThan(64 * 1024 * 1024); // far less than the 256 MiB attempted
    expect(after.rss + after.arrayBuffers - before.rss - before.arrayBuffers).toBeLessThan(64 * 1024 * 1024);
    // Liveness, not speed: the other client got every echo, in order, while the silent one was stuck.
    expect(bytesOf(client.events)).toEqual(new TextEncoder().encode(pings.join('')));
  });
});

describe.each([
  ['Tcp', Tcp],
  ['FramedTcp', FramedTcp],
] as [string, Transport<never, never>][])('%s mutual large sends', (_name, transport) => {
  it('BP-03: two nodes each send 32 MiB to the other from inside their callbacks without deadlock', async () => {
    const MiB = 1024 * 1024;
    const total = 32;
    const makeSide = (): { node: TestNode; received: () => number } => {
      let bytes = 0;
      let next = 0;
      const node = testNode((event, handler) => {
        const net = handler.network();
        const pump = (ep: Parameters<typeof net.send>[0]): void => {
          while (next < total && net.send(ep, new Uint8Array(MiB).fill(next)) === SendStatus.Sent) next++;
        };
        if (event.type === 'connected' || event.type === 'accepted' || event.type === 'writable') pump(event.endpoint);
        if (event.type === 'message') bytes += event.data.length;
      });
      cleanups.push(() => node.handler.stop());
      node.events.length = 0;
      return { node, received: () => bytes };
    };
    const a = makeSide();
    const b = makeSide();
    const { addr } = await a.node.handler.network().listen(transport, '127.0.0.1:0', { maxBufferedBytes: 4 * MiB });
    b.node.handler.network().connect(transport, addr, { maxBufferedBytes: 4 * MiB });
    await until(() => a.received() >= total * MiB && b.received() >= total * MiB, { timeout: 10_000, what: 'both sides to receive 32 MiB' });
    expect(a.received()).toBe(total * MiB);
    expect(b.received()).toBe(total * MiB);
  });
});
