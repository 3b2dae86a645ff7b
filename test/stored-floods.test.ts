// Floods of tiny messages must not get past `maxStoredBytes`. Each stored event counts as its bytes
// plus a fixed cost (256), and a decoder stops in the middle of a read as soon as the node says
// stop, keeping the rest of the read for later: so a read that holds a million empty frames costs
// a copy of that read, not a million events. Each test starts a node in a child process
// (test/fixtures/flood-node.mjs) whose consumer stops taking events (an async iterator stuck after
// its first message, or no consumer yet because `forEach` comes later), floods it from this process
// over raw sockets on 127.0.0.1 with empty or one-byte messages, and checks: live memory stays
// within a few times the cap; once the consumer takes events again, every message of a
// connection-oriented transport arrives, in order (byte k of the stream is k & 0xff); Udp keeps at
// most the cap's worth of events and drops the rest. Every wait is bounded; every child and socket
// is killed or destroyed after each test. The figures print as `stored flood: {...}`.
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanUp, connectAll, ipcPrefix, KiB, MiB, prefix, sleep, startJsonChild, upgradeAll, wsFrame, type JsonChild } from './support/raw-peers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE = join(root, 'test/fixtures/flood-node.mjs');
const sockets = mkdtempSync(join(tmpdir(), 'mio-flood-'));
/** What a stored event counts as besides its bytes (core's STORED_EVENT_COST). */
const EVENT_COST = 256;

const datagramSockets = new Set<DgramSocket>();
afterEach(() => {
  cleanUp();
  for (const socket of datagramSockets) socket.close();
  datagramSockets.clear();
});
afterAll(() => rmSync(sockets, { recursive: true, force: true }));

/** What the child prints on `report`. */
interface Report {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
  messages: number;
  bytes: number;
  disorder: number;
}

const live = (r: Report): number => r.heapUsed + r.arrayBuffers;

type Kind = 'tcp' | 'framed' | 'framed-lent' | 'ws' | 'ws-lent' | 'ipc' | 'udp' | 'udp-connected';
type Consumer = 'iterator' | 'late';
/** Empty or one-byte binary messages; on Ws also empty text messages (which `ws` itself delivers). */
type Flood = 'empty' | 'one-byte' | 'empty-text';

/** The bytes of `count` messages of `size` bytes (0 or 1) for `kind`, the one-byte ones numbered from `first`. */
function floodBytes(kind: Kind, size: 0 | 1, count: number, first: number, text = false): Buffer {
  const header = kind.startsWith('ws')
    ? wsFrame(text ? 0x81 : 0x82, Buffer.alloc(size))
    : kind === 'ipc'
      ? Buffer.concat([ipcPrefix(size), Buffer.alloc(size)])
      : Buffer.concat([prefix(size), Buffer.alloc(size)]);
  const frame = header.length;
  const bytes = Buffer.alloc(frame * count);
  for (let i = 0; i < count; i++) header.copy(bytes, i * frame);
  if (size === 1) {
    // The payload byte is the last of each frame (masked with the key's byte 0 for Ws).
    const mask = kind.startsWith('ws') ? 0x12 : 0;
    for (let i = 0; i < count; i++) bytes[i * frame + frame - 1] = ((first + i) & 0xff) ^ mask;
  }
  return bytes;
}

/** The first message: `size` bytes numbered from 0, framed for `kind`. */
function firstMessage(kind: Kind, size: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = i & 0xff;
  if (kind.startsWith('ws')) return wsFrame(0x82, payload);
  if (kind === 'ipc') return Buffer.concat([ipcPrefix(size), payload]);
  if (kind === 'tcp') return payload;
  return Buffer.concat([prefix(size), payload]);
}

/** Polls the child's report until `done` holds for it, or `ms` passed; returns the last report (the caller asserts on it). */
async function reportWhen(node: JsonChild, done: (r: Report) => boolean, ms: number): Promise<Report> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await node.ask<Report>('report', 'report');
    if (done(r) || Date.now() > deadline) return r;
    await sleep(100);
  }
}

/** Resolves once `socket` has written everything it was given, or after `ms`. */
async function flushedOrStalled(socket: Socket, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (socket.writableLength > 0 && Date.now() < deadline) await sleep(50);
}

function expectNoCrash(node: JsonChild): void {
  expect(node.lines().filter((l) => 'uncaught' in l)).toEqual([]);
}

/**
 * Floods a stream transport's node: a first message of 512 KiB (under the cap, so that nothing is
 * throttled before the flood), then `count` messages of `size` bytes in one write.
 */
async function floodStream(kind: Kind, consumer: Consumer, flood: Flood, count: number): Promise<void> {
  const cap = MiB;
  const path = kind === 'ipc' ? join(sockets, `${consumer}-${flood}.sock`) : undefined;
  const node = startJsonChild(FIXTURE, [kind, consumer, String(cap), path ?? ''], root, ['--expose-gc', '--max-semi-space-size=1']);
  const addr = await node.next<string>('addr');
  const target = { port: Number(addr.slice(addr.lastIndexOf(':') + 1)), path };
  const [socket] = kind.startsWith('ws') ? await upgradeAll(target, 1) : await connectAll(target, 1);
  socket!.on('data', () => undefined); // the Ws upgrade response, and nothing else
  const firstSize = 512 * KiB;
  socket!.write(firstMessage(kind, firstSize));
  // The iterator takes the first message and stops; without a consumer it is stored.
  const before = await reportWhen(node, (r) => (consumer === 'iterator' ? r.messages === 1 : false), consumer === 'iterator' ? 10_000 : 500);
  const size = flood === 'one-byte' ? 1 : 0;
  const bytes = kind === 'tcp' ? firstMessage('tcp', 4 * MiB).subarray(firstSize % 256) : floodBytes(kind, size, count, firstSize, flood === 'empty-text');
  socket!.write(bytes);
  await flushedOrStalled(socket!, 1500);
  await sleep(300);
  const during = await node.ask<Report>('report', 'report');
  const grown = live(during) - live(before);
  console.log(
    `stored flood: ${JSON.stringify({
      kind,
      consumer,
      flood,
      count,
      sent: bytes.length,
      liveMiB: (grown / MiB).toFixed(2),
      rssMiB: ((during.rss - before.rss) / MiB).toFixed(2),
    })}`,
  );
  expect(grown, `${kind} ${flood} flood, ${consumer}: live memory grown`).toBeLessThan(4 * cap + 4 * MiB);
  expect(during.messages, 'the stuck consumer took nothing more').toBe(consumer === 'iterator' ? 1 : 0);

  // The consumer takes events again: everything arrives, in order.
  await node.ask('drain', 'draining');
  const expectedBytes = firstSize + (kind === 'tcp' ? bytes.length : count * size);
  const after = await reportWhen(node, (r) => r.bytes >= expectedBytes && (kind === 'tcp' || r.messages >= count + 1), 30_000);
  expect(after.bytes).toBe(expectedBytes);
  if (kind !== 'tcp') expect(after.messages).toBe(count + 1);
  expect(after.disorder).toBe(0);
  expectNoCrash(node);
}

/** Floods a Udp node with `count` datagrams of `size` bytes, 1,000 per turn. */
async function floodUdp(kind: Kind, consumer: Consumer, flood: Flood, count: number): Promise<void> {
  const cap = 64 * KiB;
  const peer = createSocket('udp4');
  datagramSockets.add(peer);
  await new Promise<void>((done) => peer.bind(0, '127.0.0.1', done));
  // udp-connected: the node connects to us and says hi; it is flooded where it said it from.
  const hi = new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('no datagram from the node within 10 s')), 10_000);
    peer.once('message', (_data, from) => {
      clearTimeout(timer);
      done(from.port);
    });
  });
  if (kind !== 'udp-connected') hi.catch(() => undefined);
  const node = startJsonChild(FIXTURE, [kind, consumer, String(cap), String(peer.address().port)], root, ['--expose-gc', '--max-semi-space-size=1']);
  const addr = await node.next<string>('addr');
  const port = kind === 'udp-connected' ? await hi : Number(addr.slice(addr.lastIndexOf(':') + 1));
  const send = (data: Uint8Array): Promise<void> => new Promise((done) => peer.send(data, port, '127.0.0.1', () => done()));
  await send(firstMessage('tcp', 1024));
  const before = await reportWhen(node, (r) => (consumer === 'iterator' ? r.messages === 1 : false), consumer === 'iterator' ? 10_000 : 500);
  const size = flood === 'empty' ? 0 : 1;
  for (let sent = 0; sent < count; sent += 1000) {
    const batch: Promise<void>[] = [];
    for (let i = sent; i < Math.min(count, sent + 1000); i++) batch.push(send(size === 0 ? Buffer.alloc(0) : Buffer.from([(1024 + i) & 0xff])));
    await Promise.all(batch);
  }
  await sleep(300);
  const during = await node.ask<Report>('report', 'report');
  const grown = live(during) - live(before);
  console.log(`stored flood: ${JSON.stringify({ kind, consumer, flood, count, liveMiB: (grown / MiB).toFixed(2) })}`);
  expect(grown, `${kind} ${flood} flood, ${consumer}: live memory grown`).toBeLessThan(4 * cap + 4 * MiB);

  await node.ask('drain', 'draining');
  await sleep(500);
  const after = await node.ask<Report>('report', 'report');
  // At most the cap's worth of events was kept (the first message, then one event past the cap);
  // the rest was dropped, as a full socket buffer drops datagrams.
  expect(after.messages, 'datagrams kept for the stuck consumer').toBeLessThanOrEqual(2 + Math.ceil(cap / EVENT_COST));
  expect(after.messages).toBeGreaterThan(1);
  expectNoCrash(node);
}

describe('stored events stay within maxStoredBytes, whatever the size of the messages', () => {
  const streams: Array<[Kind, Consumer, Flood, number]> = [];
  for (const kind of ['framed', 'ws', 'ipc'] as const) {
    for (const consumer of ['iterator', 'late'] as const) {
      for (const flood of ['empty', 'one-byte'] as const) streams.push([kind, consumer, flood, flood === 'empty' ? 2_000_000 : 1_000_000]);
    }
  }
  streams.push(['framed-lent', 'iterator', 'empty', 2_000_000], ['framed-lent', 'late', 'one-byte', 1_000_000]);
  streams.push(['ws-lent', 'iterator', 'empty', 1_000_000], ['ws-lent', 'late', 'one-byte', 1_000_000]);
  streams.push(['ws', 'iterator', 'empty-text', 500_000]);
  streams.push(['tcp', 'iterator', 'one-byte', 0], ['tcp', 'late', 'one-byte', 0]);

  it.each(streams)(
    '%s, consumer %s: a flood of %s messages (%i of them)',
    async (kind, consumer, flood, count) => {
      await floodStream(kind, consumer, flood, count);
    },
    60_000,
  );

  const datagrams: Array<[Kind, Consumer, Flood]> = [
    ['udp', 'iterator', 'empty'],
    ['udp', 'late', 'empty'],
    ['udp', 'iterator', 'one-byte'],
    ['udp', 'late', 'one-byte'],
    ['udp-connected', 'iterator', 'empty'],
    ['udp-connected', 'late', 'one-byte'],
  ];
  it.each(datagrams)(
    '%s, consumer %s: a flood of %s datagrams',
    async (kind, consumer, flood) => {
      await floodUdp(kind, consumer, flood, 20_000);
    },
    60_000,
  );
});
