// frame.ts: the frames we build ourselves for small messages, checked with the test's own parser.
import { describe, expect, it } from 'vitest';
import { binaryFrame, COALESCE_LIMIT } from '../src/frame.js';
import { parseFrames } from './raw.js';
import { randomBytes, rng } from './support.js';

describe('binaryFrame', () => {
  it.each([0, 1, 47, 48, 125, 126, 1000, COALESCE_LIMIT])('frames %i bytes, masked and unmasked', (size) => {
    const data = randomBytes(rng(size), size);
    for (const masked of [false, true]) {
      const bytes = binaryFrame(data, masked);
      const { frames, rest } = parseFrames(bytes);
      expect(rest.length).toBe(0);
      expect(frames).toHaveLength(1);
      expect(frames[0]).toMatchObject({ fin: true, rsv: 0, opcode: 2, masked });
      expect(Buffer.compare(frames[0]!.payload, data)).toBe(0);
      expect(bytes.length).toBe(2 + (size < 126 ? 0 : 2) + (masked ? 4 : 0) + size);
    }
  });

  it('owns its bytes (the caller may reuse its buffer) and uses a fresh masking key each time', () => {
    const data = new Uint8Array(64).fill(7);
    const first = binaryFrame(data, true);
    const second = binaryFrame(data, true);
    data.fill(0);
    expect(parseFrames(first).frames[0]!.payload.every((b) => b === 7)).toBe(true);
    expect(first.subarray(2, 6).equals(second.subarray(2, 6))).toBe(false);
    expect(first.subarray(6).equals(second.subarray(6))).toBe(false);
  });

  it('frames a view into a larger buffer (byteOffset) correctly', () => {
    const backing = randomBytes(rng(1), 300);
    const view = backing.subarray(100, 250);
    const { frames } = parseFrames(binaryFrame(view, true));
    expect(Buffer.compare(frames[0]!.payload, view)).toBe(0);
  });
});
