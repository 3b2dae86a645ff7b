import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import {
  IdleTimeoutError,
  WriteBatch,
  MessageTooLargeError,
  PendingStatus,
  ProtocolError,
  SendStatus,
  type ProcessData,
  type Remote,
  type RemoteWatch,
} from '@message-io/core';
import { binaryFrame, binaryFrameLength, COALESCE_LIMIT, writeBinaryFrame } from './frame.js';
import { Heartbeat } from './heartbeat.js';
import { FastReceive } from './receive.js';
import type { WsSettings } from './options.js';

const LAST_FRAME = { binary: true, fin: true } as const;
const MORE_FRAMES = { binary: true, fin: false } as const;
/** Largest WebSocket frame header (2 + 8 length bytes + 4 mask bytes). */
const MAX_FRAME_HEADER = 14;
const TOO_LARGE = new Set(['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH']);

/** The error a `disconnected` event carries for an error reported by `ws`. */
export function peerError(error: Error): Error {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('WS_ERR_')) return error;
  if (TOO_LARGE.has(code)) return new MessageTooLargeError(`the peer sent a message over maxPayload: ${error.message}`, { cause: error });
  return new ProtocolError(`the peer broke the WebSocket protocol: ${error.message}`, { cause: error });
}

/**
 * One Ws connection, client or server side. The first send of a synchronous run leaves at once;
 * the following ones are framed into core's `WriteBatch` and leave in one write on the next tick.
 * A message over `maxFrameSize` goes out as several frames. The sends that reach half the
 * buffered-bytes cap and the cap carry a callback: once one is written out, the core hears
 * `writable` (and tells the user if a send was refused).
 */
export class WsRemote implements Remote {
  private watch: RemoteWatch | undefined;
  private error: Error | undefined;
  private socket: Duplex | undefined;
  private out: WriteBatch | undefined;
  /** Messages up to this size are framed here (frame.ts): set once open, with a known socket and no compression. */
  private coalesceLimit = -1;
  private early: Buffer[] | undefined = [];
  private deliver: (data: Buffer) => void = (data) => this.early?.push(data);
  private readonly heartbeat: Heartbeat | undefined;
  private readonly masked: boolean;

  /**
   * `socket` is given for an accepted connection (server side: unmasked frames); a client learns
   * its socket from the upgrade response, and masks its frames.
   */
  constructor(
    private readonly ws: WebSocket,
    private readonly settings: WsSettings,
    private readonly cap: number,
    socket?: Duplex,
  ) {
    this.masked = socket === undefined;
    if (settings.heartbeatInterval > 0) {
      this.heartbeat = new Heartbeat(settings.heartbeatInterval, settings.heartbeatTimeout, () => ws.ping(), this.dead);
    }
    if (socket !== undefined) this.adopt(socket);
    ws.on('upgrade', (response: IncomingMessage) => this.adopt(response.socket));
    // Known before the first send: the core tells the user `connected` on `open`.
    if (ws.readyState === WebSocket.OPEN) this.opened();
    else ws.on('open', this.opened);
    ws.on('message', (data: Buffer) => this.deliver(data));
    ws.on('error', (error: Error) => this.fail(peerError(error)));
    ws.on('close', () => {
      this.heartbeat?.stop();
      this.watch?.closed(this.error);
    });
  }

  /** The connection's largest message, from `maxPayload`. */
  get maxMessageSize(): number {
    return this.settings.maxPayload;
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount + (this.out?.pendingBytes ?? 0);
  }

  source(watch: RemoteWatch): void {
    this.watch = watch;
    this.ws.on('open', () => watch.notify('writable'));
  }

  pending(): PendingStatus {
    const state = this.ws.readyState;
    if (state === WebSocket.OPEN) return PendingStatus.Ready;
    return state === WebSocket.CONNECTING ? PendingStatus.Incomplete : PendingStatus.Disconnected;
  }

  receive(processData: ProcessData): void {
    const early = this.early ?? [];
    this.early = undefined;
    this.deliver = processData;
    for (const data of early) processData(data);
    this.heartbeat?.start();
  }

  pauseReceive(): void {
    this.ws.pause();
  }

  resumeReceive(): void {
    this.ws.resume();
  }

  send(data: Uint8Array): SendStatus {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return SendStatus.ResourceNotFound;
    const before = this.bufferedBytes;
    const after = before + data.byteLength + MAX_FRAME_HEADER;
    // Told when written out: the send that reaches the cap, and the one that crosses half of it,
    // so that a backpressured sender refills while half the buffer is still queued.
    const half = this.cap / 2;
    const flushed = after >= this.cap || (before < half && after >= half) ? this.flushed : undefined;
    const out = this.out;
    if (data.byteLength <= this.coalesceLimit && out !== undefined) {
      if (flushed !== undefined) {
        out.writeDirect(binaryFrame(data, this.masked), flushed);
        return SendStatus.Sent;
      }
      const at = out.reserve(binaryFrameLength(data.byteLength, this.masked));
      writeBinaryFrame(out.target, at, data, this.masked);
      out.commit();
      return SendStatus.Sent;
    }
    const frame = this.settings.maxFrameSize;
    if (data.byteLength <= frame) {
      ws.send(data, LAST_FRAME, flushed);
      return SendStatus.Sent;
    }
    for (let offset = 0; offset < data.byteLength; offset += frame) {
      const last = offset + frame >= data.byteLength;
      ws.send(data.subarray(offset, offset + frame), last ? LAST_FRAME : MORE_FRAMES, last ? flushed : undefined);
    }
    return SendStatus.Sent;
  }

  close(): void {
    this.watch = undefined;
    this.early = undefined;
    this.deliver = () => undefined;
    this.heartbeat?.stop();
    const state = this.ws.readyState;
    // `ws` sends the Close frame after the queued data and destroys the socket after `closeTimeout`.
    if (state === WebSocket.OPEN) this.ws.close(1000);
    else if (state === WebSocket.CONNECTING) this.ws.terminate();
  }

  private adopt(socket: Duplex): void {
    if (this.socket !== undefined) return;
    this.socket = socket;
    // `ws` writes to the socket itself (Close, Ping, Pong, large messages), also from its receiver
    // (the answering Close, the Pong): any such write first hands over what the batch holds, so
    // that every frame leaves in the order it was made. The batch writes with the socket's own method.
    const write = socket.write as (this: Duplex, ...args: unknown[]) => boolean;
    const out = new WriteBatch({
      write: (chunk, callback) => write.call(socket, chunk, callback),
      cork: () => socket.cork(),
      uncork: () => socket.uncork(),
    });
    this.out = out;
    socket.write = function (this: Duplex, ...args: unknown[]): boolean {
      out.settle();
      return write.apply(this, args);
    } as Duplex['write'];
    if (this.heartbeat !== undefined) socket.on('data', () => this.heartbeat?.alive());
  }

  private fail(error: Error): void {
    this.error ??= error;
    this.watch?.closed(this.error);
  }

  private readonly flushed = (error?: Error | null): void => {
    if (error == null) this.watch?.notify('writable');
  };

  /**
   * Once open, with a known socket and no compression: small messages are framed here, and final
   * binary frames are received here (receive.ts).
   */
  private readonly opened = (): void => {
    if (this.socket === undefined || this.ws.extensions !== '') return;
    this.coalesceLimit = Math.min(COALESCE_LIMIT, this.settings.maxFrameSize);
    FastReceive.install(this.ws, this.settings.maxPayload, !this.masked, (data) => this.deliver(data));
  };

  private readonly dead = (): void => {
    this.ws.terminate();
    this.fail(new IdleTimeoutError(`the peer sent nothing within ${this.settings.heartbeatTimeout} ms of a ping (heartbeat)`));
  };
}
