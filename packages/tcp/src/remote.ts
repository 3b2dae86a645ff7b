import type { Socket } from 'node:net';
import { PendingStatus, SendStatus, WriteBatch, type ProcessData, type Remote, type RemoteWatch } from '@message-io/core';
import type { Codec } from './codec.js';

/**
 * One Tcp or FramedTcp connection. The first send of a synchronous run leaves at once; the
 * following ones are batched (small ones copied into a shared slab) and leave in one system call
 * on the next tick (core's `WriteBatch`); the socket's `writableHighWaterMark` is at most the
 * connection's `maxBufferedBytes`, so a `'drain'` always follows a queue that reached the cap.
 */
export class TcpRemote implements Remote {
  private watch: RemoteWatch | undefined;
  private error: Error | undefined;
  private readonly out: WriteBatch;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly codec: Codec,
    readonly maxMessageSize: number,
    private readonly linger: number,
  ) {
    this.out = new WriteBatch(socket);
    socket.on('error', (error) => {
      this.error ??= error;
    });
    socket.on('close', () => {
      clearTimeout(this.lingerTimer);
      this.watch?.closed(this.error);
    });
  }

  get bufferedBytes(): number {
    return this.socket.writableLength + this.out.pendingBytes;
  }

  source(watch: RemoteWatch): void {
    this.watch = watch;
    this.socket.once('connect', () => watch.notify('writable'));
    this.socket.on('drain', () => watch.notify('writable'));
  }

  pending(): PendingStatus {
    if (this.socket.destroyed) return PendingStatus.Disconnected;
    return this.socket.connecting ? PendingStatus.Incomplete : PendingStatus.Ready;
  }

  receive(processData: ProcessData): void {
    this.socket.on('data', (chunk: Buffer) => {
      const error = this.codec.read(chunk, processData);
      if (error !== undefined) {
        this.error = error;
        this.socket.destroy();
      }
    });
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
    socket.removeAllListeners('data');
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
}
