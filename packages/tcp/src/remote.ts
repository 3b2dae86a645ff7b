import type { Socket } from 'node:net';
import { BorrowedBytes, PendingStatus, ReceiveBuffer, SendStatus, WriteBatch, type Remote, type RemoteWatch } from '@message-io/core';
import { writeFramed, writeStream } from './codec.js';
import { decodeWholeFrames, FrameDecoder } from './decoder.js';

/** Settings shared by the connections of one listener (or of outgoing connections alike). */
export interface RemoteSettings {
  /** Largest message sent or accepted; `Infinity` for Tcp. */
  readonly maxMessageSize: number;
  /** Milliseconds a graceful close may take before the socket is destroyed. */
  readonly linger: number;
  /** The sockets read into the buffer of {@link sharedReceive}: messages are lent, as BorrowedBytes. */
  readonly borrowed: boolean;
}

/** Where a socket's shared listeners find their connection. */
const REMOTE = Symbol('message-io.tcp.remote');
type OwnedSocket = Socket & { [REMOTE]: TcpRemote };

// One set of socket listeners for every connection (no closures per connection: memory per
// connection is a performance target); each finds its TcpRemote on the socket.
function onError(this: OwnedSocket, error: Error): void {
  this[REMOTE].failed(error);
}
function onClose(this: OwnedSocket): void {
  this[REMOTE].ended();
}
function onWritable(this: OwnedSocket): void {
  this[REMOTE].writable();
}
function onData(this: OwnedSocket, chunk: Buffer): void {
  this[REMOTE].data(chunk);
}

/**
 * The receive buffer shared by Tcp and FramedTcp connections: a read takes what the socket holds,
 * up to its size. 64 KiB, then 1 MiB from the first read that fills it (core's `ReceiveBuffer`), so
 * that most FramedTcp frames of up to hundreds of KiB lie within one read (handed over without a
 * copy), while a process that never receives in bulk keeps 64 KiB.
 */
const receiveBuffer = new ReceiveBuffer(64 * 1024, 1024 * 1024);

/** Node's `onread` option: what gives the buffer of each read, and what it calls after each read. */
export interface SharedReceive {
  readonly buffer: Uint8Array | (() => Uint8Array);
  callback(this: Socket, length: number, buffer: Uint8Array): void;
}

/**
 * The `onread` option of every socket, outgoing or accepted: one receive buffer for all of them, so
 * that a read allocates nothing. What is read is lent to the core as {@link BorrowedBytes}.
 */
const sharedReceiveOption: SharedReceive = {
  buffer: receiveBuffer.next,
  callback(this: Socket, length: number, buffer: Uint8Array): void {
    receiveBuffer.read(length, buffer);
    (this as OwnedSocket)[REMOTE].read(new BorrowedBytes(buffer.buffer as ArrayBuffer, buffer.byteOffset, length));
  },
};

/** The `onread` option of every Tcp and FramedTcp socket that lends what it reads. */
export function sharedReceive(): SharedReceive {
  return sharedReceiveOption;
}

/** The linger timers of the connections closing gracefully (kept here, not in every connection). */
const lingering = new Map<TcpRemote, ReturnType<typeof setTimeout>>();
/** The first error of each connection whose socket failed, until it closes (rare: not a field). */
const failures = new Map<TcpRemote, Error>();
/**
 * Connections that read into the shared buffer and wait for `receive`, with copies of what their
 * socket read before it (such a socket reads from the start; the others wait for `'data'`).
 */
const early = new Map<TcpRemote, Uint8Array[]>();

/**
 * One Tcp connection (FramedTcp: {@link FramedTcpRemote}). The first send of a synchronous run
 * leaves at once; the following ones are batched (small ones copied into a shared slab) and leave
 * in one system call on the next tick: the connection is its own core `WriteBatch`, writing to its
 * socket. The socket's `writableHighWaterMark` is at most the connection's `maxBufferedBytes`, so a
 * `'drain'` always follows a queue that reached the cap.
 */
export class TcpRemote extends WriteBatch<Socket> implements Remote {
  /** The core's watch, from `source` until `close`. */
  protected watch: RemoteWatch | undefined = undefined;

  /** Wraps `socket`, connected or connecting. */
  constructor(
    socket: Socket,
    protected readonly settings: RemoteSettings,
  ) {
    super(socket);
    (socket as OwnedSocket)[REMOTE] = this;
    if (settings.borrowed) early.set(this, []);
    socket.on('error', onError);
    socket.on('close', onClose);
  }

  /** The listener's (or connect's) `maxMessageSize`: `Infinity` for Tcp. */
  get maxMessageSize(): number {
    return this.settings.maxMessageSize;
  }

  get bufferedBytes(): number {
    return this.sink.writableLength + this.pendingBytes;
  }

  source(watch: RemoteWatch): void {
    this.watch = watch;
    // An accepted socket is connected already and never emits 'connect'.
    if (this.sink.connecting) this.sink.once('connect', onWritable);
    this.sink.on('drain', onWritable);
  }

  pending(): PendingStatus {
    if (this.sink.destroyed) return PendingStatus.Disconnected;
    return this.sink.connecting ? PendingStatus.Incomplete : PendingStatus.Ready;
  }

  receive(): void {
    if (this.settings.borrowed) {
      const chunks = early.get(this);
      early.delete(this);
      if (chunks !== undefined) for (const chunk of chunks) this.data(chunk);
      return;
    }
    this.sink.on('data', onData);
    this.sink.resume(); // an accepted socket comes paused (`pauseOnConnect`)
  }

  pauseReceive(): void {
    this.sink.pause();
  }

  resumeReceive(): void {
    this.sink.resume();
  }

  send(data: Uint8Array): SendStatus {
    writeStream(this, data);
    return SendStatus.Sent;
  }

  close(): void {
    const socket = this.sink;
    this.watch = undefined;
    early.delete(this);
    socket.removeListener('data', onData);
    if (socket.destroyed) return;
    if (failures.has(this) || socket.connecting) {
      socket.destroy();
      return;
    }
    this.flush();
    socket.resume();
    socket.end();
    const timer = setTimeout(() => {
      lingering.delete(this);
      socket.destroy();
    }, this.settings.linger);
    timer.unref();
    lingering.set(this, timer);
  }

  /** The socket reported an error; the first one is the cause given with `closed`. */
  failed(error: Error): void {
    if (!failures.has(this)) failures.set(this, error);
  }

  /** The socket closed. */
  ended(): void {
    const timer = lingering.get(this);
    if (timer !== undefined) {
      clearTimeout(timer);
      lingering.delete(this);
    }
    const error = failures.get(this);
    failures.delete(this);
    this.watch?.closed(error);
  }

  /** The socket connected, or drained its queue. */
  writable(): void {
    this.watch?.notify('writable');
  }

  /** One received chunk: one message. */
  data(chunk: Uint8Array): void {
    this.watch?.received(chunk);
  }

  /** One read into the shared receive buffer: handed over now, or copied until `receive`. */
  read(chunk: BorrowedBytes): void {
    const chunks = early.get(this);
    if (chunks === undefined) this.data(chunk);
    else chunks.push(new Uint8Array(chunk));
  }

  /** Ends the connection for `error` (a protocol violation found while reading). */
  protected fail(error: Error): void {
    failures.set(this, error);
    this.sink.destroy();
  }
}

/**
 * One FramedTcp connection: a LEB128 length prefix before each message. Frames that lie within
 * one chunk are decoded without state; a FrameDecoder is kept only while a frame spans chunks.
 */
export class FramedTcpRemote extends TcpRemote {
  private decoder: FrameDecoder | undefined = undefined;

  override send(data: Uint8Array): SendStatus {
    writeFramed(this, data);
    return SendStatus.Sent;
  }

  /** One received chunk: the frames it completes (BorrowedBytes when the chunk is). */
  override data(chunk: Uint8Array): void {
    const watch = this.watch; // kept: a message may make the user remove the connection
    if (watch === undefined) return;
    let decoder = this.decoder;
    let rest: Uint8Array = chunk;
    if (decoder === undefined) {
      const at = decodeWholeFrames(chunk, this.settings.maxMessageSize, watch);
      if (typeof at !== 'number') return this.fail(at);
      if (at === chunk.length) return;
      decoder = new FrameDecoder(this.settings.maxMessageSize, this.settings.borrowed);
      rest = chunk.subarray(at);
    }
    const error = decoder.decode(rest, watch);
    if (error !== undefined) return this.fail(error);
    this.decoder = decoder.idle ? undefined : decoder;
  }
}
