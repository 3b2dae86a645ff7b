import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * Small binary messages are framed here, header and payload in one buffer, and written with one
 * socket write: about 1 microsecond less CPU per message than `ws.send`, which builds an options
 * object and writes header and payload separately. Larger messages go through `ws`, which writes
 * the caller's buffer without a copy.
 */
export const COALESCE_LIMIT = 4096;

type MaskFn = (source: Uint8Array, mask: Uint8Array, output: Uint8Array, offset: number, length: number) => void;

/** bufferutil's native mask when it is installed (an optional dependency, as for `ws`). */
const nativeMask: MaskFn | undefined = (() => {
  try {
    return (createRequire(import.meta.url)('bufferutil') as { mask: MaskFn }).mask;
  } catch {
    return undefined;
  }
})();
const NATIVE_MASK_FROM = 48;

const POOL_SIZE = 8192;
const pool = Buffer.alloc(POOL_SIZE);
let poolAt = POOL_SIZE;

/** Writes 4 fresh random bytes (a masking key, RFC 6455 §5.3) at `target[at]`. */
function writeMaskKey(target: Buffer, at: number): void {
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

/**
 * One final binary frame (opcode 2) holding `data` (at most {@link COALESCE_LIMIT} bytes), masked
 * when `masked` (client to server). The result owns its bytes: the caller may reuse `data`.
 */
export function binaryFrame(data: Uint8Array, masked: boolean): Buffer {
  const length = data.byteLength;
  const lengthBytes = length < 126 ? 0 : 2;
  const offset = 2 + lengthBytes + (masked ? 4 : 0);
  const frame = Buffer.allocUnsafe(offset + length);
  frame[0] = 0x82;
  frame[1] = (masked ? 0x80 : 0) | (lengthBytes === 0 ? length : 126);
  if (lengthBytes !== 0) frame.writeUInt16BE(length, 2);
  if (!masked) {
    frame.set(data, offset);
    return frame;
  }
  const key = offset - 4;
  writeMaskKey(frame, key);
  if (nativeMask !== undefined && length >= NATIVE_MASK_FROM) {
    nativeMask(data, frame.subarray(key, offset), frame, offset, length);
    return frame;
  }
  for (let i = 0; i < length; i++) frame[offset + i] = data[i]! ^ frame[key + (i & 3)]!;
  return frame;
}
