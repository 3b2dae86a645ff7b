import type { EventEmitter } from 'node:events';
import { BorrowedBytes } from '@message-io/core/adapter';
import { copyOf, OwnedReads, ReceiveBuffer, type OnRead, type StreamSocket } from '@message-io/node-net';

/** The reads of every connection accepted on its handle: one shared buffer, and buffers of their own for bulk (node-net). */
const ownedReads = new OwnedReads(new ReceiveBuffer(64 * 1024, 1024 * 1024));

/**
 * How a connection a listener accepts on its handle (node-net's `acceptHandles`) reads: each
 * read is emitted as a `'data'` chunk that is the user's, as a `net.Socket`'s are, so that the
 * connection decodes it the same way. A small read is copied out of the shared buffer; from a read
 * of 64 KiB on, the connection reads into buffers of its own, handed over with no copy.
 */
export const handleReading: OnRead<StreamSocket> = {
  buffer: ownedReads.next,
  callback(length, buffer) {
    const bytes = ownedReads.take(length, buffer);
    (this as unknown as EventEmitter).emit('data', bytes instanceof BorrowedBytes ? copyOf(bytes) : bytes);
  },
};
