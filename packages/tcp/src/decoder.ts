import { BorrowedBytes, joinPiece, keepJoined, MessageTooLargeError, ProtocolError, type RemoteWatch } from '@message-io/core';
import { MAX_VARINT_BYTES } from './varint.js';

const EMPTY = new Uint8Array(0);

/** Where decoded messages go: the core's watch of the connection, or any object with `received`. */
export type MessageSink = Pick<RemoteWatch, 'received'>;

/** A Uint8Array of `length` bytes that is not zero-filled first (each byte is about to be written). */
function unfilled(length: number): Uint8Array {
  const bytes = Buffer.allocUnsafe(length);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, length);
}

function malformedPrefix(): ProtocolError {
  return new ProtocolError('malformed FramedTcp length prefix: more than a u64');
}

function tooLarge(maxMessageSize: number): MessageTooLargeError {
  return new MessageTooLargeError(`FramedTcp peer announced a message over maxMessageSize (${maxMessageSize} bytes)`);
}

/** The buffer under `chunk` when the chunk is lent (BorrowedBytes), looked up once per chunk. */
function lentBuffer(chunk: Uint8Array): ArrayBuffer | undefined {
  return chunk instanceof BorrowedBytes ? (chunk.buffer as ArrayBuffer) : undefined;
}

/** A view of `length` bytes of `chunk` from `offset`: BorrowedBytes of `lent` when the chunk is lent, else a subarray. */
function frameOf(chunk: Uint8Array, lent: ArrayBuffer | undefined, offset: number, length: number): Uint8Array {
  if (length === 0) return EMPTY;
  return lent !== undefined ? new BorrowedBytes(lent, chunk.byteOffset + offset, length) : chunk.subarray(offset, offset + length);
}

/**
 * Hands `sink` the whole frames at the start of `chunk` (views of it; BorrowedBytes when the chunk is), keeping no state:
 * returns the offset where an incomplete frame starts (`chunk.length` when none is left), or the
 * error that must end the connection, found exactly where a {@link FrameDecoder} finds it. Feed
 * the rest to a FrameDecoder: a connection needs one only while a frame spans chunks.
 */
export function decodeWholeFrames(chunk: Uint8Array, maxMessageSize: number, sink: MessageSink): number | Error {
  const end = chunk.length;
  const lent = lentBuffer(chunk);
  let offset = 0;
  while (offset < end) {
    const start = offset;
    let length = 0;
    let scale = 1;
    let prefixBytes = 0;
    let byte: number;
    do {
      if (offset === end) return start;
      byte = chunk[offset++]!;
      if (prefixBytes === MAX_VARINT_BYTES - 1 && byte > 1) return malformedPrefix();
      length += (byte & 0x7f) * scale;
      scale *= 128;
      prefixBytes++;
      if (length > maxMessageSize) return tooLarge(maxMessageSize);
    } while (byte & 0x80);
    if (end - offset < length) return start;
    sink.received(frameOf(chunk, lent, offset, length));
    offset += length;
  }
  return end;
}

/**
 * Splits a FramedTcp byte stream into messages. Feed it chunks in arrival order; it hands each
 * whole frame to the sink's `received`.
 *
 * - A frame that lies within one chunk is handed over as a view of that chunk (no copy).
 * - A frame spread over chunks is kept as references to its pieces and joined once when complete:
 *   memory grows with the bytes received, never with the length the peer declared.
 * - A declared length above `maxMessageSize`, or a prefix that is not a valid u64 LEB128
 *   (more than 10 bytes, or a 10th byte above 1), is an error returned before any payload is kept.
 * - Non-minimal prefixes (`80 00` for 0) are accepted, as the Rust decoder does.
 *
 * The chunks must not be modified after they are fed (Node's `'data'` chunks never are); set
 * `copyPieces` when they come from a reused buffer (BorrowedBytes). Every frame is then lent
 * (BorrowedBytes): a view of its chunk, or, for a frame over several chunks, of a buffer that is
 * used again for a later frame once this one has been handed over.
 */
export class FrameDecoder {
  private length = 0;
  private scale = 1;
  private prefixBytes = 0;
  private expected = -1;
  /** The pieces of the frame being received, made on its first piece (chunks kept by reference). */
  private pieces: Uint8Array[] | undefined = undefined;
  /** The frame being received, filled as its pieces come (`copyPieces`: chunks that will be reused). */
  private frame: Uint8Array | undefined = undefined;
  private received = 0;

  constructor(
    readonly maxMessageSize: number,
    private readonly copyPieces = false,
  ) {}

  /** Bytes received of a frame not yet complete (with `copyPieces`, held in a buffer of at most twice that). */
  get pendingBytes(): number {
    return this.received;
  }

  /** True between frames: no piece held, no prefix begun. */
  get idle(): boolean {
    return this.expected < 0 && this.prefixBytes === 0;
  }

  /** Decodes one chunk. Returns the error that must end the connection, if any. */
  decode(chunk: Uint8Array, sink: MessageSink): Error | undefined {
    const end = chunk.length;
    const lent = lentBuffer(chunk);
    let offset = 0;
    while (offset < end) {
      if (this.expected < 0) {
        const byte = chunk[offset++]!;
        if (this.prefixBytes === MAX_VARINT_BYTES - 1 && byte > 1) {
          return malformedPrefix();
        }
        this.length += (byte & 0x7f) * this.scale;
        this.scale *= 128;
        this.prefixBytes++;
        if (this.length > this.maxMessageSize) {
          return tooLarge(this.maxMessageSize);
        }
        if (byte & 0x80) continue;
        const length = this.length;
        this.length = 0;
        this.scale = 1;
        this.prefixBytes = 0;
        if (length === 0) sink.received(EMPTY);
        else if (end - offset >= length) {
          sink.received(frameOf(chunk, lent, offset, length));
          offset += length;
        } else this.expected = length;
        continue;
      }
      const take = Math.min(this.expected - this.received, end - offset);
      if (this.copyPieces) this.copyPiece(chunk, offset, take);
      else (this.pieces ??= []).push(chunk.subarray(offset, offset + take));
      this.received += take;
      offset += take;
      if (this.received === this.expected) this.deliver(sink);
    }
    return undefined;
  }

  /**
   * Copies a piece of a frame into the frame being filled (core's `joinPiece`: it grows to at most
   * twice the bytes received, never to a length the peer only declared).
   */
  private copyPiece(chunk: Uint8Array, offset: number, take: number): void {
    this.frame = joinPiece(this.frame, this.received, this.expected, chunk.subarray(offset, offset + take));
  }

  /** Hands over the frame just completed; a frame built from copies is lent, and its buffer kept for the next one. */
  private deliver(sink: MessageSink): void {
    const filled = this.frame;
    if (filled === undefined) {
      sink.received(this.joinPieces());
      return;
    }
    const length = this.expected;
    this.frame = undefined;
    this.received = 0;
    this.expected = -1;
    sink.received(new BorrowedBytes(filled.buffer as ArrayBuffer, filled.byteOffset, length));
    keepJoined(filled);
  }

  private joinPieces(): Uint8Array {
    const pieces = this.pieces!;
    const frame = pieces.length === 1 ? pieces[0]! : unfilled(this.received);
    if (pieces.length > 1) {
      let at = 0;
      for (const piece of pieces) {
        frame.set(piece, at);
        at += piece.length;
      }
    }
    this.pieces = undefined;
    this.received = 0;
    this.expected = -1;
    return frame;
  }
}
