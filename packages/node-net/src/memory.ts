import { Buffer } from 'node:buffer';

/**
 * Memory for bytes about to be written in full: a Node Buffer that is not zero-filled first, and
 * never a slice of Node's shared pool, so that it may be kept or used again on its own.
 */
export function unfilled(size: number): Uint8Array {
  return Buffer.allocUnsafeSlow(size);
}
