import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { BATCH_COPY_LIMIT, giveBackBuffer, takeBuffer } from '@message-io/node-net';

/**
 * Small binary messages are framed here, header and payload written straight into the connection's
 * write batch (node-net's `WriteBatch`): many frames leave in one socket write, where `ws.send` builds
 * an options object and writes header and payload separately for each. Larger messages from a
 * client or a server are framed here too, into buffers used again once written ({@link pooledFrame}):
 * the caller may reuse its buffer as soon as `send` returns.
 */
export const COALESCE_LIMIT: number = BATCH_COPY_LIMIT;

type MaskFn = (source: Uint8Array, mask: Uint8Array, output: Uint8Array, offset: number, length: number) => void;

type UnmaskFn = (buffer: Uint8Array, mask: Uint8Array) => void;

/** bufferutil, an optional dependency (as for `ws`), when it is installed. */
const bufferutil: { mask: MaskFn; unmask: UnmaskFn } | undefined = (() => {
  try {
    return createRequire(import.meta.url)('bufferutil') as { mask: MaskFn; unmask: UnmaskFn };
  } catch {
    return undefined;
  }
})();
/** bufferutil's native mask, when installed. */
const nativeMask: MaskFn | undefined = bufferutil?.mask;
/** bufferutil's native in-place unmask, when installed. */
export const nativeUnmask: UnmaskFn | undefined = bufferutil?.unmask;
const NATIVE_MASK_FROM = 48;

const POOL_SIZE = 8192;
const pool = Buffer.alloc(POOL_SIZE);
let poolAt = POOL_SIZE;

/** Writes 4 fresh random bytes (a masking key, RFC 6455 section 5.3) at `target[at]`. */
function writeMaskKey(target: Uint8Array, at: number): void {
  if (poolAt === POOL_SIZE) {
    randomFillSync(pool);
    poolAt = 0;
  }
  target[at] = pool[poolAt]!;
  target[at + 1] = pool[poolAt + 1]!;
  target[at + 2] = pool[poolAt + 2]!;
  target[at + 3] = pool[poolAt + 3]!;
  poolAt += 4;
}

/** The 4-byte key handed to bufferutil (it takes the key as its own buffer). */
const maskKey = Buffer.alloc(4);

/** Bytes of a final binary frame holding `length` bytes. */
export function binaryFrameLength(length: number, masked: boolean): number {
  return 2 + (length < 126 ? 0 : length < 65536 ? 2 : 8) + (masked ? 4 : 0) + length;
}

/**
 * Writes one final binary frame (opcode 2) holding `data` at `target[at]`, masked when `masked`
 * (client to server); returns the offset after it. The frame takes {@link binaryFrameLength} bytes
 * and owns its copy: the caller may reuse `data`.
 */
export function writeBinaryFrame(target: Uint8Array, at: number, data: Uint8Array, masked: boolean): number {
  const length = data.byteLength;
  target[at] = 0x82;
  let offset = at + 2;
  if (length < 126) target[at + 1] = (masked ? 0x80 : 0) | length;
  else if (length < 65536) {
    target[at + 1] = (masked ? 0x80 : 0) | 126;
    target[at + 2] = length >>> 8;
    target[at + 3] = length & 0xff;
    offset += 2;
  } else {
    target[at + 1] = (masked ? 0x80 : 0) | 127;
    const high = Math.floor(length / 2 ** 32);
    for (let i = 0; i < 4; i++) target[at + 2 + i] = (high >>> (24 - 8 * i)) & 0xff;
    for (let i = 0; i < 4; i++) target[at + 6 + i] = (length >>> (24 - 8 * i)) & 0xff;
    offset += 8;
  }
  if (!masked) {
    target.set(data, offset);
    return offset + length;
  }
  writeMaskKey(target, offset);
  const key = offset;
  offset += 4;
  if (nativeMask !== undefined && length >= NATIVE_MASK_FROM) {
    maskKey[0] = target[key]!;
    maskKey[1] = target[key + 1]!;
    maskKey[2] = target[key + 2]!;
    maskKey[3] = target[key + 3]!;
    nativeMask(data, maskKey, target, offset, length);
    return offset + length;
  }
  for (let i = 0; i < length; i++) target[offset + i] = data[i]! ^ target[key + (i & 3)]!;
  return offset + length;
}

/** One final binary frame holding `data`, in a buffer of its own (see {@link writeBinaryFrame}). */
export function binaryFrame(data: Uint8Array, masked: boolean): Buffer {
  const frame = Buffer.allocUnsafe(binaryFrameLength(data.byteLength, masked));
  writeBinaryFrame(frame, 0, data, masked);
  return frame;
}

/**
 * One final binary frame holding `data` (masked when `masked`), in a buffer from node-net's spare
 * buffers: give it back with {@link releaseFrame} once the socket has written it, and a sender in
 * bulk allocates (and the system maps) no new memory per message. Its length is exactly the frame's.
 */
export function pooledFrame(data: Uint8Array, masked: boolean): Uint8Array {
  const frame = takeBuffer(binaryFrameLength(data.byteLength, masked));
  writeBinaryFrame(frame, 0, data, masked);
  return frame;
}

/** Takes back a frame made by {@link pooledFrame} once the socket has written it (or dropped it). */
export function releaseFrame(frame: Uint8Array): void {
  giveBackBuffer(frame);
}
