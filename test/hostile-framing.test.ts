// Hostile framing must not amplify memory: what a peer can make a node hold grows with the bytes
// it sends (a small multiple of them) plus a fixed amount per connection, however it cuts them.
// Each test starts a node in a child process (test/fixtures/framing-node.mjs: one listener, every
// message counted and dropped) and attacks it from this process over raw sockets on 127.0.0.1:
// frames trickled a byte per read, a message in thousands of one-byte fragments, connections that
// stall halfway through a frame or a handshake. The child runs with --expose-gc and a 1 MiB young
// generation (--max-semi-space-size=1), so that its memory after gc() follows what it keeps rather
// than the garbage it made. Two figures are asserted: live memory (heapUsed + arrayBuffers), which
// is what the node keeps and is precise, and the resident set (VmRSS), with a generous allowance
// for the heap pages V8 keeps. Every loop is bounded in count and in time; every child is killed
// by its PID after each test. The figures print as `hostile framing: {...}` (docs/reliability.md).
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanUp, connectAll, ipcPrefix, KiB, MiB, prefix, received, sleep, startJsonChild, upgradeAll, wsFrame, writeAll } from './support/raw-peers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE = join(root, 'test/fixtures/framing-node.mjs');
const sockets = mkdtempSync(join(tmpdir(), 'mio-framing-'));

/** What the child prints on `report`: its memory after two gc() calls, and its counts. */
interface Report {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
  external: number;
  accepted: number;
  open: number;
  disconnected: number;
  messages: number;
  bytes: number;
  errors: Record<string, number>;
}

/** A node under attack, in its own process. */
interface FramingNode {
  /** Its listener's port (TCP kinds). */
  readonly port: number;
  /** Its socket file (Ipc). */
  readonly path: string | undefined;
  /** Its memory and counts, now. */
  report(): Promise<Report>;
  /** Lines it printed with an uncaught error (none expected). */
  uncaught(): string[];
}

afterEach(cleanUp);
afterAll(() => rmSync(sockets, { recursive: true, force: true }));

/** Starts the fixture for `kind` (framed, ws, ws-lent, ipc) with listen `options`. */
async function startNode(kind: string, options: object = {}): Promise<FramingNode> {
  const path = kind === 'ipc' ? join(sockets, `${kind}.sock`) : undefined;
  const child = startJsonChild(FIXTURE, [kind, JSON.stringify(options), path ?? ''], root, ['--expose-gc', '--max-semi-space-size=1']);
  const addr = await child.next<string>('addr');
  return {
    port: Number(addr.slice(addr.lastIndexOf(':') + 1)),
    path,
    report: () => child.ask<Report>('report', 'report'),
    uncaught: () =>
      child
        .lines()
        .filter((l) => 'uncaught' in l)
        .map((l) => String(l.uncaught)),
  };
}

/**
 * Warms the node up before its baseline: one well-behaved connection sends a 2 MiB message in
 * 64 KiB writes and leaves, so that the baseline holds what any use costs once (compiled code,
 * and the receive buffer of `ws-lent`, which grows to 1 MiB at its first full read).
 */
async function warmUp(node: FramingNode, kind: string): Promise<void> {
  const ws = kind.startsWith('ws');
  const [socket] = ws ? await upgradeAll(node, 1) : await connectAll(node, 1);
  const message = Buffer.alloc(2 * MiB, 0x61);
  await writeAll(socket!, ws ? wsFrame(0x82, message) : Buffer.concat([kind === 'ipc' ? ipcPrefix(message.length) : prefix(message.length), message]));
  const deadline = Date.now() + 10_000;
  while ((await node.report()).messages < 1 && Date.now() < deadline) await sleep(50);
  socket!.destroy();
  const r = await settled(node);
  if (r.messages !== 1 || r.open !== 0) throw new Error(`warm-up: ${JSON.stringify(r)}`);
}

/** Live memory: what the node's objects and buffers take. */
const live = (r: Report): number => r.heapUsed + r.arrayBuffers;

/**
 * Sends one byte to every socket per round, `rounds` times, a few milliseconds apart, so that the
 * node reads each byte on its own (on a loaded machine some arrive together: a milder attack).
 * Stops early past `ms`. Returns the bytes sent.
 */
async function trickle(all: readonly Socket[], rounds: number, ms = 8000): Promise<number> {
  const deadline = Date.now() + ms;
  let sent = 0;
  const byte = Buffer.from([0x61]);
  for (let round = 0; round < rounds && Date.now() < deadline; round++) {
    for (const socket of all) socket.write(byte);
    sent += all.length;
    await sleep(4);
  }
  // Let the node read the last round.
  await sleep(200);
  return sent;
}

/** Polls the node until it has no connection open (bounded by `ms`); returns its last report. */
async function settled(node: FramingNode, ms = 10_000): Promise<Report> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await node.report();
    if (r.open === 0 || Date.now() > deadline) return r;
    await sleep(100);
  }
}

/** What one attack cost, for the test's assertions and the printed figures. */
interface Cost {
  attack: string;
  connections: number;
  /** Bytes the attacker sent, from `before`. */
  sent: number;
  live: number;
  rss: number;
}

function costOf(attack: string, connections: number, sent: number, before: Report, during: Report): Cost {
  const cost = { attack, connections, sent, live: live(during) - live(before), rss: during.rss - before.rss };
  const perConnection = (n: number): string => `${(n / connections / KiB).toFixed(2)} KiB`;
  console.log(
    `hostile framing: ${JSON.stringify({
      ...cost,
      liveMiB: (cost.live / MiB).toFixed(2),
      rssMiB: (cost.rss / MiB).toFixed(2),
      livePerByteSent: (cost.live / Math.max(sent, 1)).toFixed(2),
      livePerConnection: perConnection(cost.live),
      rssPerConnection: perConnection(cost.rss),
    })}`,
  );
  return cost;
}

/**
 * The bound every attack must keep: live memory within `perByte` times the bytes sent plus
 * `perConnection` per connection plus 1 MiB; the resident set within 8 times the bytes sent plus
 * 32 KiB per connection plus 24 MiB (the heap V8 grows to and keeps, whatever is live in it).
 */
function expectBounded(cost: Cost, perByte: number, perConnection: number): void {
  expect(cost.live, `${cost.attack}: live memory`).toBeLessThan(perByte * cost.sent + perConnection * cost.connections + MiB);
  expect(cost.rss, `${cost.attack}: resident set`).toBeLessThan(8 * cost.sent + 32 * KiB * cost.connections + 24 * MiB);
}

/** Closes the attack's sockets; the node must end them all and give back what they held. */
async function expectReleased(node: FramingNode, all: readonly Socket[], empty: Report): Promise<void> {
  for (const socket of all) socket.destroy();
  const after = await settled(node);
  expect(after.open).toBe(0);
  expect(live(after) - live(empty), 'live memory after the attack').toBeLessThan(MiB);
  expect(node.uncaught()).toEqual([]);
}

describe('hostile framing: memory grows with the bytes a peer sends, not with how it cuts them', () => {
  it('FramedTcp: 200 connections trickle a frame declared as 1 MiB, one byte per read', async () => {
    const node = await startNode('framed');
    await warmUp(node, 'framed');
    const empty = await node.report();
    const all = await connectAll(node, 200);
    for (const socket of all) socket.write(prefix(MiB));
    await sleep(200);
    const before = await node.report();
    const sent = await trickle(all, 300);
    const cost = costOf('FramedTcp trickle', all.length, sent, before, await node.report());
    expectBounded(cost, 4, 2 * KiB);
    await expectReleased(node, all, empty);
  });

  it('FramedTcp: 300 connections send 8 KiB of a 64 KiB frame and stall', async () => {
    const node = await startNode('framed');
    await warmUp(node, 'framed');
    const empty = await node.report();
    const all = await connectAll(node, 300);
    let sent = 0;
    for (const socket of all) {
      const half = Buffer.concat([prefix(64 * KiB), Buffer.alloc(8 * KiB, 0x61)]);
      socket.write(half);
      sent += half.length;
    }
    await sleep(500);
    const cost = costOf('FramedTcp half frame', all.length, sent, empty, await node.report());
    expectBounded(cost, 3, 8 * KiB);
    await expectReleased(node, all, empty);
  });

  it('Ipc: 200 connections trickle a message declared as 1 MiB, one byte per read', async () => {
    const node = await startNode('ipc');
    await warmUp(node, 'ipc');
    const empty = await node.report();
    const all = await connectAll(node, 200);
    for (const socket of all) socket.write(ipcPrefix(MiB));
    await sleep(200);
    const before = await node.report();
    const sent = await trickle(all, 300);
    const cost = costOf('Ipc trickle', all.length, sent, before, await node.report());
    expectBounded(cost, 4, 2 * KiB);
    await expectReleased(node, all, empty);
  });

  it.each(['ws', 'ws-lent'])('Ws (%s): 20 connections each send a message as 16,000 one-byte fragments; half of them finish it', async (kind) => {
    const node = await startNode(kind);
    await warmUp(node, kind);
    const empty = await node.report();
    const all = await upgradeAll(node, 20);
    const before = await node.report();
    const fragments = 16_000;
    let sent = 0;
    const middle = wsFrame(0x00, Buffer.from([0x61]));
    const body = Buffer.concat([wsFrame(0x02, Buffer.from([0x61])), Buffer.alloc(middle.length * (fragments - 2))]);
    for (let at = body.length - middle.length * (fragments - 2); at < body.length; at += middle.length) middle.copy(body, at);
    // Then a Ping: its Pong comes once the node has read everything before it.
    const ping = wsFrame(0x89, Buffer.from('done'));
    const finished = Buffer.concat([body, wsFrame(0x80, Buffer.from([0x61])), ping]);
    const unfinished = Buffer.concat([body, ping]);
    const pongs = received(all, 'the Pong after the fragments', 20_000);
    await Promise.all(
      all.map(async (socket, i) => {
        const bytes = i % 2 === 0 ? finished : unfinished;
        sent += bytes.length;
        await writeAll(socket, bytes);
      }),
    );
    await pongs;
    const during = await node.report();
    const cost = costOf(`Ws fragments (${kind})`, all.length, sent, before, during);
    expect(during.messages - before.messages).toBe(10);
    expect(during.bytes - before.bytes).toBe(10 * fragments);
    expectBounded(cost, 2, 4 * KiB);
    await expectReleased(node, all, empty);
  });

  it.each(['ws', 'ws-lent'])(
    'Ws (%s): 210 connections trickle a binary frame, a text frame and a fragment declared as 1 MiB, one byte per read',
    async (kind) => {
      const node = await startNode(kind);
      await warmUp(node, kind);
      const empty = await node.report();
      const all = await upgradeAll(node, 210);
      // A third each: a final binary frame, a final text frame, the first fragment of a binary message.
      all.forEach((socket, i) => socket.write(wsFrame([0x82, 0x81, 0x02][i % 3]!, Buffer.alloc(0), MiB)));
      await sleep(200);
      const before = await node.report();
      const sent = await trickle(all, 300);
      const cost = costOf(`Ws trickle (${kind})`, all.length, sent, before, await node.report());
      expectBounded(cost, 4, 2 * KiB);
      await expectReleased(node, all, empty);
    },
  );

  it('Ws: 300 connections send part of an upgrade request and stall: each costs a fixed amount, the node ends them all by its handshakeTimeout', async () => {
    const handshakeTimeout = 2000;
    const node = await startNode('ws', { handshakeTimeout });
    await warmUp(node, 'ws');
    const empty = await node.report();
    const all = await connectAll(node, 300);
    const started = Date.now();
    const ended = Promise.all(all.map((socket) => new Promise<number>((done) => socket.once('close', () => done(Date.now() - started)))));
    let sent = 0;
    for (const socket of all) {
      const part = Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nX-Padding: ${'a'.repeat(4 * KiB)}`);
      socket.write(part);
      sent += part.length;
    }
    await sleep(500);
    const cost = costOf('Ws half-open handshake', all.length, sent, empty, await node.report());
    expectBounded(cost, 1, 16 * KiB);
    // The node ends them at handshakeTimeout (2 s) after it accepted each; without it they would
    // stay until the 10 s default. Waiting up to 7 s leaves room on a busy machine and is still
    // short of that default, so every connection ending in time means the option ended it.
    const times = await Promise.race([ended, sleep(handshakeTimeout + 5000).then(() => [] as number[])]);
    expect(times.length, 'connections the node ended').toBe(all.length);
    await expectReleased(node, all, empty);
  });
});
