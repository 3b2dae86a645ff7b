// Who owns the bytes: a received message stays intact when the user keeps it (stored as it is, or
// read after an `await`), and `send` takes the bytes it is given when it is called.
import { expect } from 'vitest';
import { split, type Endpoint, type NodeEvent, type NodeHandler } from '@message-io/core';
import type { Harness } from '../harness.js';
import { largestMessage } from '../options.js';
import { bytesOf, joinBytes, until } from '../support.js';

/** Bytes of message `i`: its index, then a pattern that depends on it, so that a damaged or misplaced message shows. */
function patterned(i: number, size: number): Uint8Array {
  const message = new Uint8Array(size);
  for (let at = 0; at < size; at++) message[at] = (i * 31 + at * 7 + (at >>> 8)) & 0xff;
  if (size >= 4) new DataView(message.buffer).setUint32(0, i, true);
  return message;
}

/** Sizes that mix small messages (many per read) with a few that span reads. */
function sizeOf(i: number, largest: number): number {
  if (i % 97 === 13) return Math.min(largest, 70_000 + (i % 7) * 1_000);
  return Math.min(largest, 8 + ((i * 37) % 700));
}

function firstDifference(got: Uint8Array, want: Uint8Array): string | undefined {
  if (got.byteLength !== want.byteLength) return `${got.byteLength} bytes instead of ${want.byteLength}`;
  for (let at = 0; at < want.byteLength; at++) if (got[at] !== want[at]) return `byte ${at} is ${got[at]}, not ${want[at]}`;
  return undefined;
}

/** A node whose callback keeps `event.data` as it is, with no copy (as users do), optionally after an `await`. */
function keepingNode(awaitFirst: boolean): { handler: NodeHandler<never>; kept: Uint8Array[]; accepted: Endpoint[]; done: Promise<void> } {
  const [handler, listener] = split();
  const kept: Uint8Array[] = [];
  const accepted: Endpoint[] = [];
  const keep = (event: NodeEvent<never>): void => {
    if (event.type === 'message') kept.push(event.data);
    else if (event.type === 'accepted') accepted.push(event.endpoint);
  };
  const done = awaitFirst
    ? listener.forEach(async (event) => {
        await new Promise((resolve) => setImmediate(resolve));
        keep(event);
      })
    : listener.forEach(keep);
  done.catch(() => undefined);
  return { handler, kept, accepted, done };
}

async function keptIntact(h: Harness, awaitFirst: boolean): Promise<void> {
  const { transport, wait } = h.settings;
  const count = transport.connectionOriented ? 2_000 : 200;
  const perTurn = transport.connectionOriented ? 100 : 20;
  const largest = Math.min(largestMessage(h.settings), 256 * 1024);
  const server = keepingNode(awaitFirst);
  const client = h.node();
  try {
    const { addr } = await h.listen(server.handler);
    const endpoint = await h.connectAndWait(client.handler, addr);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const message = patterned(i, sizeOf(i, largest));
      sent.push(message);
      h.sendOk(client.handler, endpoint, message);
      if (i % perTurn === perTurn - 1) await new Promise((resolve) => setImmediate(resolve));
    }
    const total = sent.reduce((sum, m) => sum + m.byteLength, 0);
    const received = (): number => server.kept.reduce((sum, m) => sum + m.byteLength, 0);
    await until(() => received() >= total, { timeout: wait, what: 'every message' }).catch(() => undefined);
    // Let later reads happen: a message lent from a reused buffer would be overwritten by now.
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (!transport.packetBased) {
      const problem = firstDifference(joinBytes(server.kept), joinBytes(sent));
      expect(problem, 'the kept chunks, joined, are the stream sent').toBeUndefined();
      return;
    }
    expect(server.kept).toHaveLength(count);
    const damaged = sent.flatMap((want, i) => {
      const problem = firstDifference(server.kept[i]!, want);
      return problem === undefined ? [] : [`message ${i}: ${problem}`];
    });
    expect(damaged.slice(0, 5), `${damaged.length} of ${count} kept messages changed after their callback`).toEqual([]);
  } finally {
    server.handler.stop();
  }
}

async function sendTakesBytes(h: Harness): Promise<void> {
  const { transport, wait } = h.settings;
  const count = transport.connectionOriented ? 20 : 10;
  const sizes = [100, Math.min(largestMessage(h.settings), 200 * 1024)];
  // The receiver records a copy of each message in its callback (testNode), so that this case
  // checks the sender alone, whatever the receiver's mode.
  const server = h.node(() => undefined);
  const client = h.node();
  const { addr } = await h.listen(server.handler);
  const endpoint = await h.connectAndWait(client.handler, addr);
  const sent: Uint8Array[] = [];
  for (const size of sizes) {
    // One buffer, filled anew before each send and scribbled over right after it: what
    // arrives must be what it held when `send` was called.
    const buffer = new Uint8Array(size);
    for (let i = 0; i < count; i++) {
      const message = patterned(sent.length, size);
      buffer.set(message);
      h.sendOk(client.handler, endpoint, buffer);
      buffer.fill(0xee);
      sent.push(message);
      // A datagram transport drops what overflows the receive buffer: let the receiver read.
      if (!transport.connectionOriented) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const total = sent.reduce((sum, m) => sum + m.byteLength, 0);
  await until(() => bytesOf(server.events).byteLength >= total, { timeout: wait, what: 'every message' }).catch(() => undefined);
  const problem = firstDifference(bytesOf(server.events), joinBytes(sent));
  expect(problem, 'what arrived is what each buffer held when send was called').toBeUndefined();
}

/** Registers the cases on who owns received and sent bytes. */
export function registerOwnershipCases(h: Harness): void {
  h.case('kept messages stay intact', () => keptIntact(h, false));
  h.case('messages read after an await stay intact', () => keptIntact(h, true));
  h.case('send takes the bytes when called', () => sendTakesBytes(h));
}
