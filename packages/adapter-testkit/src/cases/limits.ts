// Limits and send outcomes that hold for every adapter (docs/reliability.md FT-05, LC-06 cases 1 to 4).
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { SendStatus, split, type NodeEvent, type NodeListener } from '@message-io/core';
import { echo, isConnectedOk, type Harness } from '../harness.js';
import { bytesOf, eventsOf, messagesOf, sleep, text, until, utf8 } from '../support.js';

async function oversizeSend(h: Harness): Promise<void> {
  const { transport, maxMessageSize, wait } = h.settings;
  const { server, client, endpoint } = await h.pair();
  expect(client.handler.network().send(endpoint, new Uint8Array(maxMessageSize + 1))).toBe(SendStatus.MaxPacketSizeExceeded);
  h.sendOk(client.handler, endpoint, utf8('small'));
  await until(() => bytesOf(client.events, endpoint).byteLength >= 5, { timeout: wait, what: 'the echo of the small message' });
  await sleep(50);
  expect(text(bytesOf(client.events, endpoint))).toBe('small');
  expect(text(bytesOf(server.events))).toBe('small');
  if (transport.packetBased) expect(messagesOf(server.events)).toHaveLength(1);
  expect(client.events.filter((e) => e.type === 'disconnected')).toEqual([]);
  expect(client.handler.network().isReady(endpoint.resourceId)).toBe(true);
}

async function sendBeforeReady(h: Harness): Promise<void> {
  const server = h.node();
  const { addr } = await h.listen(server.handler);
  const client = h.node();
  const net = client.handler.network();
  const endpoint = h.connect(client.handler, addr);
  expect(net.isReady(endpoint.resourceId)).toBe(false);
  expect(net.send(endpoint, utf8('too early'))).toBe(SendStatus.ResourceNotAvailable);
  await client.waitFor(isConnectedOk, h.settings.wait);
  expect(net.isReady(endpoint.resourceId)).toBe(true);
  h.sendOk(client.handler, endpoint, utf8('now'));
  await until(() => bytesOf(server.events).byteLength >= 3, { timeout: h.settings.wait, what: 'the message sent once ready' });
  expect(text(bytesOf(server.events))).toBe('now');
}

async function sendAfterRemove(h: Harness): Promise<void> {
  const { transport, wait } = h.settings;
  const { server, client, endpoint, listener } = await h.pair();
  const net = client.handler.network();
  expect(net.remove(endpoint.resourceId)).toBe(true);
  expect(net.send(endpoint, utf8('after remove'))).toBe(SendStatus.ResourceNotFound);
  expect(net.remove(endpoint.resourceId)).toBe(false);
  expect(net.isReady(endpoint.resourceId)).toBeUndefined();
  if (!transport.connectionOriented) return;
  const other = await h.connectAndWait(client.handler, listener.addr);
  const accepted = await server.waitCount((e) => e.type === 'accepted', 2, wait);
  const last = accepted[1]!;
  if (last.type === 'accepted') expect(server.handler.network().remove(last.endpoint.resourceId)).toBe(true);
  await client.waitFor((e) => e.type === 'disconnected' && e.endpoint === other, wait);
  expect(net.send(other, utf8('after disconnected'))).toBe(SendStatus.ResourceNotFound);
  expect(net.remove(other.resourceId)).toBe(false);
  expect(eventsOf(client.events, endpoint).map((e) => e.type)).toEqual(['connected']);
}

const MiB = 1024 * 1024;

/**
 * The most a connection's system buffers may hold on the way, receive and send sides together: on
 * Linux, the largest sizes TCP autotuning may grow them to (`net.ipv4.tcp_rmem` and `tcp_wmem`, the
 * third figure of each; 32 MiB and 4 MiB on some machines), else 13 MiB.
 */
function kernelBuffers(): number {
  const largest = (file: string): number => {
    try {
      return Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2]) || 0;
    } catch {
      return 0;
    }
  };
  const total = largest('/proc/sys/net/ipv4/tcp_rmem') + largest('/proc/sys/net/ipv4/tcp_wmem');
  return total > 0 ? total : 13 * MiB;
}

/**
 * A consumer that falls behind: past the node's `maxStoredBytes` the core pauses the connection
 * (`pauseReceive`), the transport's flow control holds the sender back (its sends meet
 * `Backpressure` and wait for `writable`), and once the consumer reads, every message comes, in
 * order. `consumer` says how the listening node reads: a `forEach` started late, or an async
 * iteration that has not pulled yet.
 */
async function consumerBehind(h: Harness, consumer: 'forEach' | 'iterator'): Promise<void> {
  const { wait } = h.settings;
  const size = Math.min(64 * 1024, h.settings.maxMessageSize);
  // Out of the sender while nobody reads: at most what is stored (2 MiB), its own cap (1 MiB) and
  // what the system's buffers may grow to on the way, with a margin. The sender offers twice that,
  // so that a node that kept reading would go past it.
  const bound = 2 * MiB + MiB + kernelBuffers() + 2 * MiB;
  const count = Math.ceil(Math.max(32 * MiB, 2 * bound) / size);
  const [handler, listener] = split({ maxStoredBytes: 2 * MiB });
  let next = 0;
  const source = h.node((event, net) => {
    if (event.type !== 'connected' && event.type !== 'writable') return;
    while (next < count) {
      const message = new Uint8Array(size);
      new DataView(message.buffer).setUint32(0, next);
      if (net.network().send(event.endpoint, message) !== SendStatus.Sent) break;
      next++;
    }
  });
  try {
    const { addr } = await h.listen(handler);
    const { transport, connectOptions } = h.settings;
    source.handler.network().connect(transport, addr, { ...(connectOptions as object | undefined), maxBufferedBytes: MiB } as never);
    await sleep(700);
    expect(next * size, 'bytes the sender got out while nobody read').toBeLessThan(bound);
    const seq = await readAll(listener as NodeListener<never>, consumer, count, wait);
    expect(seq).toBe(count);
  } finally {
    handler.stop();
  }
}

/** Reads `count` numbered messages from `listener`; fails on one out of order; returns how many came in order. */
async function readAll(listener: NodeListener<never>, consumer: 'forEach' | 'iterator', count: number, wait: number): Promise<number> {
  let seq = 0;
  const check = (event: NodeEvent<never>): boolean => {
    if (event.type !== 'message') return false;
    const at = new DataView(event.data.buffer, event.data.byteOffset).getUint32(0);
    if (at !== seq) throw new Error(`message ${at} came where ${seq} was due`);
    return ++seq === count;
  };
  if (consumer === 'iterator') {
    const deadline = Date.now() + wait;
    for await (const event of listener as AsyncIterable<NodeEvent<never>>) if (check(event) || Date.now() > deadline) break;
    return seq;
  }
  let failed: unknown;
  void listener.forEach((event) => {
    try {
      check(event);
    } catch (error) {
      failed ??= error;
    }
  });
  await until(() => seq === count || failed !== undefined, { timeout: wait, what: `all ${count} messages` });
  if (failed !== undefined) throw failed;
  return seq;
}

/**
 * `maxConnections: 2` on a listener: two clients are accepted; a third is never `accepted` (its
 * client sees `connected` with `ok: false`, or `connected` then `disconnected`: the adapter may
 * refuse it before or after its handshake) and counts once in the server's `stats().refused` (an
 * adapter that refuses it itself must report it with `Acceptor.refused`); the two established
 * ones still echo; once one is removed, a new client is accepted.
 */
async function maxConnections(h: Harness): Promise<void> {
  const { transport, listenOptions, wait } = h.settings;
  const server = h.node(echo);
  const { addr } = await server.handler.network().listen(transport, h.settings.bindAddr(), { ...(listenOptions as object), maxConnections: 2 } as never);
  const accepted = (): number => server.events.filter((e) => e.type === 'accepted').length;
  const client = h.node();
  const first = await h.connectAndWait(client.handler, addr);
  const second = await h.connectAndWait(client.handler, addr);
  await until(() => accepted() === 2, { timeout: wait, what: 'the server to accept the first two clients' });
  const third = h.connect(client.handler, addr);
  const ended = (): boolean =>
    client.events.some((e) => (e.type === 'connected' && e.endpoint === third && !e.ok) || (e.type === 'disconnected' && e.endpoint === third));
  await until(ended, { timeout: wait, what: 'the third client to be refused (connected ok: false) or closed (disconnected)' });
  await sleep(100);
  expect(accepted(), 'connections the server accepted with maxConnections 2').toBe(2);
  // Refused by the adapter (Acceptor.refused) or by the core: counted either way.
  await until(() => server.handler.network().stats().refused === 1, { timeout: wait, what: 'the third client counted once in stats().refused' });
  expect(server.handler.network().stats().connections, 'connections open on the server (stats().connections)').toBe(2);
  for (const endpoint of [first, second]) {
    h.sendOk(client.handler, endpoint, utf8('still here'));
    await until(() => text(bytesOf(client.events, endpoint)) === 'still here', { timeout: wait, what: 'the echo on an established connection' });
  }
  expect(client.handler.network().remove(first.resourceId)).toBe(true);
  await until(() => server.events.some((e) => e.type === 'disconnected'), { timeout: wait, what: 'the server to see the first client go' });
  const fourth = await h.connectAndWait(client.handler, addr);
  await until(() => accepted() === 3, { timeout: wait, what: 'the server to accept a client once a slot is free' });
  h.sendOk(client.handler, fourth, utf8('in the freed slot'));
  await until(() => text(bytesOf(client.events, fourth)) === 'in the freed slot', { timeout: wait, what: 'the echo in the freed slot' });
}

/** Registers the limit and send-outcome cases. */
export function registerLimitCases(h: Harness): void {
  const bounded = Number.isFinite(h.settings.maxMessageSize) || 'maxMessageSize is unbounded';
  h.case('oversize send', () => oversizeSend(h), bounded);
  h.case('send before ready', () => sendBeforeReady(h));
  h.case('send after remove', () => sendAfterRemove(h));
  const { connectionOriented, packetBased } = h.settings.transport;
  const streams: true | string = !connectionOriented
    ? 'not connection-oriented: datagrams over the bound are dropped'
    : !packetBased
      ? 'not packet-based: the numbered messages arrive as chunks'
      : true;
  h.case('a consumer behind: events before forEach are bounded', () => consumerBehind(h, 'forEach'), streams);
  h.case('a consumer behind: an iteration that does not pull is bounded', () => consumerBehind(h, 'iterator'), streams);
  h.case('maxConnections', () => maxConnections(h), connectionOriented || 'not connection-oriented');
}
