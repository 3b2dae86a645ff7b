import { Buffer } from 'node:buffer';

/**
 * Memory for bytes about to be written in full: a Node Buffer that is not zero-filled first, and
 * never a slice of Node's shared pool, so that it may be kept or used again on its own.
 */
export function unfilled(size: number): Uint8Array {
  return Buffer.allocUnsafeSlow(size);
}

/**
 * A copy of `bytes` in memory of its own, not zero-filled first: what an adapter hands over as the
 * user's when it read the bytes into a buffer it reuses (a small copy is a slice of Node's pool,
 * as Node's own small chunks are).
 */
export function copyOf(bytes: Uint8Array): Uint8Array {
  const copy = Buffer.allocUnsafe(bytes.byteLength);
  copy.set(bytes);
  return copy;
}
