import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BorrowedBytes } from '@message-io/core';
import { encodeVarint, FrameDecoder } from '@message-io/tcp';
import { joinBytes } from '@message-io/adapter-testkit';

function frame(payload: Uint8Array): Uint8Array {
  const prefix = encodeVarint(payload.length);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix);
  out.set(payload, prefix.length);
  return out;
}

/** Feeds `stream` cut at `cuts`; returns the decoded messages (copied) and the first error. */
function decodeCut(stream: Uint8Array, cuts: number[], max = 1 << 20) {
  const decoder = new FrameDecoder(max);
  const messages: Uint8Array[] = [];
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  let error: Error | undefined;
  for (const end of [...points, stream.length]) {
    if (end < start) continue;
    error ??= decoder.decode(stream.subarray(start, end), { received: (m) => void messages.push(new Uint8Array(m)) });
    start = end;
  }
  return { messages, error, decoder };
}

const payloads = fc.array(fc.oneof({ weight: 1, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 10, arbitrary: fc.uint8Array({ maxLength: 3000 }) }), {
  maxLength: 40,
});

describe('FrameDecoder', () => {
  it('gives back every frame whole and in order, however the stream is cut', () => {
    fc.assert(
      fc.property(payloads, fc.array(fc.nat(), { maxLength: 60 }), (messages, cuts) => {
        const { messages: got, error } = decodeCut(joinBytes(messages.map(frame)), cuts);
        expect(error).toBeUndefined();
        expect(got).toEqual(messages);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('with copyPieces, frames stay whole though each chunk is overwritten once decoded, and every frame is lent', () => {
    fc.assert(
      fc.property(payloads, fc.array(fc.nat(), { maxLength: 60 }), (messages, cuts) => {
        const stream = joinBytes(messages.map(frame));
        const decoder = new FrameDecoder(1 << 20, true);
        const reused = new ArrayBuffer(stream.length + 1); // one receive buffer, read into again and again
        const got: Uint8Array[] = [];
        let viewsOfPlainCopies = 0;
        let notLent = 0;
        const sink = {
          received: (m: Uint8Array) => {
            if (m.buffer === reused && !(m instanceof BorrowedBytes)) viewsOfPlainCopies++;
            if (m.byteLength > 0 && !(m instanceof BorrowedBytes)) notLent++;
            got.push(new Uint8Array(m));
          },
        };
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        let start = 0;
        for (const end of [...points, stream.length]) {
          const chunk = new BorrowedBytes(reused, 0, end - start);
          chunk.set(stream.subarray(start, end));
          expect(decoder.decode(chunk, sink)).toBeUndefined();
          chunk.fill(0xee);
          start = end;
        }
        expect(viewsOfPlainCopies).toBe(0);
        expect(notLent).toBe(0); // frames joined from pieces are lent too (their buffer serves again)
        expect(got).toEqual(messages);
        expect(decoder.idle).toBe(true);
      }),
      { seed: 43, numRuns: 300 },
    );
  });

  it('handles a prefix split one byte per chunk and frames coalesced in one chunk', () => {
    const messages = [new Uint8Array(100000).fill(7), new Uint8Array(0), new Uint8Array([1, 2, 3])];
    const stream = joinBytes(messages.map(frame));
    const byteByByte = decodeCut(
      stream,
      Array.from({ length: 12 }, (_, i) => i),
    );
    expect(byteByByte.messages).toEqual(messages);
    expect(decodeCut(stream, []).messages).toEqual(messages);
  });

  it('hands over a frame inside one chunk as a view of that chunk, without copying', () => {
    const chunk = joinBytes([frame(new Uint8Array([1, 2])), frame(new Uint8Array([3]))]);
    const views: Uint8Array[] = [];
    new FrameDecoder(100).decode(chunk, { received: (m) => void views.push(m) });
    expect(views.map((v) => v.buffer === chunk.buffer)).toEqual([true, true]);
    expect(views.map((v) => [...v])).toEqual([[1, 2], [3]]);
  });

  it('accepts non-minimal prefixes, as the Rust decoder does', () => {
    const got: number[][] = [];
    const error = new FrameDecoder(100).decode(new Uint8Array([0x80, 0x00, 0x81, 0x00, 9]), { received: (m) => void got.push([...m]) });
    expect(error).toBeUndefined();
    expect(got).toEqual([[], [9]]);
  });

  it('rejects a declared length over the limit within the prefix, before any payload is kept', () => {
    const huge = [
      [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10], // 2^60
      [...encodeVarint(2 ** 31)],
      [...encodeVarint(2 ** 32)],
      [...encodeVarint(2 ** 53)],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 2^64 - 1
      [...encodeVarint((1 << 20) + 1)],
    ];
    for (const prefix of huge) {
      const decoder = new FrameDecoder(1 << 20);
      let messages = 0;
      const error = decoder.decode(new Uint8Array([...prefix, ...new Uint8Array(64)]), { received: () => void messages++ });
      expect(error?.name, prefix.join(',')).toBe('MessageTooLargeError');
      expect((error as { code?: string }).code).toBe('ERR_MESSAGE_TOO_LARGE');
      expect(messages).toBe(0);
      expect(decoder.pendingBytes).toBe(0);
    }
    const exact = new FrameDecoder(1 << 20).decode(encodeVarint(1 << 20), { received: () => undefined });
    expect(exact).toBeUndefined();
  });

  it('rejects a prefix that is not a u64 (no terminator within 10 bytes, or a 10th byte over 1)', () => {
    const unbounded = new FrameDecoder(Number.MAX_SAFE_INTEGER);
    const overflow = unbounded.decode(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]), { received: () => undefined });
    expect((overflow as { code?: string }).code).toBe('ERR_PROTOCOL');
    const noEnd = new FrameDecoder(Number.MAX_SAFE_INTEGER).decode(new Uint8Array(11).fill(0x80), { received: () => undefined });
    expect((noEnd as { code?: string }).code).toBe('ERR_PROTOCOL');
    // 0xff bytes pass 2^20 at the third byte: too large, before the prefix could be malformed.
    const ffs = new FrameDecoder(1 << 20).decode(new Uint8Array(11).fill(0xff), { received: () => undefined });
    expect((ffs as { code?: string }).code).toBe('ERR_MESSAGE_TOO_LARGE');
  });

  it('decodes random prefixes as exact integer arithmetic does (BigInt): the same length, or the same error', () => {
    const max = 2 ** 40;
    /** What an unsigned LEB128 u64 prefix at the start of `bytes` says, read with BigInt. */
    const reference = (bytes: Uint8Array): { length: bigint; end: number } | 'incomplete' | 'ERR_PROTOCOL' | 'ERR_MESSAGE_TOO_LARGE' => {
      let length = 0n;
      for (let i = 0; i < bytes.length; i++) {
        const byte = bytes[i]!;
        if (i === 9 && byte > 1) return 'ERR_PROTOCOL';
        length += BigInt(byte & 0x7f) << BigInt(7 * i);
        if (length > BigInt(max)) return 'ERR_MESSAGE_TOO_LARGE';
        if ((byte & 0x80) === 0) return { length, end: i + 1 };
      }
      return 'incomplete';
    };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 12 }), fc.uint8Array({ maxLength: 300 }), (prefix, payload) => {
        const stream = new Uint8Array([...prefix, ...payload]);
        const messages: Uint8Array[] = [];
        const error = new FrameDecoder(max).decode(stream, { received: (m) => void messages.push(new Uint8Array(m)) });
        const expected = reference(stream);
        if (typeof expected === 'string') {
          if (expected === 'incomplete') expect(error).toBeUndefined();
          else expect((error as { code?: string } | undefined)?.code).toBe(expected);
          if (expected !== 'incomplete') expect(messages).toEqual([]);
          return;
        }
        // A whole first frame is handed over with exactly the declared length and bytes.
        const available = BigInt(stream.length - expected.end);
        if (expected.length <= available) {
          const length = Number(expected.length);
          expect(messages[0]).toEqual(stream.subarray(expected.end, expected.end + length));
        } else expect(messages).toEqual([]);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});
