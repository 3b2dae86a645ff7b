import { unfilled } from './memory.js';

/**
 * For adapters that read into a reused buffer: a frame that arrives over several reads is copied,
 * piece by piece, into one buffer of its own, which grows to at most twice the bytes received (never
 * to a length the peer only declared). When the frame is lent (the connection opted in to
 * lending), once it has been handed over as `BorrowedBytes`, {@link keepJoined} keeps its buffer
 * for the next such frame of any connection that fits in it (one buffer per process, of at most
 * 4 MiB): a bulk receiver then allocates nothing per frame that spans reads (design note 0008).
 */
let spare: Uint8Array | undefined;
const SPARE_LIMIT = 4 * 1024 * 1024;

/**
 * Copies `piece` after the `received` bytes of a frame of `expected` bytes held in `joined`
 * (`undefined` for its first piece), growing a buffer when needed; with `lend`, the first piece
 * may take the buffer kept by {@link keepJoined} (the frame is then lent, and its buffer used
 * again). Without `lend`, the buffer is the frame's own for good. Returns the buffer that now
 * holds the frame.
 */
export function joinPiece(joined: Uint8Array | undefined, received: number, expected: number, piece: Uint8Array, lend = true): Uint8Array {
  const need = received + piece.byteLength;
  let frame = joined;
  if (lend && frame === undefined && spare !== undefined && spare.byteLength >= expected) {
    // Memory already held: taking it allocates nothing, whatever length the peer declared.
    frame = spare;
    spare = undefined;
  } else if (frame === undefined || frame.byteLength < need) {
    const grown = unfilled(Math.min(expected, 2 * need));
    if (frame !== undefined) grown.set(frame.subarray(0, received));
    frame = grown;
  }
  frame.set(piece, received);
  return frame;
}

/** Keeps the buffer of a joined frame for the next one; call it once the frame (lent) has been handed over. */
export function keepJoined(joined: Uint8Array): void {
  if (joined.byteLength <= SPARE_LIMIT && (spare === undefined || spare.byteLength < joined.byteLength)) spare = joined;
}
