// The one file of @message-io/ws that touches what `ws` and Node do not document: the `_receiver`
// of a `ws` WebSocket (its frame parser, a Writable) with its `_bufferedBytes` and
// `_writableState`, and the `write` method of a socket that `ws` writes to, which is put behind
// ours. Each use has a fallback: when `ws` changes, `receiverOf` answers `undefined` and `ws`
// receives everything itself (slower, still correct). test/ws-internals.test.ts fails loudly when
// the `ws` it runs on no longer has them. Design note 0005. On a connection accepted on its
// handle, `ws` is given a socket that is not a `net.Socket` (WsHandleSocket, design note 0020).
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { HandleSocket } from '@message-io/node-net';

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

/** What `ws` finds in a closing socket's readable state: nothing ever waits unread in a {@link WsHandleSocket}. */
const NOTHING_UNREAD: { readonly endEmitted: false; readonly length: 0 } = Object.freeze({ endEmitted: false, length: 0 });

type WriteCallback = (error?: Error | null) => void;

/** Where a {@link WsHandleSocket} hands its reads until its upgrade (the listener's pending handshakes). */
export interface HandshakeReader {
  /** A read of `socket`, before its upgrade. */
  read(socket: WsHandleSocket, chunk: Buffer): void;
  /** `socket` closed before its upgrade. */
  forget(socket: WsHandleSocket): void;
}

/**
 * A Ws connection accepted on its libuv handle (node-net's `HandleSocket`, design note 0020), with
 * what `ws` uses of a `net.Socket` beyond what a HandleSocket has: string writes (its HTTP
 * answers), `end` with a last chunk, `readable` and `writable`, and two fields Node does not
 * document, `_readableState` (read when the socket closes) and `_writableState.length` (its
 * `bufferedAmount`). Its reads never wait in a stream (`readableLength` is 0, `read` answers
 * null): they go to `handshake` until the upgrade, then to the connection, and `'data'` carries
 * only what our receive path does not take (when `ws` receives everything itself).
 */
export class WsHandleSocket extends HandleSocket {
  /** Until the upgrade: where each read goes (the listener's pending handshakes). */
  handshake: HandshakeReader | undefined = undefined;

  /** Read by `ws` when the socket closes, to hand its receiver what was left unread: nothing. */
  get _readableState(): typeof NOTHING_UNREAD {
    return NOTHING_UNREAD;
  }

  /** Read by `ws` for `bufferedAmount` (`_writableState.length`): the socket answers for itself. */
  get _writableState(): this {
    return this;
  }

  /** `_writableState.length`: the bytes written and not yet taken by the system. */
  get length(): number {
    return this.writableLength;
  }

  /** Always 0: reads are handed on as they come. */
  get readableLength(): number {
    return 0;
  }

  /** Until closed. */
  get readable(): boolean {
    return !this.destroyed;
  }

  /** Until ended or closed. */
  get writable(): boolean {
    return !this.writableEnded;
  }

  /** Nothing waits unread. */
  read(): null {
    return null;
  }

  /** Writes `chunk`; a string is encoded as UTF-8 (Node's default), as `ws` writes its HTTP answers. */
  override write(chunk: Uint8Array | string, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    const done = typeof encoding === 'function' ? encoding : callback;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk;
    return super.write(bytes, done);
  }

  /** Writes `chunk` if given, then ends our side; `callback` on `'finish'`. */
  override end(chunk?: Uint8Array | string | (() => void), callback?: () => void): this {
    if (typeof chunk === 'function') callback = chunk;
    else if (chunk !== undefined) this.write(chunk);
    if (callback !== undefined) this.once('finish', callback);
    return super.end();
  }
}
