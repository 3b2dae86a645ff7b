import { MessageTooLargeError, type RemoteWatch } from '@message-io/core';

/** Where decoded messages go: the core's watch of the connection (its `received`). */
export type MessageSink = Pick<RemoteWatch, 'received'>;

/** Bytes of the length prefix: an unsigned 32-bit big-endian integer before each message. */
export const PREFIX_BYTES = 4;

/** Largest length a prefix can declare. */
export const MAX_FRAME_LENGTH = 0xffff_ffff;

/**
 * The bytes to write for one message: its prefix and a copy of it, in one buffer. The copy is what
 * lets the caller change or reuse its buffer as soon as `send` returns (the socket may write later).
 */
export function frame(data: Uint8Array): Uint8Array {
  const framed = new Uint8Array(PREFIX_BYTES + data.byteLength);
  new DataView(framed.buffer).setUint32(0, data.byteLength);
  framed.set(data, PREFIX_BYTES);
  return framed;
}

/**
 * Cuts a byte stream into messages. A message that lies within one chunk is handed on as a view
 * of that chunk; one spread over chunks is joined once, when complete. Memory grows with the
 * bytes actually received, never with the length a peer declares.
 */
export class FrameDecoder {
  private readonly prefix = new Uint8Array(PREFIX_BYTES);
  private prefixFilled = 0;
  private expected = -1;
  private parts: Uint8Array[] = [];
  private partsLength = 0;

  constructor(private readonly maxMessageSize: number) {}

  /**
   * Decodes one chunk and hands each complete message to `sink.received`. Returns an error when the
   * peer declared a message over `maxMessageSize` (nothing of it is buffered): end the connection.
   */
  decode(chunk: Uint8Array, sink: MessageSink): Error | undefined {
    let offset = 0;
    while (offset < chunk.byteLength) {
      if (this.expected < 0) {
        const taken = Math.min(PREFIX_BYTES - this.prefixFilled, chunk.byteLength - offset);
        this.prefix.set(chunk.subarray(offset, offset + taken), this.prefixFilled);
        this.prefixFilled += taken;
        offset += taken;
        if (this.prefixFilled < PREFIX_BYTES) return undefined;
        const length = new DataView(this.prefix.buffer).getUint32(0);
        if (length > this.maxMessageSize) {
          return new MessageTooLargeError(`the peer announced ${length} bytes, over maxMessageSize (${this.maxMessageSize})`);
        }
        this.expected = length;
      }
      offset = this.take(chunk, offset, sink);
    }
    return undefined;
  }

  /** Takes the payload bytes of the current message from `chunk`; returns the new offset. */
  private take(chunk: Uint8Array, offset: number, sink: MessageSink): number {
    const missing = this.expected - this.partsLength;
    const available = Math.min(missing, chunk.byteLength - offset);
    const piece = chunk.subarray(offset, offset + available);
    if (available < missing) {
      this.parts.push(new Uint8Array(piece)); // a copy: the chunk belongs to the socket
      this.partsLength += available;
      return offset + available;
    }
    if (this.parts.length === 0) sink.received(piece);
    else sink.received(this.join(piece));
    this.expected = -1;
    this.prefixFilled = 0;
    return offset + available;
  }

  private join(last: Uint8Array): Uint8Array {
    const message = new Uint8Array(this.expected);
    let at = 0;
    for (const part of [...this.parts, last]) {
      message.set(part, at);
      at += part.byteLength;
    }
    this.parts = [];
    this.partsLength = 0;
    return message;
  }
}
