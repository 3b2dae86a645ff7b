// The duties of docs/adapters.md section 6 that a broken adapter could otherwise hide: honest
// backpressure and `writable`, the inbound size limit, whole messages in order under a slow
// reader, and closing within `linger`. Each body is exported so that the testkit's own tests run
// it against a copy of an adapter broken in exactly one way and see it fail.
import { expect } from 'vitest';
import { MessageTooLargeError, SendStatus, split, type Endpoint, type NodeEvent } from '@message-io/core';
import { awaitSeeing, describeEvents, socketHandles, type Harness } from '../harness.js';
import { bytesOf, eventsOf, joinBytes, messagesOf, randomBytes, rng, sleep, utf8 } from '../support.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The suite's options with `extra` on top. */
function withOptions(options: unknown, extra: object): never {
  return { ...(options as object | undefined), ...extra } as never;
}

/** A message of `size` bytes (at least 8): its number, its size, then seeded bytes. */
function numbered(seq: number, size: number, random: () => number): Uint8Array {
  const message = randomBytes(random, size);
  const view = new DataView(message.buffer);
  view.setUint32(0, seq);
  view.setUint32(4, size);
  return message;
}

/** Why `got` is not the numbered message `want` (`undefined` when it is). */
function mismatch(got: Uint8Array, want: Uint8Array, at: number): string | undefined {
  if (got.byteLength !== want.byteLength) {
    const verb = got.byteLength < want.byteLength ? 'split' : 'merged';
    return `message ${at} has ${got.byteLength} bytes, ${want.byteLength} were sent (${verb})`;
  }
  const seq = new DataView(got.buffer, got.byteOffset).getUint32(0);
  if (seq !== at) return `message ${seq} came where ${at} was due`;
  for (let i = 0; i < got.byteLength; i++) if (got[i] !== want[i]) return `message ${at} differs at byte ${i}`;
  return undefined;
}

/** Checks that `received` is `sent`, message for message (packet-based) or as one stream. */
function expectSame(received: readonly Uint8Array[], sent: readonly Uint8Array[], packetBased: boolean, what: string): void {
  if (!packetBased) {
    const got = joinBytes(received);
    const want = joinBytes(sent);
    expect(got.byteLength, `${what}: bytes received`).toBe(want.byteLength);
    let differs = -1;
    for (let i = 0; i < want.byteLength && differs < 0; i++) if (got[i] !== want[i]) differs = i;
    expect(differs, `${what}: first byte that differs from what was sent`).toBe(-1);
    return;
  }
  for (let at = 0; at < Math.min(received.length, sent.length); at++) {
    const wrong = mismatch(received[at]!, sent[at]!, at);
    if (wrong !== undefined) throw new Error(`${what}: ${wrong}`);
  }
  expect(received.length, `${what}: messages received`).toBe(sent.length);
}

/**
 * Backpressure and `writable`: a sender to a peer that does not read meets `Backpressure` (its
 * `maxBufferedBytes` is 64 KiB), gets `writable` once the peer reads again, and every message
 * `send` answered `Sent` for arrives, in order.
 */
export async function backpressureAndWritable(h: Harness): Promise<void> {
  const { transport, connectOptions, wait } = h.settings;
  const size = Math.min(16 * KiB, h.settings.maxMessageSize);
  const limit = 32 * MiB;
  const [receiver, listener] = split({ maxStoredBytes: 256 * KiB });
  const received: NodeEvent<never>[] = [];
  try {
    const { addr } = await h.listen(receiver);
    const sender = h.node();
    const net = sender.handler.network();
    const endpoint = net.connect(transport, addr, withOptions(connectOptions, { maxBufferedBytes: 64 * KiB }));
    await awaitSeeing(
      () => net.isReady(endpoint.resourceId) === true,
      'the connection to be ready',
      wait,
      () => describeEvents(sender.events),
    );
    const random = rng(7);
    const sent: Uint8Array[] = [];
    let sentBytes = 0;
    let backpressures = 0;
    let stalled = false;
    const writableSince = (mark: number): boolean => sender.events.slice(mark).some((e) => e.type === 'writable' && e.endpoint === endpoint);
    const deadline = Date.now() + wait;
    // Send until a Backpressure is not followed by writable: the peer's buffers are full.
    while (!stalled && sentBytes < limit && Date.now() < deadline) {
      const message = numbered(sent.length, size, random);
      const status = net.send(endpoint, message);
      if (status === SendStatus.Sent) {
        sent.push(message);
        sentBytes += size;
        if (sent.length % 64 === 0) await sleep(1); // let the bytes move, as far as the peer's window lets them
      } else if (status === SendStatus.Backpressure) {
        backpressures++;
        const mark = sender.events.length;
        const until300 = Date.now() + 300;
        while (!writableSince(mark) && Date.now() < until300) await sleep(5);
        stalled = !writableSince(mark);
      } else {
        throw new Error(`send answered ${status} while the peer did not read, after ${sent.length} messages answered Sent`);
      }
    }
    if (backpressures === 0) {
      throw new Error(
        `send never answered Backpressure while the peer did not read (maxBufferedBytes 64 KiB): ${sent.length} messages ` +
          `(${sentBytes} bytes) answered Sent`,
      );
    }
    if (!stalled) {
      throw new Error(
        `the sender was never held back while the peer did not read: every Backpressure was followed by writable, ${sentBytes} bytes answered Sent`,
      );
    }
    const before = sender.events.length;
    void listener.forEach((event) => void received.push(event.type === 'message' ? { ...event, data: new Uint8Array(event.data) } : event));
    await awaitSeeing(
      () => sender.events.slice(before).some((e) => e.type === 'writable' && e.endpoint === endpoint),
      'a writable event for the connection that met Backpressure, once the peer read again',
      wait,
      () => describeEvents(eventsOf(sender.events.slice(before), endpoint)),
    );
    const last = numbered(sent.length, size, random);
    expect(net.send(endpoint, last), 'send after writable').toBe(SendStatus.Sent);
    sent.push(last);
    const total = sent.length * size;
    await awaitSeeing(
      () => bytesOf(received).byteLength >= total,
      `all ${sent.length} messages answered Sent (${total} bytes)`,
      wait,
      () => `${bytesOf(received).byteLength} bytes, then ${describeEvents(received.slice(-3))}`,
    );
    expectSame(messagesOf(received), sent, transport.packetBased, 'what the peer received');
  } finally {
    receiver.stop();
  }
}

/**
 * The inbound size limit: a listener with a 1 KiB `maxMessageSize`, a client with 64 KiB. The client
 * that sends 4 KiB is ended with `disconnected` and a `MessageTooLargeError`, its message is not
 * delivered, and the other client's connection is unaffected.
 */
export async function inboundSizeLimit(h: Harness, key: string): Promise<void> {
  const { transport, connectOptions, listenOptions, wait } = h.settings;
  const small = 1 * KiB;
  const large = Math.min(64 * KiB, h.settings.maxMessageSize);
  const server = h.node();
  const net = server.handler.network();
  const { addr } = await net.listen(transport, h.settings.bindAddr(), withOptions(listenOptions, { [key]: small }));
  const client = h.node();
  const connect = async (count: number): Promise<{ mine: Endpoint; theirs: Endpoint }> => {
    const mine = await client.handler.network().connectAndWait(transport, addr, withOptions(connectOptions, { [key]: large }));
    const accepted = await server.waitCount((e) => e.type === 'accepted', count, wait);
    return { mine, theirs: accepted[count - 1]!.type === 'accepted' ? (accepted[count - 1] as { endpoint: Endpoint }).endpoint : mine };
  };
  const offender = await connect(1);
  const bystander = await connect(2);
  h.sendOk(client.handler, offender.mine, utf8('fits'));
  await awaitSeeing(
    () => messagesOf(server.events, offender.theirs).length === 1,
    'a message under the limit',
    wait,
    () => describeEvents(server.events),
  );
  h.sendOk(client.handler, offender.mine, new Uint8Array(4 * KiB).fill(7));
  await awaitSeeing(
    () => server.events.some((e) => e.type === 'disconnected' && e.endpoint === offender.theirs),
    `disconnected, on the listening side, of the connection sent 4096 bytes over its maxMessageSize of ${small}`,
    wait,
    () => describeEvents(eventsOf(server.events, offender.theirs)),
  );
  const ended = server.events.find((e) => e.type === 'disconnected' && e.endpoint === offender.theirs);
  const error = ended?.type === 'disconnected' ? ended.error : undefined;
  expect(error, `the error of disconnected (${describeEvents(ended === undefined ? [] : [ended])})`).toBeInstanceOf(MessageTooLargeError);
  const delivered = messagesOf(server.events, offender.theirs).map((m) => m.byteLength);
  expect(delivered, 'sizes of the messages delivered from the connection over the limit').toEqual([4]);
  await awaitSeeing(
    () => client.events.some((e) => e.type === 'disconnected' && e.endpoint === offender.mine),
    'disconnected on the sending side',
    wait,
    () => describeEvents(eventsOf(client.events, offender.mine)),
  );
  h.sendOk(client.handler, bystander.mine, utf8('unaffected'));
  await awaitSeeing(
    () => messagesOf(server.events, bystander.theirs).length > 0,
    'the message of the other connection',
    wait,
    () => describeEvents(eventsOf(server.events, bystander.theirs)),
  );
  expect(bytesOf(server.events, bystander.theirs)).toEqual(utf8('unaffected'));
  expect(
    eventsOf(server.events, bystander.theirs).filter((e) => e.type === 'disconnected'),
    'the other connection',
  ).toEqual([]);
}

/**
 * Order and atomicity under a slow reader: messages of mixed sizes (some over a socket read of
 * 64 KiB) sent at once to a node whose async callback awaits 2 ms per message (and that stores at
 * most 128 KiB, so reading pauses and resumes) arrive whole and in order.
 */
export async function slowReader(h: Harness): Promise<void> {
  const { transport, connectOptions, wait } = h.settings;
  const random = rng(20);
  const largest = Math.min(160 * KiB, h.settings.maxMessageSize);
  const sizes = Array.from({ length: 60 }, (_, i) => (i % 7 === 3 ? Math.max(8, largest - i) : 8 + Math.floor(random() * 2_000)));
  const [receiver, listener] = split({ maxStoredBytes: 128 * KiB });
  const received: Uint8Array[] = [];
  const done = listener.forEach(async (event) => {
    if (event.type !== 'message') return;
    received.push(new Uint8Array(event.data));
    await sleep(2);
  });
  done.catch(() => undefined);
  try {
    const { addr } = await h.listen(receiver);
    const sender = h.node();
    const net = sender.handler.network();
    const endpoint = await net.connectAndWait(transport, addr, withOptions(connectOptions, { maxBufferedBytes: 64 * MiB }));
    const sent = sizes.map((size, seq) => numbered(seq, size, random));
    for (const message of sent) h.sendOk(sender.handler, endpoint, message);
    const total = sizes.reduce((n, s) => n + s, 0);
    await awaitSeeing(
      () => received.reduce((n, m) => n + m.byteLength, 0) >= total || received.length >= sent.length,
      `${sent.length} messages (${total} bytes)`,
      wait,
      () => `${received.length} messages, ${received.reduce((n, m) => n + m.byteLength, 0)} bytes`,
    );
    await sleep(50);
    expectSame(received, sent, true, 'under a slow reader');
  } finally {
    receiver.stop();
  }
}

/**
 * Closing within `linger`: `remove()` right after sends the transport has queued. The peer receives
 * all of it, then `disconnected`, well within `linger` (2 s), and the sockets are released.
 */
export async function closeWithinLinger(h: Harness): Promise<void> {
  const { transport, connectOptions, wait } = h.settings;
  const linger = 2_000;
  const margin = 1_000;
  const server = h.node();
  const { addr } = await h.listen(server.handler);
  const baseline = socketHandles();
  const client = h.node();
  const net = client.handler.network();
  const endpoint = await net.connectAndWait(transport, addr, withOptions(connectOptions, { linger, maxBufferedBytes: 64 * MiB }));
  const accepted = await server.waitFor((e) => e.type === 'accepted', wait);
  const peer = (accepted as { endpoint: Endpoint }).endpoint;
  const size = Math.min(64 * KiB, h.settings.maxMessageSize);
  const random = rng(5);
  const sent = Array.from({ length: 64 }, (_, seq) => numbered(seq, size, random));
  for (const message of sent) h.sendOk(client.handler, endpoint, message);
  const removedAt = Date.now();
  expect(net.remove(endpoint.resourceId)).toBe(true);
  const total = sent.length * size;
  await awaitSeeing(
    () => server.events.some((e) => e.type === 'disconnected' && e.endpoint === peer),
    'disconnected on the peer after the queued data',
    linger + margin,
    () => `${bytesOf(server.events, peer).byteLength} of ${total} bytes, then ${describeEvents(eventsOf(server.events, peer).slice(-3))}`,
  );
  const took = Date.now() - removedAt;
  const got = bytesOf(server.events, peer).byteLength;
  if (got !== total) {
    const ended = eventsOf(server.events, peer).at(-1)!;
    throw new Error(`the peer received ${got} of the ${total} bytes queued before remove(), then ${describeEvents([ended])}: close dropped queued data`);
  }
  expectSame(messagesOf(server.events, peer), sent, transport.packetBased, 'what was queued before remove()');
  expect(took, 'milliseconds from remove() to the peer’s disconnected').toBeLessThanOrEqual(linger + margin);
  await awaitSeeing(
    () => socketHandles() <= baseline,
    `the sockets of the removed connection to be released within linger + ${margin} ms`,
    Math.max(100, linger + margin - took),
    () => `${socketHandles()} socket handles, ${baseline} before connecting`,
  );
}

/** Registers the duty cases. */
export function registerDutyCases(h: Harness): void {
  const { connectionOriented, packetBased } = h.settings.transport;
  const connections: true | string = connectionOriented || 'not connection-oriented';
  h.case('backpressure and writable', () => backpressureAndWritable(h), connections);
  const key = h.settings.limitOption;
  const limited: true | string = !connectionOriented
    ? 'not connection-oriented: an oversize datagram is not a connection to end'
    : !Number.isFinite(h.settings.maxMessageSize)
      ? 'maxMessageSize is unbounded'
      : key === false
        ? 'the transport takes no per-connection maxMessageSize option (limitOption: false)'
        : true;
  h.case('inbound size limit', () => inboundSizeLimit(h, key === false ? 'maxMessageSize' : key), limited);
  const whole: true | string = !packetBased
    ? 'not packet-based: messages are chunks of a stream'
    : !connectionOriented
      ? 'not connection-oriented: datagrams to a slow reader may be dropped'
      : true;
  h.case('whole messages in order under a slow reader', () => slowReader(h), whole);
  h.case('remove delivers what was queued within linger', () => closeWithinLinger(h), connections);
}
