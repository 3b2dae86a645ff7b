import type { Socket } from 'node:net';
import type { ProcessData } from '@message-io/core';
import { FrameDecoder } from './decoder.js';
import { varintLength, writeVarint } from './varint.js';

/** Below this size a frame's prefix and payload are copied into one buffer: one write beats two. */
const COALESCE_LIMIT = 4096;

/** How one connection turns messages into bytes and back. */
export interface Codec {
  /** Writes one message. */
  write(socket: Socket, data: Uint8Array): void;
  /** Handles one received chunk; returns an error that must end the connection. */
  read(chunk: Uint8Array, processData: ProcessData): Error | undefined;
}

/**
 * Tcp: the stream as it comes, one chunk per message. Small messages are copied, so the caller
 * may reuse a small buffer right after `send`; larger ones are written from the caller's buffer.
 */
export const streamCodec: Codec = {
  write(socket, data) {
    socket.write(data.byteLength <= COALESCE_LIMIT ? Buffer.from(data) : data);
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

  write(socket: Socket, data: Uint8Array): void {
    const length = data.byteLength;
    const prefixLength = varintLength(length);
    if (length <= COALESCE_LIMIT) {
      const frame = Buffer.allocUnsafe(prefixLength + length);
      writeVarint(length, frame, 0);
      frame.set(data, prefixLength);
      socket.write(frame);
      return;
    }
    const prefix = Buffer.allocUnsafe(prefixLength);
    writeVarint(length, prefix, 0);
    socket.write(prefix);
    socket.write(data);
  }

  read(chunk: Uint8Array, processData: ProcessData): Error | undefined {
    return this.decoder.decode(chunk, processData);
  }
}
