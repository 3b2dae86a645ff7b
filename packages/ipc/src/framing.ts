import { MessageTooLargeError } from '@message-io/core/adapter';
import { joinPiece } from '@message-io/node-net';

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

/**
 * The bytes to write for one message: its prefix and a copy of it, in one buffer. The copy is what
 * lets the caller change or reuse its buffer as soon as `send` returns (the socket may write later).
 */
export function frame(data: Uint8Array): Uint8Array {
  const length = data.byteLength;
  const framed = new Uint8Array(PREFIX_BYTES + length);
  framed[0] = length >>> 24;
  framed[1] = (length >>> 16) & 0xff;
  framed[2] = (length >>> 8) & 0xff;
  framed[3] = length & 0xff;
  framed.set(data, PREFIX_BYTES);
  return framed;
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
