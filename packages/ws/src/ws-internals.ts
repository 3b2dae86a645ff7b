// The one file of @message-io/ws that touches what `ws` and Node do not document: the `_receiver`
// of a `ws` WebSocket (its frame parser, a Writable) with its `_bufferedBytes` and
// `_writableState`, and the `write` method of a socket that `ws` writes to, which is put behind
// ours. Each use has a fallback: when `ws` changes, `receiverOf` answers `undefined` and `ws`
// receives everything itself (slower, still correct). test/ws-internals.test.ts fails loudly when
// the `ws` it runs on no longer has them. Design note 0005.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** The part of `ws`'s Receiver (a Writable, `ws` 8) that our receive path works with. */
export interface WsReceiver {
  write(chunk: Buffer): boolean;
  _bufferedBytes: number;
  _writableState: { errored: unknown; ending: boolean };
}

/**
 * The receiver of an open `ws` connection, when our receive path can sit in front of it: `ws` has
 * the receiver we know, with nothing buffered, its `write` from its prototype (no one else put
 * anything in front of it), and no extension (no compression) was agreed. Else `undefined`.
 */
export function receiverOf(ws: WebSocket): WsReceiver | undefined {
  const receiver = (ws as unknown as { _receiver?: WsReceiver | null })._receiver;
  if (receiver === undefined || receiver === null || typeof receiver.write !== 'function' || receiver._bufferedBytes !== 0) return undefined;
  if (ws.extensions !== '' || Object.hasOwn(receiver, 'write')) return undefined;
  return receiver;
}

/** Puts `write` in front of the receiver's own: the socket's bytes, which `ws` writes there, reach `write` first. */
export function interceptReceiver<R extends WsReceiver>(receiver: R, write: (this: R, chunk: Buffer) => boolean): void {
  receiver.write = write;
}

/** Hands bytes to the receiver's own `write` (its prototype's, past the one {@link interceptReceiver} put in front). */
export function writeToReceiver(receiver: WsReceiver, chunk: Buffer): boolean {
  return (Object.getPrototypeOf(receiver) as WsReceiver).write.call(receiver, chunk);
}

/** True once the receiver has taken a Close frame or failed: `ws` reads nothing more from the connection. */
export function receiverDone(receiver: WsReceiver): boolean {
  const state = receiver._writableState;
  return state.ending || state.errored != null;
}

/** A socket's own `write`, as it was before {@link interceptSocketWrite} put another in front of it. */
export type SocketWrite = (this: Duplex, chunk: unknown, encoding?: unknown, callback?: unknown) => boolean;

/**
 * Puts `write` in front of the socket's own `write`, which it returns: `ws` writes to the socket
 * itself (Close, Ping, Pong, large messages), and our `write` runs first (to send what our batch
 * holds, so that frames leave in the order they were made), then calls the original.
 */
export function interceptSocketWrite(socket: Duplex, write: SocketWrite): SocketWrite {
  const original = socket.write as SocketWrite;
  socket.write = write as Duplex['write'];
  return original;
}
