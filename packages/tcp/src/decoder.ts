import { BorrowedBytes, MessageTooLargeError, ProtocolError } from '@message-io/core/adapter';
import { copyOf, joinPiece, keepJoined } from '@message-io/node-net';
import { MAX_VARINT_BYTES } from './varint.js';

const EMPTY = new Uint8Array(0);

/**
 * Where decoded messages go: the core's watch of the connection, or any object with `received`.
 * A `false` from `received` stops the decoding right after that message (see {@link sinkStopped}).
 */
export interface MessageSink {
  received(data: Uint8Array): boolean | void;
}

/** Set when the last decoding call stopped early because its sink answered `false`. */
let stoppedBySink = false;

/**
 * True when the last call of {@link decodeWholeFrames}, {@link copyWholeFrames} or a
 * {@link FrameDecoder} method stopped because the sink answered `false` (the node's consumer is
 * behind): the offset it returned is right after the last message handed over, and the bytes from
 * there on are for later. Read it right after the call.
 */
export function sinkStopped(): boolean {
  return stoppedBySink;
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

/** {@link prefixAt}'s answer when the chunk ends within the prefix. */
const INCOMPLETE = -1;
/** Where the last {@link prefixAt} call that found a whole prefix left off: the offset after it. */
let afterPrefix = 0;

/**
 * Reads the LEB128 length prefix at `chunk[offset]`, stopping at `end`: the declared length (and
 * {@link afterPrefix} set after the prefix), {@link INCOMPLETE}, or the error that must end the
 * connection (checked byte by byte, before any payload is kept).
 */
function prefixAt(chunk: Uint8Array, offset: number, end: number, maxMessageSize: number): number | Error {
  let length = 0;
  let scale = 1;
  let prefixBytes = 0;
  let byte: number;
  do {
    if (offset === end) return INCOMPLETE;
    byte = chunk[offset++]!;
    if (prefixBytes === MAX_VARINT_BYTES - 1 && byte > 1) return malformedPrefix();
    length += (byte & 0x7f) * scale;
    scale *= 128;
    prefixBytes++;
    if (length > maxMessageSize) return tooLarge(maxMessageSize);
  } while (byte & 0x80);
  afterPrefix = offset;
  return length;
}

/**
 * Hands `sink` the whole frames at the start of `chunk` (views of it; BorrowedBytes when the chunk is), keeping no state:
 * returns the offset where an incomplete frame starts (`chunk.length` when none is left), or the
 * error that must end the connection, found exactly where a {@link FrameDecoder} finds it. Feed
 * the rest to a FrameDecoder: a connection needs one only while a frame spans chunks.
 */
export function decodeWholeFrames(chunk: Uint8Array, maxMessageSize: number, sink: MessageSink): number | Error {
  stoppedBySink = false;
  const end = chunk.length;
  const lent = lentBuffer(chunk);
  let offset = 0;
  while (offset < end) {
    const length = prefixAt(chunk, offset, end, maxMessageSize);
    if (typeof length !== 'number') return length;
    if (length === INCOMPLETE || end - afterPrefix < length) return offset;
    const start = afterPrefix;
    offset = start + length;
    if (sink.received(frameOf(chunk, lent, start, length)) === false) {
      stoppedBySink = true;
      return offset;
    }
  }
  return end;
}

/**
 * The length of the whole frames at the start of `chunk` (where an incomplete frame starts, or
 * `chunk.length`), found as {@link decodeWholeFrames} finds them but without handing anything over;
 * or the error that {@link decodeWholeFrames} would return after the frames before it.
 */
export function wholeFramesLength(chunk: Uint8Array, maxMessageSize: number): number | Error {
  const end = chunk.length;
  let offset = 0;
  while (offset < end) {
    const length = prefixAt(chunk, offset, end, maxMessageSize);
    if (typeof length !== 'number') return length;
    if (length === INCOMPLETE || end - afterPrefix < length) return offset;
    offset = afterPrefix + length;
  }
  return end;
}

/**
 * The bytes of the frame that starts at `chunk[0]` (prefix and payload), when its prefix is whole
 * and valid; -1 otherwise (prefix cut short, or an error a decoder will report).
 */
export function frameBytesAt(chunk: Uint8Array, maxMessageSize: number): number {
  const length = prefixAt(chunk, 0, chunk.length, maxMessageSize);
  return typeof length === 'number' && length !== INCOMPLETE ? afterPrefix + length : -1;
}

/** From this size a frame in a read that is about to be reused gets a copy of its own (see {@link copyWholeFrames}). */
export const OWN_COPY_FROM: number = 16 * 1024;

/**
 * Hands `sink` the whole frames of `chunk[0, length)` (a length from {@link wholeFramesLength}: no
 * error, no partial frame) as bytes of their own, for a chunk that is about to be reused: each
 * frame of 16 KiB or more is copied into a buffer of its own (it keeps no other message's memory
 * alive), and each run of smaller frames is copied at once into one buffer that they are views of.
 * Returns `length`, or, when the sink stopped it ({@link sinkStopped}), the offset after the last
 * frame handed over.
 */
export function copyWholeFrames(chunk: Uint8Array, length: number, maxMessageSize: number, sink: MessageSink): number {
  let offset = 0;
  let run = 0; // start of the run of small frames not yet handed over
  while (offset < length) {
    const start = offset;
    const size = prefixAt(chunk, offset, length, maxMessageSize) as number; // checked by wholeFramesLength
    offset = afterPrefix + size;
    if (size >= OWN_COPY_FROM) {
      if (run < start) {
        const at = decodeWholeFrames(copyOf(chunk.subarray(run, start)), maxMessageSize, sink) as number;
        if (stoppedBySink) return run + at;
      }
      run = offset;
      if (sink.received(copyOf(chunk.subarray(offset - size, offset))) === false) {
        stoppedBySink = true;
        return offset;
      }
    }
  }
  stoppedBySink = false;
  if (run < length) {
    const at = decodeWholeFrames(copyOf(chunk.subarray(run, length)), maxMessageSize, sink) as number;
    if (stoppedBySink) return run + at;
  }
  return length;
}

/**
 * Splits a FramedTcp byte stream into messages. Feed it chunks in arrival order; it hands each
 * whole frame to the sink's `received`.
 *
 * - A frame that lies within one chunk is handed over as a view of that chunk (no copy).
 * - A frame spread over chunks is copied, piece by piece, into a buffer of its own that grows with
 *   the bytes received (to at most twice them), never with the length the peer declared: a peer
 *   trickling bytes makes it hold about what it sent, whatever the size of the reads.
 * - A declared length above `maxMessageSize`, or a prefix that is not a valid u64 LEB128
 *   (more than 10 bytes, or a 10th byte above 1), is an error returned before any payload is kept.
 * - Non-minimal prefixes (`80 00` for 0) are accepted, as the Rust decoder does.
 *
 * Without `lend`, chunks must not be modified after they are fed (Node's `'data'` chunks never
 * are), and every frame is the user's for good. With `lend`, the chunks come from a reused buffer
 * (BorrowedBytes) and every frame is lent (BorrowedBytes): a view of its chunk, or, for a frame
 * over several chunks, of a buffer used again for a later frame once this one has been handed over.
 */
export class FrameDecoder {
  private length = 0;
  private scale = 1;
  private prefixBytes = 0;
  private expected = -1;
  /** The frame being received, filled as its pieces come. */
  private frame: Uint8Array | undefined = undefined;
  private received = 0;
  private begun = 0;

  constructor(
    readonly maxMessageSize: number,
    private readonly lend = false,
  ) {}

  /**
   * Frames this decoder began (its first prefix byte read), from its start. With {@link idle}, it
   * tells a watchdog whether the frame in progress now is the one in progress when it last looked.
   */
  get framesBegun(): number {
    return this.begun;
  }

  /** Bytes received of a frame not yet complete (held in a buffer of at most twice that). */
  get pendingBytes(): number {
    return this.received;
  }

  /** True between frames: no piece held, no prefix begun. */
  get idle(): boolean {
    return this.expected < 0 && this.prefixBytes === 0;
  }

  /** Decodes one chunk. Returns the error that must end the connection, if any. */
  decode(chunk: Uint8Array, sink: MessageSink): Error | undefined {
    const result = this.run(chunk, sink, false);
    return typeof result === 'number' ? undefined : result;
  }

  /**
   * Decodes one chunk, or its start when the sink stops it: returns the offset reached
   * (`chunk.length`, or, after a stop ({@link sinkStopped}), the offset after the last frame
   * handed over), or the error that must end the connection.
   */
  feed(chunk: Uint8Array, sink: MessageSink): number | Error {
    return this.run(chunk, sink, false);
  }

  /**
   * Decodes from `chunk` only the frame begun in an earlier chunk, copying its bytes (never
   * handing over a view of `chunk`, which may be a reused buffer): returns the offset in `chunk`
   * after it (`chunk.length` when the frame is still incomplete), or the error that must end the
   * connection. Call it while the decoder is not {@link idle}.
   */
  finishFrame(chunk: Uint8Array, sink: MessageSink): number | Error {
    return this.run(chunk, sink, true);
  }

  private run(chunk: Uint8Array, sink: MessageSink, oneFrame: boolean): number | Error {
    stoppedBySink = false;
    const end = chunk.length;
    const lent = lentBuffer(chunk);
    let offset = 0;
    while (offset < end) {
      if (this.expected < 0) {
        if (this.prefixBytes === 0) this.begun++;
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
        if (length === 0) {
          if (sink.received(EMPTY) === false) stoppedBySink = true;
          if (oneFrame || stoppedBySink) return offset;
        } else if (!oneFrame && end - offset >= length) {
          const start = offset;
          offset += length;
          if (sink.received(frameOf(chunk, lent, start, length)) === false) {
            stoppedBySink = true;
            return offset;
          }
        } else this.expected = length;
        continue;
      }
      const take = Math.min(this.expected - this.received, end - offset);
      this.frame = joinPiece(this.frame, this.received, this.expected, chunk.subarray(offset, offset + take), this.lend);
      this.received += take;
      offset += take;
      if (this.received === this.expected) {
        if (!this.deliver(sink)) stoppedBySink = true;
        if (oneFrame || stoppedBySink) return offset;
      }
    }
    return end;
  }

  /** Hands over the frame just completed: lent (its buffer kept for the next one) or the user's. False: the sink said stop. */
  private deliver(sink: MessageSink): boolean {
    const filled = this.frame!;
    const length = this.expected;
    this.frame = undefined;
    this.received = 0;
    this.expected = -1;
    if (!this.lend) return sink.received(filled.byteLength === length ? filled : filled.subarray(0, length)) !== false;
    const go = sink.received(new BorrowedBytes(filled.buffer as ArrayBuffer, filled.byteOffset, length)) !== false;
    keepJoined(filled);
    return go;
  }
}
