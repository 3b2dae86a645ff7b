// The length-prefix framing, byte by byte: split and coalesced chunks, empty messages, limits.
import { describe, expect, it } from 'vitest';
import { MessageTooLargeError } from '@message-io/core';
import { FrameDecoder, PREFIX_BYTES, frame } from '../src/framing.js';

function framed(...messages: Uint8Array[]): Uint8Array {
  const parts = messages.map((message) => frame(message));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

function decodeAll(decoder: FrameDecoder, chunks: Uint8Array[]): { messages: number[][]; error: Error | undefined } {
  const messages: number[][] = [];
  let error: Error | undefined;
  for (const chunk of chunks) {
    error ??= decoder.decode(chunk, { received: (data) => void messages.push([...data]) });
  }
  return { messages, error };
}

describe('frame', () => {
  it('puts a 4-byte big-endian length before the message', () => {
    expect([...framed(Uint8Array.of(7, 8, 9))]).toEqual([0, 0, 0, 3, 7, 8, 9]);
    expect([...framed(new Uint8Array(0))]).toEqual([0, 0, 0, 0]);
  });

  it('writes a large message as one buffer with a copy of it, so the caller may reuse its own', () => {
    const data = new Uint8Array(10_000).fill(5);
    const framed = frame(data);
    data.fill(9);
    expect(framed.byteLength).toBe(PREFIX_BYTES + 10_000);
    expect(framed.subarray(PREFIX_BYTES).every((byte) => byte === 5)).toBe(true);
  });
});

describe('FrameDecoder', () => {
  const messages = [Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3, 4), new Uint8Array(5000).fill(9)];
  const stream = framed(...messages);
  const expected = messages.map((m) => [...m]);

  it('decodes many messages from one chunk, empty ones included', () => {
    expect(decodeAll(new FrameDecoder(1 << 20), [stream])).toEqual({ messages: expected, error: undefined });
  });

  it('decodes the same stream cut at every byte', () => {
    const chunks = Array.from(stream, (byte) => Uint8Array.of(byte));
    expect(decodeAll(new FrameDecoder(1 << 20), chunks)).toEqual({ messages: expected, error: undefined });
  });

  it('refuses a declared length over maxMessageSize before buffering it', () => {
    const { messages: got, error } = decodeAll(new FrameDecoder(100), [Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3)]);
    expect(got).toEqual([]);
    expect(error).toBeInstanceOf(MessageTooLargeError);
  });

  it('accepts a message of exactly maxMessageSize', () => {
    const { messages: got } = decodeAll(new FrameDecoder(3), [framed(Uint8Array.of(1, 2, 3))]);
    expect(got).toEqual([[1, 2, 3]]);
  });
});
