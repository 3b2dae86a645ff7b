import { MessageTooLargeError } from '@message-io/core/adapter';
import { BATCH_COPY_LIMIT, joinPiece, type WriteBatch } from '@message-io/node-net';

/**
 * Where decoded messages go: the core's watch of the connection (its `received`). A `false` from
 * `received` stops the decoding right after that message (see {@link FrameDecoder.stoppedAt}).
 */
export interface MessageSink {
  received(data: Uint8Array): boolean | void;
}

/** Bytes of the length prefix: an unsigned 32-bit big-endian integer before each message. */
export const PREFIX_BYTES = 4;

/** Largest length a prefix can declare. */
export const MAX_FRAME_LENGTH = 0xffff_ffff;

/** Writes `length` as the 4-byte big-endian prefix at `target[at]`. */
function writePrefix(length: number, target: Uint8Array, at: number): void {
  target[at] = length >>> 24;
  target[at + 1] = (length >>> 16) & 0xff;
  target[at + 2] = (length >>> 8) & 0xff;
  target[at + 3] = length & 0xff;
}

/**
 * The bytes to write for one message: its prefix and a copy of it, in one new buffer (a group
 * send's frame, made once for every connection it reaches).
 */
export function frame(data: Uint8Array): Uint8Array {
  const framed = new Uint8Array(PREFIX_BYTES + data.byteLength);
  writePrefix(data.byteLength, framed, 0);
  framed.set(data, PREFIX_BYTES);
  return framed;
}

/**
 * Writes one message behind its prefix into `out` (the connection's node-net `WriteBatch`), from a
 * copy, so that the caller may change or reuse its buffer as soon as `send` returns: up to
 * `BATCH_COPY_LIMIT` (4 KiB) prefix and message are copied into the batch's shared slab, so that the
 * small messages of a run leave in one write; a larger one is copied into a buffer of its own (used
 * again once written), behind its prefix.
 */
export function writeFramed(out: WriteBatch, data: Uint8Array): void {
  const length = data.byteLength;
  if (length <= BATCH_COPY_LIMIT) {
    const at = out.reserve(PREFIX_BYTES + length); // before reading target: reserve may start a new slab
    const target = out.target;
    writePrefix(length, target, at);
    target.set(data, at + PREFIX_BYTES);
    out.commit();
    return;
  }
  const at = out.reserve(PREFIX_BYTES);
  writePrefix(length, out.target, at);
  out.writeCopy(data);
}

/**
 * Cuts a byte stream into messages. A message that lies within one chunk is handed on as a view
 * of that chunk; one spread over chunks is copied, piece by piece, into a buffer of its own that
 * grows with the bytes received (core's `joinPiece`: to at most twice them), never with the length
 * a peer declares. So a peer that trickles a message a byte at a time makes the node hold about
 * what it sent, not an object per piece.
 */
export class FrameDecoder {
  /** The prefix read so far, as a number (big-endian: each byte shifts the ones before it). */
  private prefix = 0;
  private prefixFilled = 0;
  private expected = -1;
  /** The message being received across chunks, `received` bytes of it filled (made on its first piece). */
  private message: Uint8Array | undefined = undefined;
  private received = 0;
  private begun = 0;

  /**
   * After `decode`: -1, or, when the sink said stop (the node's consumer is behind), the offset in
   * the chunk right after the message it said it on. The bytes from there on are for later: keep
   * them and decode them first once the node reads again.
   */
  stoppedAt = -1;

  constructor(private readonly maxMessageSize: number) {}

  /** True between messages: no byte of the next one (prefix or payload) received yet. */
  get idle(): boolean {
    return this.expected < 0 && this.prefixFilled === 0;
  }

  /**
   * Messages this decoder began (a first prefix byte read), from its start. With {@link idle}, it
   * tells a watchdog whether the message in progress now is the one in progress when it last looked.
   */
  get messagesBegun(): number {
    return this.begun;
  }

  /**
   * Decodes one chunk and hands each complete message to `sink.received`. Returns an error when the
   * peer declared a message over `maxMessageSize` (nothing of it is buffered): end the connection.
   */
  decode(chunk: Uint8Array, sink: MessageSink): Error | undefined {
    this.stoppedAt = -1;
    let offset = 0;
    while (offset < chunk.byteLength) {
      if (this.expected < 0) {
        if (this.prefixFilled === 0) this.begun++;
        while (this.prefixFilled < PREFIX_BYTES && offset < chunk.byteLength) {
          this.prefix = this.prefix * 256 + chunk[offset++]!;
          this.prefixFilled++;
        }
        if (this.prefixFilled < PREFIX_BYTES) return undefined;
        const length = this.prefix;
        this.prefix = 0;
        if (length > this.maxMessageSize) {
          return new MessageTooLargeError(`the peer announced ${length} bytes, over maxMessageSize (${this.maxMessageSize})`);
        }
        this.expected = length;
      }
      offset = this.take(chunk, offset, sink);
      if (this.stoppedAt >= 0) {
        this.stoppedAt = offset;
        return undefined;
      }
    }
    return undefined;
  }

  /** Takes the payload bytes of the current message from `chunk`; returns the new offset. */
  private take(chunk: Uint8Array, offset: number, sink: MessageSink): number {
    const missing = this.expected - this.received;
    const available = Math.min(missing, chunk.byteLength - offset);
    const piece = chunk.subarray(offset, offset + available);
    let go: boolean | void = true;
    if (this.message === undefined && available === missing) go = sink.received(piece);
    else {
      // A copy (the chunk belongs to the socket), appended to the message's own buffer.
      if (available > 0) this.message = joinPiece(this.message, this.received, this.expected, piece, false);
      this.received += available;
      if (available < missing) return offset + available;
      // Complete: the buffer has grown to exactly the declared length.
      const message = this.message!;
      this.message = undefined;
      this.received = 0;
      go = sink.received(message);
    }
    this.expected = -1;
    this.prefixFilled = 0;
    if (go === false) this.stoppedAt = 0; // where: set by `decode`
    return offset + available;
  }
}
