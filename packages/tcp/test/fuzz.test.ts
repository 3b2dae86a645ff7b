// ND-01: seeded garbage on Tcp and FramedTcp listeners. The node survives, every accepted
// connection ends in one disconnected, descriptors return to baseline, and any FramedTcp message
// is a frame that really is in the garbage.
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Transport } from '@message-io/core';
import { FramedTcp, Tcp } from '@message-io/tcp';
import { randomBytes, rng, testNode, until } from './support.js';

const CONNECTIONS = 2000;
const PARALLEL = 20;

/** An independent reading of FramedTcp: the frames completed in `bytes`, up to the first bad prefix. */
function referenceFrames(bytes: Uint8Array, max: number): string[] {
  const frames: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    let length = 0n;
    let shift = 0n;
    let ended = false;
    for (let i = 0; i < 10 && at < bytes.length; i++) {
      const byte = bytes[at++]!;
      length |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (length > BigInt(max)) return frames;
      if ((byte & 0x80) === 0) {
        ended = true;
        break;
      }
    }
    if (!ended || at + Number(length) > bytes.length) return frames;
    frames.push(Buffer.from(bytes.subarray(at, at + Number(length))).toString('hex'));
    at += Number(length);
  }
  return frames;
}

const openDescriptors = (): number => readdirSync('/proc/self/fd').length;

describe.each([
  ['Tcp', Tcp],
  ['FramedTcp', FramedTcp],
] as [string, Transport<never, never>][])('%s listener under seeded garbage', (_name, transport) => {
  it(`survives ${CONNECTIONS} connections of random bytes, ${PARALLEL} at a time`, { timeout: 30_000 }, async () => {
    const max = 1024;
    const server = testNode();
    try {
      const { addr } = await server.handler.network().listen(transport, '127.0.0.1:0', { maxMessageSize: transport.packetBased ? max : undefined } as never);
      const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
      const baseline = openDescriptors();
      const random = rng(2024);
      // A port can serve several connections in turn (a reset frees it at once): keep them in order.
      const sentBy = new Map<string, Uint8Array[]>();
      let next = 0;
      const one = async (): Promise<void> => {
        const bytes = randomBytes(random, Math.floor(random() * 4097));
        await new Promise<void>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port }, () => {
            const key = `127.0.0.1:${socket.localPort}`;
            sentBy.set(key, [...(sentBy.get(key) ?? []), bytes]);
            socket.end(bytes);
          });
          socket.on('error', () => resolve());
          socket.on('close', () => resolve());
          socket.resume();
        });
      };
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          while (next < CONNECTIONS) {
            next++;
            await one();
          }
        }),
      );
      const accepted = (): number => server.events.filter((e) => e.type === 'accepted').length;
      const disconnected = (): number => server.events.filter((e) => e.type === 'disconnected').length;
      await until(() => accepted() === CONNECTIONS && disconnected() === CONNECTIONS, { timeout: 10_000, what: 'every connection to end' });
      await until(() => openDescriptors() <= baseline + 2, { timeout: 5000, what: 'descriptors back to baseline' });

      const sentTo = new Map<object, Uint8Array>();
      const messages = new Map<object, string[]>();
      const ends = new Map<object, number>();
      for (const e of server.events) {
        if (e.type === 'accepted') sentTo.set(e.endpoint, sentBy.get(e.endpoint.addr)!.shift()!);
        if (e.type === 'message') messages.set(e.endpoint, [...(messages.get(e.endpoint) ?? []), Buffer.from(e.data).toString('hex')]);
        if (e.type === 'disconnected') ends.set(e.endpoint, (ends.get(e.endpoint) ?? 0) + 1);
      }
      for (const [endpoint, got] of messages) {
        const sent = sentTo.get(endpoint)!;
        if (transport.packetBased) expect(got).toEqual(referenceFrames(sent, max).slice(0, got.length));
        else expect(Buffer.from(sent).toString('hex').startsWith(got.join(''))).toBe(true);
      }
      expect(ends.size).toBe(CONNECTIONS);
      expect([...ends.values()].every((n) => n === 1)).toBe(true);
    } finally {
      server.handler.stop();
    }
  });
});
