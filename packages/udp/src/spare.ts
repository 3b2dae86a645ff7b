import type { Socket } from 'node:dgram';
import { queuedDatagrams } from './socket.js';

/**
 * The copy of the last datagram that left at once, free to take the next datagram of its size.
 *
 * `send` owes the caller a copy (the caller may change its buffer as soon as `send` returns, and a
 * datagram that cannot leave at once waits in the socket's queue by reference). Most datagrams
 * leave in the call itself: dgram tries the system call first and queues only when the system
 * has no room. Then the copy is free again, and allocating a new one per datagram costs more
 * than the copying (a quarter of the send path's own time at 64 bytes; at 64 KiB, garbage
 * collections). So one copy is kept for the whole thread and lent to each send: a datagram of
 * another size gets a new buffer, and a copy that waits in a queue is never lent again.
 * One buffer for every socket of the thread: at most one datagram's size held, however many
 * sockets there are.
 */
let spare: Buffer | undefined;

/** A copy of `data` for one `socket.send`: the spare when it has the size, a new buffer otherwise. */
export function copyForSend(data: Uint8Array): Buffer {
  let copy = spare;
  if (copy === undefined || copy.length !== data.length) copy = Buffer.allocUnsafe(data.length);
  else spare = undefined;
  copy.set(data);
  return copy;
}

/**
 * Call right after `socket.send(copy)` made by a send that happens in the call (a connected
 * socket, or an address that needs no lookup): when the socket's queue is empty, the datagram
 * left (or failed) inside the call and `copy` becomes the spare. Returns whether the queue is empty.
 */
export function sentAtOnce(socket: Socket, copy: Buffer): boolean {
  if (queuedDatagrams(socket) !== 0) return false;
  spare = copy;
  return true;
}

/** `copy`, made by {@link copyForSend}, left within its send (as the socket's handle said): it becomes the spare. */
export function reuseSpare(copy: Buffer): void {
  spare = copy;
}
