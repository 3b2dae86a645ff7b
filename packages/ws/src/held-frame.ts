// What the Ws receive path (receive.ts) holds of a frame that arrives over several reads, and the
// headers it makes for the frames it hands to `ws`.
import { joinPiece } from '@message-io/node-net';

const EMPTY = Buffer.alloc(0);

/** From this size a piece of a frame over several reads may be held as it is, not copied (see {@link HeldFrame}). */
const KEEP_FROM = 16 * 1024;

/** A Buffer view of the first `length` bytes of `bytes` (no copy). */
export function bufferOf(bytes: Uint8Array, length: number): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, length);
}

/**
 * The header of a frame made here, for `ws` to read: masked with a zero key when `masked` (a
 * server's receiver requires the mask bit; with a zero key `ws` leaves the payload as it is).
 */
export function frameHeader(final: boolean, opcode: number, length: number, masked: boolean): Buffer {
  const extra = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + extra + (masked ? 4 : 0));
  header[0] = (final ? 0x80 : 0) | opcode;
  const maskBit = masked ? 0x80 : 0;
  if (extra === 0) header[1] = maskBit | length;
  else if (extra === 2) {
    header[1] = maskBit | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = maskBit | 127;
    header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    header.writeUInt32BE(length >>> 0, 6);
  }
  return header;
}

/**
 * The pieces of one frame that arrives over several reads, held until it is whole, in memory that
 * grows with the bytes received, not with the number of reads: a piece of at least 16 KiB that is
 * at least half of the read it is a view of is held as it is (bulk transfers: no copy); any other
 * piece is copied into a buffer that grows to at most twice what it holds, and never past what the
 * frame declared (node-net's `joinPiece`). A peer that trickles a frame a byte at a time thus costs
 * about the bytes it sent, not a read buffer and a few objects per byte.
 */
export class HeldFrame {
  /** Pieces held as they are, and the filled part of earlier copy buffers, in order. */
  private kept: Buffer[] | undefined = undefined;
  /** Where small pieces are copied, `copied` bytes of it filled. */
  private copy: Uint8Array | undefined = undefined;
  private copied = 0;
  /** Bytes held in all. */
  private held = 0;

  /** Adds the next piece of a frame of `expected` bytes; `mayKeep`: the read it is a view of is never read into again. */
  add(piece: Buffer, expected: number, mayKeep: boolean): void {
    const size = piece.length;
    if (size === 0) return;
    if (mayKeep && size >= KEEP_FROM && 2 * size >= piece.buffer.byteLength) {
      this.seal();
      (this.kept ??= []).push(piece);
    } else {
      // The copy buffer holds at most what the frame lacks beyond the pieces held as they are.
      this.copy = joinPiece(this.copy, this.copied, expected - (this.held - this.copied), piece, false);
      this.copied += size;
    }
    this.held += size;
  }

  /** The whole frame in one buffer (its only piece as it is, else the pieces joined); empties the holder. */
  take(): Buffer {
    this.seal();
    const kept = this.kept;
    const held = this.held;
    this.kept = undefined;
    this.held = 0;
    if (kept === undefined) return EMPTY;
    return kept.length === 1 ? kept[0]! : Buffer.concat(kept, held);
  }

  /** Ends the current copy buffer: its filled part joins the pieces held. */
  private seal(): void {
    if (this.copied === 0) return;
    (this.kept ??= []).push(bufferOf(this.copy!, this.copied));
    this.copy = undefined;
    this.copied = 0;
  }
}
