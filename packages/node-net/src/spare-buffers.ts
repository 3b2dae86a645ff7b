import { unfilled } from './memory.js';

/**
 * Buffers for copies of large messages on their way out, kept by length once the socket has written
 * them, to be filled again: a sender in bulk then allocates (and the system maps) no new memory per
 * message, which costs several times the copy itself. At most 8 MiB wait in all, buffers of up to
 * 4 MiB each; beyond that they are left to the garbage collector.
 */
const spares = new Map<number, Uint8Array[]>();
let spareBytes = 0;
const SPARE_LIMIT = 8 * 1024 * 1024;
const LARGEST_SPARE = 4 * 1024 * 1024;

/**
 * A buffer of exactly `length` bytes, for the caller to fill entirely: one given back earlier by
 * {@link giveBackBuffer}, or a new one. Give it back once the socket has written it (or dropped it).
 */
export function takeBuffer(length: number): Uint8Array {
  const list = spares.get(length);
  const spare = list?.pop();
  if (spare === undefined) return unfilled(length);
  spareBytes -= length;
  if (list!.length === 0) spares.delete(length);
  return spare;
}

/** Takes back a buffer from {@link takeBuffer} that nothing reads any more, for a later message of its length. */
export function giveBackBuffer(buffer: Uint8Array): void {
  const length = buffer.byteLength;
  if (length > LARGEST_SPARE || spareBytes + length > SPARE_LIMIT) return;
  let list = spares.get(length);
  if (list === undefined) spares.set(length, (list = []));
  list.push(buffer);
  spareBytes += length;
}
