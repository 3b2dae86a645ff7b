import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import {
  IdleTimeoutError,
  MessageTooLargeError,
  PendingStatus,
  ProtocolError,
  SendStatus,
  type ProcessData,
  type Remote,
  type RemoteWatch,
} from '@message-io/core';
import { binaryFrame, COALESCE_LIMIT } from './frame.js';
import { Heartbeat } from './heartbeat.js';
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
 * One Ws connection, client or server side. Sends of one event-loop turn are corked and leave in
 * one write on the next tick. A message over `maxFrameSize` goes out as several frames. The sends
 * that reach half the buffered-bytes cap and the cap carry a callback: once one is written out,
 * the core hears `writable` (and tells the user if a send was refused).
 */
export class WsRemote implements Remote {
  private watch: RemoteWatch | undefined;
  private error: Error | undefined;
  private socket: Duplex | undefined;
  private corked = false;
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
    return this.ws.bufferedAmount;
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
    if (this.socket !== undefined && this.ws.extensions === '') this.coalesceLimit = Math.min(COALESCE_LIMIT, this.settings.maxFrameSize);
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
    const socket = this.socket;
    if (ws.readyState !== WebSocket.OPEN) return SendStatus.ResourceNotFound;
    if (!this.corked && socket !== undefined) {
      this.corked = true;
      socket.cork();
      process.nextTick(this.uncork);
    }
    const before = ws.bufferedAmount;
    const after = before + data.byteLength + MAX_FRAME_HEADER;
    // Told when written out: the send that reaches the cap, and the one that crosses half of it,
    // so that a backpressured sender refills while half the buffer is still queued.
    const half = this.cap / 2;
    const flushed = after >= this.cap || (before < half && after >= half) ? this.flushed : undefined;
    if (data.byteLength <= this.coalesceLimit) {
      socket!.write(binaryFrame(data, this.masked), flushed);
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
    if (this.heartbeat !== undefined) socket.on('data', () => this.heartbeat?.alive());
  }

  private fail(error: Error): void {
    this.error ??= error;
    this.watch?.closed(this.error);
  }

  private readonly flushed = (error?: Error | null): void => {
    if (error == null) this.watch?.notify('writable');
  };

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket?.uncork();
  };

  private readonly dead = (): void => {
    this.ws.terminate();
    this.fail(new IdleTimeoutError(`the peer sent nothing within ${this.settings.heartbeatTimeout} ms of a ping (heartbeat)`));
  };
}
