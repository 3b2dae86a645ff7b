// The second file of message-io that touches what Node does not document: the libuv TCP or pipe
// handle of a connection a `net.Server` accepts (its `onconnection` slot, and the handle's `readStart`,
// `readStop`, `useUserBuffer`, `onread`, `writeBuffer`, `writev`, `shutdown`, `close`,
// `getpeername`, `getsockname`, `setNoDelay`, `setKeepAlive`), and the request classes and shared state of
// Node's `stream_wrap` binding. A `net.Socket` costs more to build and to close than everything
// else an accepted connection does (design note 0019); a `HandleSocket` does what a connection
// needs of one, on the same handle. Where this Node's handles are not as expected,
// `acceptHandles` answers false and the server goes on building sockets;
// test/handle-socket.test.ts fails loudly on such a Node.
import { EventEmitter } from 'node:events';
import type { Server } from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { OnRead } from './receive-buffer.js';
import type { BatchSink } from './write-batch.js';

/** A listener of a Node event emitter. */
type Listener = Parameters<EventEmitter['on']>[1];

/**
 * What a connection of a stream adapter uses of its socket: a `net.Socket`, a `tls.TLSSocket`, or
 * a {@link HandleSocket}.
 */
export interface StreamSocket extends BatchSink {
  readonly destroyed: boolean;
  readonly connecting: boolean;
  readonly writableLength: number;
  on(event: string, listener: Listener): this;
  once(event: string, listener: Listener): this;
  removeListener(event: string, listener: Listener): this;
  pause(): this;
  resume(): this;
  isPaused(): boolean;
  end(): this;
  destroy(error?: Error): this;
  setNoDelay(noDelay?: boolean): this;
  setKeepAlive(enable?: boolean, initialDelay?: number): this;
  /** `'timeout'` (and `callback`) after `timeout` ms with no byte read or written; 0 turns it off. */
  setTimeout(timeout: number, callback?: () => void): this;
}

/** A request object of Node's stream binding: what the handle calls back on completion. */
interface StreamRequest {
  handle: StreamHandle;
  oncomplete: (this: StreamRequest, status: number) => void;
}

/** A write that did not finish within its call: what its completion settles. */
interface WriteRequest extends StreamRequest {
  socket: HandleSocket;
  /** The bytes, kept until written. */
  chunks: Uint8Array[] | Uint8Array;
  size: number;
  callbacks: WriteCallback[] | WriteCallback | undefined;
}

type WriteCallback = (error?: Error | null) => void;

/**
 * The libuv handle of an accepted connection, as Node's `tcp_wrap` makes it, or `pipe_wrap` for a
 * Unix domain socket (which has no `getpeername`, `getsockname`, `setNoDelay` nor `setKeepAlive`).
 */
interface StreamHandle {
  onread: ((this: StreamHandle) => Uint8Array | undefined) | null;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
  writeBuffer(request: StreamRequest, data: Uint8Array): number;
  writev(request: StreamRequest, chunks: Uint8Array[], allBuffers: boolean): number;
  shutdown(request: StreamRequest): number;
  close(callback: () => void): void;
  getpeername?(out: { address?: string; port?: number; family?: string }): number;
  getsockname?(out: { address?: string; port?: number; family?: string }): number;
  setNoDelay?(on: boolean): number;
  setKeepAlive?(on: boolean, seconds: number): number;
  [OWNER]?: HandleSocket;
}

/** What Node's `stream_wrap` binding offers: the request classes and the state the handle writes its answers into. */
interface StreamBinding {
  WriteWrap: new () => StreamRequest;
  ShutdownWrap: new () => StreamRequest;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kBytesWritten: number;
  kLastWriteWasAsync: number;
}

/** The listening handle of a `net.Server`. */
interface ServerHandle {
  onconnection: ((this: ServerHandle, status: number, handle?: StreamHandle) => void) | null;
}

const OWNER: unique symbol = Symbol('message-io.handle-socket');
/** libuv's end of stream (`UV_EOF`). */
const EOF = -4095;
/** The answer of `shutdown` when it finished within the call. */
const SHUTDOWN_DONE = 1;
/** `UV_ENOTCONN`: the peer is gone, as good as shut. */
const ENOTCONN = -107;

let binding: StreamBinding | null | undefined;

/**
 * True when Node runs with pending deprecations shown (`--pending-deprecation`, in its arguments
 * or `NODE_OPTIONS`, or `NODE_PENDING_DEPRECATION=1`): it would then warn about
 * `process.binding` (DEP0111), so accepted connections keep Node's sockets instead.
 */
function pendingDeprecation(): boolean {
  const flag = '--pending-deprecation';
  return process.execArgv.includes(flag) || (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes(flag) || process.env.NODE_PENDING_DEPRECATION === '1';
}

/** The stream binding, or null when this Node does not offer it as expected (or would warn about it). */
function streamBinding(): StreamBinding | null {
  if (binding !== undefined) return binding;
  binding = null;
  if (pendingDeprecation()) return binding;
  try {
    const found = (process as unknown as { binding?: (name: string) => unknown }).binding?.('stream_wrap') as Partial<StreamBinding> | undefined;
    if (
      typeof found?.WriteWrap === 'function' &&
      typeof found.ShutdownWrap === 'function' &&
      found.streamBaseState instanceof Int32Array &&
      typeof found.kReadBytesOrError === 'number' &&
      typeof found.kBytesWritten === 'number' &&
      typeof found.kLastWriteWasAsync === 'number'
    )
      binding = found as StreamBinding;
  } catch {
    // no binding: every server keeps Node's sockets
  }
  return binding;
}

/** An error as Node names a failed system call on a socket (`read ECONNRESET`, with `code`, `errno`, `syscall`). */
function systemError(status: number, syscall: string): Error {
  let code: string;
  try {
    code = getSystemErrorName(status);
  } catch {
    code = `E${-status}`;
  }
  return Object.assign(new Error(`${syscall} ${code}`), { errno: status, code, syscall });
}

function callAll(callbacks: WriteCallback[] | WriteCallback | undefined, error: Error | null): void {
  if (callbacks === undefined) return;
  if (typeof callbacks === 'function') return callbacks(error);
  for (const callback of callbacks) callback(error);
}

function emitTimeout(socket: HandleSocket): void {
  if (!socket.destroyed) socket.emit('timeout');
}

function emitDrain(socket: HandleSocket): void {
  if (!socket.destroyed) socket.emit('drain');
}

function emitError(socket: HandleSocket, error: Error): void {
  socket.emit('error', error);
}

function emitFinish(socket: HandleSocket): void {
  if (!socket.destroyed) socket.emit('finish');
}

/**
 * An accepted TCP connection (or Unix domain socket connection) without a `net.Socket`: what a connection of an adapter uses of a
 * socket (write, cork and uncork; pause and resume; end and destroy; `writableLength` and
 * `'drain'`; `'error'` then `'close'`), done on the libuv handle itself. It reads from the start
 * into the buffers of `onread`, as a socket built with Node's `onread` option, and it ends as a
 * socket without `allowHalfOpen` does: when the peer ends, it ends its side once what it queued
 * is written, then closes. `'finish'` tells that our side is shut (after `end`), as a socket's does.
 */
export class HandleSocket extends EventEmitter implements StreamSocket {
  /** True from `destroy` (or an error) on: nothing more is read or written. */
  destroyed = false;
  /** Always false: an accepted connection is connected. */
  readonly connecting = false;
  /**
   * The peer's address, port and family (`'IPv4'` or `'IPv6'`), as the system gave them at the
   * accept. A Unix domain socket's peer has none: `''`, 0 and undefined.
   */
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: string | undefined;
  private buffer: Uint8Array;
  private reading = false;
  private corked = 0;
  /** Writes held by `cork`, their bytes and callbacks. */
  private held: Uint8Array[] | undefined = undefined;
  private heldCallbacks: WriteCallback[] | undefined = undefined;
  private heldBytes = 0;
  /** Bytes of writes the system has not finished. */
  private queued = 0;
  private needDrain = false;
  private ending = false;
  /** A shutdown is under way (the system finishes it later). */
  private shutting = false;
  private shut = false;
  private peerDone = false;
  /** The idle timer of `setTimeout`, refreshed by every read and write. */
  private idle: ReturnType<typeof setTimeout> | undefined = undefined;

  /** Wraps `handle`, accepted and connected, and starts reading it. */
  constructor(
    private readonly handle: StreamHandle,
    peer: { address: string; port: number; family?: string },
    private readonly onread: OnRead<StreamSocket>,
    private readonly highWaterMark: number,
  ) {
    super();
    this.remoteAddress = peer.address;
    this.remotePort = peer.port;
    this.remoteFamily = peer.family;
    handle[OWNER] = this;
    const { buffer } = onread;
    this.buffer = typeof buffer === 'function' ? buffer() : buffer;
    handle.useUserBuffer(this.buffer);
    handle.onread = HandleSocket.onHandleRead;
    this.resume();
  }

  /** Our end's address, port and family, as a socket's `address()` gives them (asked of the system; empty once closed, and for a Unix domain socket). */
  address(): { address?: string; port?: number; family?: string } {
    const ours: { address?: string; port?: number; family?: string } = {};
    if (!this.destroyed) this.handle.getsockname?.(ours);
    return ours;
  }

  /** Our end's address (`address()`). */
  get localAddress(): string | undefined {
    return this.address().address;
  }

  /** Our end's port (`address()`). */
  get localPort(): number | undefined {
    return this.address().port;
  }

  /** True from `end` (or `destroy`) on: nothing more may be written. */
  get writableEnded(): boolean {
    return this.ending || this.destroyed;
  }

  /** Bytes written and not yet taken by the system: held by `cork`, or waiting in the handle. */
  get writableLength(): number {
    return this.queued + this.heldBytes;
  }

  /** The handle's `onread`: `this` is the handle; the answer is the buffer of its next read, if it changes. */
  private static onHandleRead(this: StreamHandle): Uint8Array | undefined {
    const socket = this[OWNER]!;
    const nread = binding!.streamBaseState[binding!.kReadBytesOrError]!;
    if (nread > 0) {
      if (socket.destroyed) return undefined;
      return socket.readInto(nread);
    }
    if (nread === 0) return undefined;
    if (nread === EOF) socket.peerEnded();
    else socket.destroy(systemError(nread, 'read'));
    return undefined;
  }

  /** A write's completion: `this` is its request. */
  private static onWriteComplete(this: StreamRequest, status: number): void {
    const request = this as WriteRequest;
    request.socket.written(request, status);
  }

  /** A shutdown's completion. */
  private static onShutdownComplete(this: StreamRequest, status: number): void {
    const socket = this.handle[OWNER];
    if (socket === undefined) return;
    if (status < 0 && status !== ENOTCONN) socket.destroy(systemError(status, 'shutdown'));
    else socket.shutDone();
  }

  /** A read of `length` bytes into the current buffer: hands it over; answers the next buffer if it changes. */
  private readInto(length: number): Uint8Array | undefined {
    this.idle?.refresh();
    const { buffer, callback } = this.onread;
    if (callback.call(this, length, this.buffer) === false) this.pause();
    if (typeof buffer !== 'function') return undefined;
    this.buffer = buffer();
    return this.buffer;
  }

  /**
   * Queues `data`, in order; `callback` runs once the system took it. Answers false once
   * `writableLength` reaches the high-water mark (a `'drain'` follows).
   */
  write(data: Uint8Array, callback?: WriteCallback): boolean {
    if (this.destroyed || this.ending) {
      if (callback !== undefined) process.nextTick(callback, systemError(-32, 'write'));
      return false;
    }
    if (this.corked > 0) {
      (this.held ??= []).push(data);
      if (callback !== undefined) (this.heldCallbacks ??= []).push(callback);
      this.heldBytes += data.byteLength;
    } else this.dispatch(data, callback);
    if (this.writableLength < this.highWaterMark) return true;
    this.needDrain = true;
    return false;
  }

  /** Holds writes back until as many `uncork`s. */
  cork(): void {
    this.corked++;
  }

  /** Lets the held writes go in one system call once every `cork` is undone. */
  uncork(): void {
    if (this.corked === 0 || --this.corked > 0 || this.held === undefined) return;
    const chunks = this.held;
    const callbacks = this.heldCallbacks;
    this.held = undefined;
    this.heldCallbacks = undefined;
    this.heldBytes = 0;
    if (!this.destroyed) this.dispatch(chunks.length === 1 ? chunks[0]! : chunks, callbacks);
    // Taken by the system within the call: the `'drain'` that `write` promised comes now (on the next tick, as Node's).
    if (this.needDrain && this.writableLength === 0 && !this.destroyed) {
      this.needDrain = false;
      process.nextTick(emitDrain, this);
    }
    this.maybeShutdown();
  }

  /** Stops reading (the peer's bytes wait in the system). */
  pause(): this {
    if (this.reading) {
      this.reading = false;
      this.handle.readStop();
    }
    return this;
  }

  /** Reads again. */
  resume(): this {
    if (!this.reading && !this.destroyed && !this.peerDone) {
      this.reading = true;
      const status = this.handle.readStart();
      if (status < 0) this.destroy(systemError(status, 'read'));
    }
    return this;
  }

  /** True while not reading. */
  isPaused(): boolean {
    return !this.reading;
  }

  /** Ends our side once everything queued is written; closes once the peer has ended too. */
  end(): this {
    if (this.ending || this.destroyed) return this;
    this.ending = true;
    this.maybeShutdown();
    return this;
  }

  /** Closes at once: what is queued is dropped; `'error'` (with `error`) then `'close'` follow. */
  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.reading = false;
    if (this.idle !== undefined) clearTimeout(this.idle);
    this.handle.close(() => {
      this.handle[OWNER] = undefined;
      this.emit('close', error !== undefined);
    });
    if (error !== undefined) process.nextTick(emitError, this, error);
    return this;
  }

  /** `TCP_NODELAY` (nothing on a Unix domain socket). */
  setNoDelay(on = true): this {
    if (!this.destroyed) this.handle.setNoDelay?.(on);
    return this;
  }

  /** `SO_KEEPALIVE`, the first probe after `initialDelay` ms (whole seconds, as Node rounds them; nothing on a Unix domain socket). */
  setKeepAlive(enable = false, initialDelay = 0): this {
    if (!this.destroyed) this.handle.setKeepAlive?.(enable, Math.floor(initialDelay / 1000));
    return this;
  }

  /** Emits `'timeout'` (and calls `callback`) after `timeout` ms with no byte read or written, as a socket's `setTimeout`; 0 turns it off. */
  setTimeout(timeout: number, callback?: () => void): this {
    if (this.idle !== undefined) clearTimeout(this.idle);
    this.idle = undefined;
    if (callback !== undefined) this.once('timeout', callback);
    if (timeout > 0 && !this.destroyed) {
      this.idle = setTimeout(emitTimeout, timeout, this);
      this.idle.unref();
    }
    return this;
  }

  /** The handle read the end of the stream: ends our side (after what is queued), then closes. */
  private peerEnded(): void {
    this.peerDone = true;
    this.pause();
    if (this.shut) this.destroy();
    else this.end();
  }

  /** The system finished a write that waited. */
  private written(request: WriteRequest, status: number): void {
    this.queued -= request.size;
    this.idle?.refresh();
    const error = status < 0 && !this.destroyed ? systemError(status, 'write') : null;
    if (error !== null) this.destroy(error);
    callAll(request.callbacks, error);
    if (this.destroyed || this.queued > 0) return;
    if (this.needDrain && this.heldBytes === 0) {
      this.needDrain = false;
      this.emit('drain');
    }
    this.maybeShutdown();
  }

  /** Our side is shut: `'finish'` on the next tick (as Node's), and closes if the peer's is shut too. */
  private shutDone(): void {
    this.shutting = false;
    this.shut = true;
    process.nextTick(emitFinish, this);
    if (this.peerDone) this.destroy();
  }

  private dispatch(data: Uint8Array | Uint8Array[], callbacks: WriteCallback[] | WriteCallback | undefined): void {
    this.idle?.refresh();
    const { WriteWrap, streamBaseState, kBytesWritten, kLastWriteWasAsync } = binding!;
    const request = new WriteWrap() as WriteRequest;
    request.handle = this.handle;
    request.oncomplete = HandleSocket.onWriteComplete;
    const status = Array.isArray(data) ? this.handle.writev(request, data, true) : this.handle.writeBuffer(request, data);
    if (status !== 0) {
      const error = systemError(status, 'write');
      this.destroy(error);
      if (callbacks !== undefined) process.nextTick(callAll, callbacks, error);
      return;
    }
    if (streamBaseState[kLastWriteWasAsync] === 0) return callAll(callbacks, null);
    request.socket = this;
    request.chunks = data;
    request.callbacks = callbacks;
    request.size = streamBaseState[kBytesWritten]!;
    this.queued += request.size;
  }

  private maybeShutdown(): void {
    if (!this.ending || this.shutting || this.shut || this.destroyed || this.queued > 0 || this.heldBytes > 0 || this.corked > 0) return;
    const request = new binding!.ShutdownWrap();
    request.handle = this.handle;
    request.oncomplete = HandleSocket.onShutdownComplete;
    const status = this.handle.shutdown(request);
    if (status === SHUTDOWN_DONE || status === ENOTCONN) this.shutDone();
    else if (status < 0) this.destroy(systemError(status, 'shutdown'));
    else this.shutting = true; // 0: the system finishes it later (HandleSocket.onShutdownComplete)
  }
}

/** A class of sockets `acceptHandles` can make: {@link HandleSocket} or one that extends it (and keeps its constructor). */
export type HandleSocketClass<S extends HandleSocket> = new (...args: ConstructorParameters<typeof HandleSocket>) => S;

/** The peer of an accepted Unix domain socket connection: it has no address. */
const NO_PEER = { address: '', port: 0 };

/**
 * Makes the listening `server` (TCP, or a Unix domain socket) hand each connection it accepts to `accepted` as a
 * {@link HandleSocket} (or a `Kind` of one) reading into `onread`'s buffers (with `highWaterMark`
 * for its writes), instead of building a `net.Socket` and emitting `'connection'`. Call it once
 * the server listens. An accept error goes to the server's `'error'`, as Node sends it. Answers
 * false, changing nothing, when this Node's server or stream binding is not as expected.
 * `server.maxConnections` is not applied: count connections yourself (the core does).
 */
export function acceptHandles<S extends HandleSocket = HandleSocket>(
  server: Server,
  onread: OnRead<StreamSocket>,
  highWaterMark: number,
  accepted: (socket: S) => void,
  Kind: HandleSocketClass<S> = HandleSocket as unknown as HandleSocketClass<S>,
): boolean {
  const handle = (server as Server & { _handle?: ServerHandle | null })._handle;
  if (typeof handle?.onconnection !== 'function' || streamBinding() === null) return false;
  handle.onconnection = (status, client) => {
    if (status !== 0 || client === undefined) {
      server.emit('error', systemError(status, 'accept'));
      return;
    }
    if (client.getpeername === undefined) return accepted(new Kind(client, NO_PEER, onread, highWaterMark));
    const peer: { address?: string; port?: number; family?: string } = {};
    if (client.getpeername(peer) !== 0 || peer.address === undefined || peer.port === undefined) {
      client.close(() => undefined);
      return;
    }
    accepted(new Kind(client, peer as { address: string; port: number; family?: string }, onread, highWaterMark));
  };
  return true;
}
