// The one file of message-io that touches what Node's `net` does not document: the fields of a
// `net.Socket` named below, and the `handle` and `onread` options of `new Socket()` (Node reads
// them, its types leave them out). Every function here falls back to documented behaviour when
// Node changes them, so nothing breaks, only a saving is lost; test/node-internals.test.ts says
// so loudly, on real sockets, for the Node it runs on. Design note 0008.
import { Socket } from 'node:net';
import type { OnRead } from './receive-buffer.js';

/** Fields of Node's `net.Socket` used here: none is in Node's documented API. */
interface SocketFields {
  /** The libuv stream the socket wraps; `null` once the socket has let it go. */
  _handle?: unknown;
  /** The server that accepted the socket: Node counts it among that server's connections. */
  _server?: unknown;
  server?: unknown;
  /** The peer address Node caches on the first read of `remoteAddress`. */
  _peername?: unknown;
}

/** How a socket made here reads and writes. */
export interface ReadingOptions {
  /** Node's `onread`: the buffer of each read, and what to call after it ({@link ReceiveBuffer}, {@link OwnedReads}). */
  readonly onread: OnRead;
  /** Bytes the socket's writable side holds before `write` answers `false`; Node's default if left out. */
  readonly writableHighWaterMark?: number;
}

/**
 * A new, unconnected `Socket` that reads into `options.onread`'s buffers (Node takes `onread` from
 * a new socket's options, though its types list it for `connect` only). Connect it with
 * `socket.connect(...)`.
 */
export function readingSocket(options: ReadingOptions): Socket {
  return new Socket(options as ConstructorParameters<typeof Socket>[0]);
}

/**
 * Moves the stream of a socket a server accepted into a new `Socket` that reads into
 * `options.onread`'s buffers (Node gives `onread` to the sockets it builds from options, not to
 * the ones a server accepts). `accepted` must have read nothing yet (a server made with
 * `pauseOnConnect`, or one whose parser let the stream go). The server's count of its connections
 * moves to the new socket; the old one lets go of the stream, so that nothing done to it can close
 * it, and becomes garbage. Returns `undefined`, with `accepted` left as it was, when this Node's
 * sockets are not built as expected: the adapter then goes on with `accepted`.
 */
export function takeOverSocket(accepted: Socket, options: ReadingOptions): Socket | undefined {
  const old = accepted as Socket & SocketFields;
  const handle = old._handle as { readStart?: unknown; useUserBuffer?: unknown } | null | undefined;
  if (typeof handle?.readStart !== 'function' || typeof handle.useUserBuffer !== 'function') return undefined;
  const socket = new Socket({ handle, readable: true, writable: true, ...options } as ConstructorParameters<typeof Socket>[0]) as Socket & SocketFields;
  if (socket._handle !== handle) {
    // This Node ignored `handle`: the new socket holds nothing, and `accepted` still owns its stream.
    socket.destroy();
    return undefined;
  }
  socket._server = old._server;
  socket.server = old.server;
  old._server = null;
  old.server = null;
  old._handle = null;
  return socket;
}

/** Where a `Socket` built with `onread` keeps it: Node's own symbols, found once on a probe socket. */
interface OnreadSlots {
  /** The buffer the next read goes into (or `true` before the first, with a buffer function). */
  readonly buffer: symbol;
  /** The function that gives each read's buffer, or `null`. */
  readonly generator: symbol;
  /** The callback of each read. */
  readonly callback: symbol;
}

let onreadSlots: OnreadSlots | null | undefined;

/** Node's symbols for `onread` (`kBuffer`, `kBufferGen`, `kBufferCb`), read off a socket built with it; `null` if this Node has other ones. */
function findOnreadSlots(): OnreadSlots | null {
  const buffer = new Uint8Array(1);
  const callback = (): undefined => undefined;
  const probe = readingSocket({ onread: { buffer: () => buffer, callback } });
  const slots = Object.getOwnPropertySymbols(probe);
  const named = (description: string): symbol | undefined => slots.find((slot) => slot.description === description);
  const found = { buffer: named('kBuffer'), generator: named('kBufferGen'), callback: named('kBufferCb') };
  const fields = probe as unknown as Record<symbol, unknown>;
  probe.destroy();
  if (found.buffer === undefined || found.generator === undefined || found.callback === undefined) return null;
  // The probe must hold what it was given where this code expects it.
  if (fields[found.callback] !== callback || typeof fields[found.generator] !== 'function') return null;
  return found as OnreadSlots;
}

/**
 * Makes a socket a server accepted read into `options.onread`'s buffers, in place: the state Node
 * gives a socket built with `onread` is set on this one, and its stream told to read into the
 * first buffer; it starts reading at once, as the socket {@link takeOverSocket} builds does.
 * Cheaper than that (no second socket per connection), for the same result. `accepted` must not
 * have started reading (a server made with `pauseOnConnect`).
 * Returns false, with `accepted` left as it was, when this Node keeps `onread` otherwise: use
 * {@link takeOverSocket} then.
 */
export function readInPlace(accepted: Socket, options: ReadingOptions): boolean {
  const handle = (accepted as Socket & SocketFields)._handle as UserBufferHandle | null | undefined;
  if (typeof handle?.useUserBuffer !== 'function' || handle.reading === true) return false;
  if (!setOnread(accepted, handle, options)) return false;
  // Reading starts now, as on a socket built with a stream (Node's `resume` starts an `onread` socket's reads).
  accepted.resume();
  return true;
}

/**
 * Makes a socket that is already reading, and whose stream holds nothing unread, read into
 * `options.onread`'s buffers from its next read on, in place: a socket an HTTP server let go after
 * an upgrade (its stream kept reading for the parser). No second socket per connection, unlike
 * {@link takeOverSocket}. Returns false, with `socket` left as it was, when it does not qualify
 * (bytes wait in its stream, it is not reading, or this Node keeps `onread` otherwise).
 */
export function readUpgradedInPlace(socket: Socket, options: ReadingOptions): boolean {
  const handle = (socket as Socket & SocketFields)._handle as UserBufferHandle | null | undefined;
  if (typeof handle?.useUserBuffer !== 'function' || handle.reading !== true || socket.readableLength !== 0) return false;
  return setOnread(socket, handle, options);
}

/** A libuv stream as Node's socket wraps it: `reading` is Node's own note of whether it reads. */
interface UserBufferHandle {
  useUserBuffer(buffer: Uint8Array): void;
  reading?: boolean;
}

/** Gives `socket` the state Node gives a socket built with `onread`; false, changing nothing, if its slots are not as expected. */
function setOnread(socket: Socket, handle: UserBufferHandle, options: ReadingOptions): boolean {
  onreadSlots ??= findOnreadSlots();
  if (onreadSlots === null) return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  // A socket built without `onread` holds null in each slot; anything else is not what we know.
  if (fields[onreadSlots.buffer] !== null || fields[onreadSlots.generator] !== null || fields[onreadSlots.callback] !== null) return false;
  const { buffer, callback } = options.onread;
  const first = typeof buffer === 'function' ? buffer() : buffer;
  fields[onreadSlots.generator] = typeof buffer === 'function' ? buffer : null;
  fields[onreadSlots.buffer] = first;
  fields[onreadSlots.callback] = callback;
  handle.useUserBuffer(first);
  if (options.writableHighWaterMark !== undefined) {
    const state = (socket as Socket & { _writableState?: { highWaterMark?: number } })._writableState;
    if (state !== undefined && typeof state.highWaterMark === 'number') state.highWaterMark = options.writableHighWaterMark;
  }
  return true;
}

/**
 * Drops the peer address that reading `remoteAddress` made Node cache on `socket` (an object and a
 * string, about 90 bytes a connection). Call it once the address is kept elsewhere (the core keeps
 * it in the endpoint); if Node needs it again, it asks the system once more.
 */
export function forgetCachedPeer(socket: Socket): void {
  (socket as Socket & SocketFields)._peername = undefined;
}
