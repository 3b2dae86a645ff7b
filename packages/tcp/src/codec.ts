import { BATCH_COPY_LIMIT as COPY_LIMIT, type WriteBatch } from '@message-io/node-net';
import { varintLength, writeVarint } from './varint.js';

// Up to node-net's BATCH_COPY_LIMIT a message is copied into the write batch (with its prefix), so
// that many small messages leave in one write; larger ones through `WriteBatch.writeCopy`.

/**
 * Tcp: writes the message as it is, from a copy (the caller keeps its buffer). `written`, if
 * given, runs once the message is written out (the message then leaves by itself, not in the slab).
 */
export function writeStream(out: WriteBatch, data: Uint8Array, written?: (error?: Error | null) => void): void {
  if (data.byteLength > COPY_LIMIT || written !== undefined) return out.writeCopy(data, written);
  const at = out.reserve(data.byteLength); // before reading target: reserve may start a new slab
  out.target.set(data, at);
  out.commit();
}

/** FramedTcp: writes the message behind its LEB128 length prefix, from a copy (the caller keeps its buffer); `written` as for {@link writeStream}. */
export function writeFramed(out: WriteBatch, data: Uint8Array, written?: (error?: Error | null) => void): void {
  const length = data.byteLength;
  const prefixLength = varintLength(length);
  if (length <= COPY_LIMIT && written === undefined) {
    const at = out.reserve(prefixLength + length);
    const target = out.target;
    writeVarint(length, target, at);
    target.set(data, at + prefixLength);
    out.commit();
    return;
  }
  const at = out.reserve(prefixLength);
  writeVarint(length, out.target, at);
  out.writeCopy(data, written);
}

/** FramedTcp: the message behind its LEB128 length prefix, in one new buffer (a group send's frame, built once for every connection). */
export function framedCopy(data: Uint8Array): Uint8Array {
  const length = data.byteLength;
  const prefixLength = varintLength(length);
  const frame = new Uint8Array(prefixLength + length);
  writeVarint(length, frame, 0);
  frame.set(data, prefixLength);
  return frame;
}
