// The adapter's flow control and wire format against a raw werift peer that speaks the same
// signalling but writes what it likes on the data channel: a peer that sends past its credit, or
// sends a malformed batch or credit, is disconnected with a reason; a well-behaved raw peer sees
// that a node that does not read gives no credit, and that one that reads gives it back.
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { split, type NodeEvent, type NodeHandler, type NodeListener } from '@message-io/core';
import { testNode, until, type TestNode } from '@message-io/adapter-testkit';
import type { RTCDataChannel, RTCPeerConnection } from 'werift';
import { CHANNEL_LABEL } from '../src/adapter.js';
import { gathered, keepCandidates, newPeerConnection, readSignals, writeSignal } from '../src/signal.js';
import { WebRtc } from '../src/index.js';
import { BATCH, CREDIT, CREDIT_BYTES, GOODBYE, MESSAGE, WINDOW_BYTES, batch, credit, readCredit, single, unbatch } from '../src/wire.js';

interface RawPeer {
  channel: RTCDataChannel;
  /** Every credit the node sent, in order. */
  credits: number[];
  /** Every user message the node sent, in order. */
  messages: Buffer[];
  pc: RTCPeerConnection;
  socket: Socket;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A listening node that records its events, and its address. */
async function listening(): Promise<{ server: TestNode; addr: string }> {
  const server = testNode();
  cleanups.push(() => server.stop());
  const { addr } = await server.handler.network().listen(WebRtc, '127.0.0.1:0');
  return { server, addr: String(addr) };
}

/** A werift peer connected to `addr` through the transport's signalling, its channel open. */
async function rawPeer(addr: string): Promise<RawPeer> {
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  const pc = newPeerConnection();
  const channel = pc.createDataChannel(CHANNEL_LABEL, { ordered: true });
  const socket = new Socket();
  cleanups.push(() => {
    socket.destroy();
    void pc.close();
  });
  const peer: RawPeer = { channel, credits: [], messages: [], pc, socket };
  channel.onMessage.subscribe((data) => {
    if (typeof data === 'string') return;
    if (data[0] === CREDIT) peer.credits.push(readCredit(data) ?? Number.NaN);
    else if (data[0] === MESSAGE) peer.messages.push(data.subarray(1));
    else if (data[0] === BATCH) peer.messages.push(...(unbatch(data) as Buffer[]).map((m) => Buffer.from(m)));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect({ host, port }, resolve);
  });
  readSignals(
    socket,
    (message) => void pc.setRemoteDescription({ type: 'answer', sdp: message.sdp }),
    () => undefined,
  );
  await pc.setLocalDescription(await pc.createOffer());
  const offer = await gathered(pc);
  writeSignal(socket, { type: 'offer', sdp: keepCandidates(offer.sdp, true) });
  await until(() => channel.readyState === 'open', { timeout: 10_000, what: 'the raw peer’s channel to open' });
  return peer;
}

/** The error of the node's `disconnected` event, once it came. */
async function disconnectedWith(server: TestNode): Promise<Error | undefined> {
  const event = await server.waitFor((e) => e.type === 'disconnected', 10_000);
  return event.type === 'disconnected' ? event.error : undefined;
}

describe('wire format', () => {
  it('a batch gives back the messages it was made of, empty ones included, and a damaged one is refused', () => {
    const messages = [Buffer.from('a'), Buffer.alloc(0), Buffer.from('hello')];
    const wire = batch(messages, 0, 3, 1 + 3 * 2 + 6);
    expect((unbatch(wire) as Uint8Array[]).map((m) => Buffer.from(m).toString())).toEqual(['a', '', 'hello']);
    expect(unbatch(wire.subarray(0, wire.byteLength - 1))).toMatch(/past the end/);
    expect(unbatch(wire.subarray(0, 2))).toMatch(/inside a length/);
    expect(unbatch(Buffer.of(BATCH))).toMatch(/empty batch/);
  });

  it('a credit reads back, and a malformed one is undefined', () => {
    expect(readCredit(credit(123_456_789))).toBe(123_456_789);
    expect(readCredit(credit(-1))).toBeUndefined();
    expect(readCredit(credit(0.5))).toBeUndefined();
    expect(readCredit(credit(Number.NaN))).toBeUndefined();
    expect(readCredit(credit(1).subarray(0, CREDIT_BYTES - 1))).toBeUndefined();
  });
});

/** A listening node with no consumer yet, that stops taking after one stored byte; and its address. */
async function behind(): Promise<{ handler: NodeHandler<never>; listener: NodeListener<never>; addr: string }> {
  const [handler, listener] = split({ maxStoredBytes: 1 });
  cleanups.push(() => handler.stop());
  const { addr } = await handler.network().listen(WebRtc, '127.0.0.1:0');
  return { handler, listener, addr: String(addr) };
}

/** Starts a consumer on `listener`; returns the events it sees. */
function consume(listener: NodeListener<never>): NodeEvent<never>[] {
  const events: NodeEvent<never>[] = [];
  void listener.forEach((event) => void events.push(event));
  return events;
}

describe('a hostile peer', () => {
  it('that sends past its credit is disconnected with the reason', async () => {
    const { listener, addr } = await behind();
    const peer = await rawPeer(addr);
    // The node takes the first message and stops (its store is full): 20 KiB taken is under
    // GRANT_BYTES, so no credit comes, and the fifth message goes past WINDOW_BYTES.
    const size = 20 * 1024;
    const count = Math.floor(WINDOW_BYTES / (size + 1)) + 1;
    expect(count * (size + 1)).toBeGreaterThan(WINDOW_BYTES);
    for (let i = 0; i < count; i++) peer.channel.send(single(Buffer.alloc(size, i)));
    // The node ends the connection: it closes the signalling socket at once.
    await until(() => peer.socket.readableEnded || peer.socket.destroyed, { timeout: 10_000, what: 'the node to end the connection' });
    const events = consume(listener);
    await until(() => events.some((e) => e.type === 'disconnected'), { timeout: 5_000, what: 'disconnected' });
    const ended = events.find((e) => e.type === 'disconnected');
    expect(ended?.type === 'disconnected' && ended.error?.message).toMatch(/past the credit it was given \(98304 bytes\)/);
    expect(peer.credits).toEqual([]);
  });

  it('that sends a malformed batch, a malformed credit, an unknown kind or text is disconnected with the reason', async () => {
    const cases: [Buffer | string, RegExp][] = [
      [Buffer.of(BATCH, 0, 5, 1), /malformed batch/],
      [Buffer.of(CREDIT, 1, 2), /malformed credit/],
      [Buffer.of(GOODBYE, 0), /malformed goodbye/],
      [Buffer.of(9, 1, 2, 3), /unknown kind/],
      ['text', /not of this transport/],
    ];
    for (const [wire, reason] of cases) {
      const { server, addr } = await listening();
      const peer = await rawPeer(addr);
      await server.waitFor((e) => e.type === 'accepted', 10_000);
      peer.channel.send(wire);
      expect((await disconnectedWith(server))?.message, String(wire)).toMatch(reason);
    }
  });

  it('whose batch holds a message over maxMessageSize is disconnected with MessageTooLargeError', async () => {
    const server = testNode();
    cleanups.push(() => server.stop());
    const { addr } = await server.handler.network().listen(WebRtc, '127.0.0.1:0', { maxMessageSize: 100 });
    const peer = await rawPeer(String(addr));
    await server.waitFor((e) => e.type === 'accepted', 10_000);
    peer.channel.send(batch([Buffer.alloc(10), Buffer.alloc(101)], 0, 2, 1 + 2 + 10 + 2 + 101));
    const error = await disconnectedWith(server);
    expect(error?.name).toBe('MessageTooLargeError');
    expect(server.events.filter((e) => e.type === 'message')).toHaveLength(0); // nothing of a bad batch
  });
});

describe('credit', () => {
  it('a node whose consumer is behind gives none past its window; once it reads, it gives it back and everything arrives', async () => {
    const { listener, addr } = await behind();
    const peer = await rawPeer(addr);
    const size = 8 * 1024;
    const total = 4 * WINDOW_BYTES;
    let sent = 0;
    const room = (): number => (peer.credits.at(-1) ?? WINDOW_BYTES) - sent;
    /** Sends as far as the credit goes, for `ms`. */
    const sendFor = async (ms: number): Promise<void> => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline && sent < total) {
        if (room() >= size + 1) {
          peer.channel.send(single(Buffer.alloc(size, sent / (size + 1))));
          sent += size + 1;
        } else await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    await sendFor(1_000);
    // Nobody reads: the node took one message, gave no credit, and the peer stopped at its window.
    expect(peer.credits).toEqual([]);
    expect(sent).toBeLessThanOrEqual(WINDOW_BYTES);
    expect(sent).toBeGreaterThan(WINDOW_BYTES - size - 1);
    const events = consume(listener);
    await sendFor(10_000);
    expect(sent, 'bytes sent within the credit once the node reads').toBe(Math.ceil(total / (size + 1)) * (size + 1));
    const count = sent / (size + 1);
    await until(() => events.filter((e) => e.type === 'message').length === count, { timeout: 10_000, what: `all ${count} messages` });
    const firsts = events.flatMap((e) => (e.type === 'message' ? [e.data[0]] : []));
    expect(firsts).toEqual(Array.from({ length: count }, (_, i) => i & 0xff));
    // Credits are whole numbers of bytes, and only grow.
    expect(peer.credits.every((c, i) => Number.isSafeInteger(c) && (i === 0 || c > peer.credits[i - 1]!))).toBe(true);
  });
});
