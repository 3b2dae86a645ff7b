/**
 * Unsigned LEB128, as the Rust message-io frames FramedTcp messages: 7 bits per byte, least
 * significant group first, high bit set on every byte but the last. Lengths stay exact up to
 * 2^53 - 1 because only arithmetic is used, never 32-bit shifts.
 */

/** Most bytes a u64 takes in LEB128. */
export const MAX_VARINT_BYTES = 10;

/** Bytes needed to encode `value`. */
export function varintLength(value: number): number {
  let length = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

/** Writes `value` (an integer from 0 to 2^53 - 1) at `offset`; returns the offset after it. */
export function writeVarint(value: number, target: Uint8Array, offset: number): number {
  while (value >= 128) {
    target[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  target[offset++] = value;
  return offset;
}

/** Encodes `value` into a new array. */
export function encodeVarint(value: number): Uint8Array {
  const bytes = new Uint8Array(varintLength(value));
  writeVarint(value, bytes, 0);
  return bytes;
}
