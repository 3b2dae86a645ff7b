import type { ProcessData, WriteBatch } from '@message-io/core';
import { FrameDecoder } from './decoder.js';
import { varintLength, writeVarint } from './varint.js';

/**
 * Up to this size a message is copied into the write batch (with its prefix): the caller may reuse
 * its buffer at once, and many small messages leave in one write. Larger ones are written from the
 * caller's buffer, without a copy.
 */
const COPY_LIMIT = 4096;

/** How one connection turns messages into bytes and back. */
export interface Codec {
  /** Writes one message. */
  write(out: WriteBatch, data: Uint8Array): void;
  /** Handles one received chunk; returns an error that must end the connection. */
  read(chunk: Uint8Array, processData: ProcessData): Error | undefined;
}

/**
 * Tcp: the stream as it comes, one chunk per message. Small messages are copied, so the caller
 * may reuse a small buffer right after `send`; larger ones are written from the caller's buffer.
 */
export const streamCodec: Codec = {
  write(out, data) {
    if (data.byteLength > COPY_LIMIT) return out.writeDirect(data);
    const at = out.reserve(data.byteLength); // before reading target: reserve may start a new slab
    out.target.set(data, at);
    out.commit();
  },
  read(chunk, processData) {
    processData(chunk);
    return undefined;
  },
};

/** FramedTcp: a LEB128 length prefix before each message. */
export class FramedCodec implements Codec {
  private readonly decoder: FrameDecoder;

  constructor(maxMessageSize: number) {
    this.decoder = new FrameDecoder(maxMessageSize);
  }

  write(out: WriteBatch, data: Uint8Array): void {
    const length = data.byteLength;
    const prefixLength = varintLength(length);
    if (length <= COPY_LIMIT) {
      const at = out.reserve(prefixLength + length);
      const target = out.target;
      writeVarint(length, target, at);
      target.set(data, at + prefixLength);
      out.commit();
      return;
    }
    const at = out.reserve(prefixLength);
    writeVarint(length, out.target, at);
    out.writeDirect(data);
  }

  read(chunk: Uint8Array, processData: ProcessData): Error | undefined {
    return this.decoder.decode(chunk, processData);
  }
}
