import type { Socket } from 'node:net';
import { PendingStatus, SendStatus, WriteBatch, type ProcessData, type Remote, type RemoteWatch } from '@message-io/core';
import type { Codec } from './codec.js';

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
 * One Tcp or FramedTcp connection. The first send of a synchronous run leaves at once; the
 * following ones are batched (small ones copied into a shared slab) and leave in one system call
 * on the next tick (core's `WriteBatch`); the socket's `writableHighWaterMark` is at most the
 * connection's `maxBufferedBytes`, so a `'drain'` always follows a queue that reached the cap.
 */
export class TcpRemote implements Remote {
  private watch: RemoteWatch | undefined;
  private error: Error | undefined;
  private processData: ProcessData | undefined;
  private readonly out: WriteBatch;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly codec: Codec,
    readonly maxMessageSize: number,
    private readonly linger: number,
  ) {
    this.out = new WriteBatch(socket);
    (socket as OwnedSocket)[REMOTE] = this;
    socket.on('error', onError);
    socket.on('close', onClose);
  }

  get bufferedBytes(): number {
    return this.socket.writableLength + this.out.pendingBytes;
  }

  source(watch: RemoteWatch): void {
    this.watch = watch;
    // An accepted socket is connected already and never emits 'connect'.
    if (this.socket.connecting) this.socket.once('connect', onWritable);
    this.socket.on('drain', onWritable);
  }

  pending(): PendingStatus {
    if (this.socket.destroyed) return PendingStatus.Disconnected;
    return this.socket.connecting ? PendingStatus.Incomplete : PendingStatus.Ready;
  }

  receive(processData: ProcessData): void {
    this.processData = processData;
    this.socket.on('data', onData);
  }

  pauseReceive(): void {
    this.socket.pause();
  }

  resumeReceive(): void {
    this.socket.resume();
  }

  send(data: Uint8Array): SendStatus {
    this.codec.write(this.out, data);
    return SendStatus.Sent;
  }

  close(): void {
    const socket = this.socket;
    this.watch = undefined;
    socket.removeListener('data', onData);
    if (socket.destroyed) return;
    if (this.error !== undefined || socket.connecting) {
      socket.destroy();
      return;
    }
    this.out.flush();
    socket.resume();
    socket.end();
    this.lingerTimer = setTimeout(() => socket.destroy(), this.linger);
    this.lingerTimer.unref();
  }

  /** The socket reported an error; the first one is the cause given with `closed`. */
  failed(error: Error): void {
    this.error ??= error;
  }

  /** The socket closed. */
  ended(): void {
    clearTimeout(this.lingerTimer);
    this.watch?.closed(this.error);
  }

  /** The socket connected, or drained its queue. */
  writable(): void {
    this.watch?.notify('writable');
  }

  /** One received chunk. */
  data(chunk: Buffer): void {
    const error = this.codec.read(chunk, this.processData!);
    if (error !== undefined) {
      this.error = error;
      this.socket.destroy();
    }
  }
}
