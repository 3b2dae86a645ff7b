import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import {
  BorrowedBytes,
  IdleTimeoutError,
  MessageTimeoutError,
  MessageTooLargeError,
  PendingStatus,
  ProtocolError,
  SendStatus,
  type PeerCertificate,
  type Remote,
  type RemoteWatch,
  type SharedMessage,
} from '@message-io/core/adapter';
import { OwnedReads, ReceiveBuffer, WriteBatch, type BatchSink, type OnRead, type StreamSocket } from '@message-io/node-net';
import { interceptSocketWrite, type SocketWrite, type WsHandleSocket } from './ws-internals.js';
import { binaryFrame, binaryFrameLength, COALESCE_LIMIT, pooledFrame, releaseFrame, writeBinaryFrame } from './frame.js';
import { Heartbeat } from './heartbeat.js';
import { FastReceive } from './receive.js';
import type { WsSettings } from './options.js';

const LAST_FRAME = { binary: true, fin: true } as const;
const MORE_FRAMES = { binary: true, fin: false } as const;
/** Largest WebSocket frame header (2 + 8 length bytes + 4 mask bytes). */
const MAX_FRAME_HEADER = 14;
/** The key of the unmasked frame of a group send's message (`SharedMessage.frame`). */
const UNMASKED_FRAME = {};
/** A server's frame of `data`: the same for every accepted connection. */
const unmaskedFrame = (data: Uint8Array): Uint8Array => binaryFrame(data, false);
const TOO_LARGE = new Set(['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH']);

/** How `ws` reports an upgrade answered with another HTTP status than 101. */
const UNEXPECTED_RESPONSE = /^Unexpected server response: (\d{3})$/;

/** The error a `disconnected` event (or a failed `connected`) carries for an error reported by `ws`. */
export function peerError(error: Error): Error {
  const status = UNEXPECTED_RESPONSE.exec(error.message);
  if (status !== null) return new Error(`the server answered HTTP ${status[1]}`, { cause: error });
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('WS_ERR_')) return error;
  if (TOO_LARGE.has(code)) return new MessageTooLargeError(`the peer sent a message over maxPayload: ${error.message}`, { cause: error });
  return new ProtocolError(`the peer broke the WebSocket protocol: ${error.message}`, { cause: error });
}

/** Received messages are kept until `receive`. */
const EARLY = 0;
/** Received messages go to the core. */
const READING = 1;
/** Closed: received messages are dropped. */
const CLOSED = 2;
/** Where received messages go. */
type Reading = typeof EARLY | typeof READING | typeof CLOSED;

/** Where a WebSocket keeps its WsRemote, for the listeners shared by every connection. */
const kRemote = Symbol('message-io.ws.remote');

type Tagged<T> = T & { [kRemote]?: WsRemote };

/**
 * The sink of a connection's WriteBatch: the socket, written with its original `write` (the one
 * {@link settlingWrite} calls after settling the batch).
 */
class SocketSink implements BatchSink {
  /** The batch writing here; set right after it is made. */
  batch: WriteBatch | undefined;

  /** `original` is the socket's `write` before it was replaced. */
  constructor(
    readonly socket: Duplex,
    readonly original: SocketWrite,
  ) {}

  /** Writes with the socket's original `write`: no settling (the batch itself writes). */
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean {
    return this.original.call(this.socket, chunk, callback);
  }

  /** Corks the socket. */
  cork(): void {
    this.socket.cork();
  }

  /** Uncorks the socket. */
  uncork(): void {
    this.socket.uncork();
  }
}

/**
 * The receive buffer shared by the accepted Ws connections that read into it (listener.ts): 64 KiB,
 * then 1 MiB from the first read that fills it, so that most frames of up to hundreds of KiB lie
 * within one read and are handed over without a copy.
 */
const receiveBuffer = new ReceiveBuffer(64 * 1024, 1024 * 1024);

/** Where a socket that reads into the shared buffer finds its connection, once `ws` has it. */
const kReader: unique symbol = Symbol('message-io.ws.reader');
type ReadingSocket = Duplex & { [kReader]?: WsRemote };

/** Node's `onread` option: what gives the buffer of each read, and what it calls after each read. */
export interface WsOnRead {
  readonly buffer: () => Uint8Array;
  callback(this: ReadingSocket, length: number, buffer: Uint8Array): void;
}

/**
 * Node's `onread` option for the sockets that read into the shared buffer and lend what they read
 * (`reuseReceiveBuffer: true`). Once the connection is open with our receive path and nothing
 * read before waits in the socket's stream, a read goes to that path as it is (lent). Otherwise
 * (the handshake is not over, or `ws` receives everything) a copy goes through the socket's own
 * stream, where `ws` listens, in order.
 */
const lendingOnRead: WsOnRead = {
  buffer: receiveBuffer.next,
  callback(this: ReadingSocket, length: number, buffer: Uint8Array): void {
    receiveBuffer.read(length, buffer);
    const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, length);
    if (this[kReader]?.take(this, chunk) === true) return;
    if (!this.push(Buffer.from(chunk))) this.pause();
  },
};

/** The buffers of the reads of sockets whose messages are the user's (node-net's `OwnedReads`, design note 0010). */
const ownedReads = new OwnedReads(receiveBuffer);

/** A read of `length` bytes into `buffer` (from `ownedReads.next`) as a Buffer the user may keep: a copy of a small read, the read itself for a bulk one. */
function ownedChunk(length: number, buffer: Uint8Array): Buffer {
  const read = ownedReads.take(length, buffer);
  return read instanceof BorrowedBytes ? Buffer.from(read) : Buffer.from(read.buffer, read.byteOffset, read.byteLength);
}

/**
 * Node's `onread` option for the sockets whose messages are the user's (the default): a socket
 * that receives little reads into the shared buffer and each read is copied; one that receives in
 * bulk reads into buffers of its own, handed over with no copy. The read then goes where
 * {@link lendingOnRead} sends it.
 */
const owningOnRead: WsOnRead = {
  buffer: ownedReads.next,
  callback(this: ReadingSocket, length: number, buffer: Uint8Array): void {
    const chunk = ownedChunk(length, buffer);
    if (this[kReader]?.take(this, chunk) === true) return;
    if (!this.push(chunk)) this.pause();
  },
};

/** The `onread` option of an accepted socket without TLS: lending (`reuseReceiveBuffer: true`) or not. */
export function onReadFor(lend: boolean): WsOnRead {
  return lend ? lendingOnRead : owningOnRead;
}

/**
 * Hands a read of a connection accepted on its handle (a WsHandleSocket, whose reads never wait in
 * a stream) on: to its request until the upgrade, then to our receive path; what that path does
 * not take (`ws` receives everything) goes to `ws` as `'data'`, a copy if `chunk` is lent.
 */
function handOn(socket: WsHandleSocket & { [kReader]?: WsRemote }, chunk: Buffer, lent: boolean): void {
  const reader = socket[kReader];
  if (reader === undefined) socket.handshake?.read(socket, chunk);
  else if (!reader.take(socket, chunk)) socket.emit('data', lent ? Buffer.from(chunk) : chunk);
}

/** node-net's `onread` for connections accepted on their handle, lending their reads (`reuseReceiveBuffer: true`). */
const lendingHandleOnRead: OnRead<StreamSocket> = {
  buffer: receiveBuffer.next,
  callback(length: number, buffer: Uint8Array): void {
    receiveBuffer.read(length, buffer);
    handOn(this as WsHandleSocket, Buffer.from(buffer.buffer, buffer.byteOffset, length), true);
  },
};

/** node-net's `onread` for connections accepted on their handle whose messages are the user's (as {@link owningOnRead}). */
const owningHandleOnRead: OnRead<StreamSocket> = {
  buffer: ownedReads.next,
  callback(length: number, buffer: Uint8Array): void {
    handOn(this as WsHandleSocket, ownedChunk(length, buffer), false);
  },
};

/** The `onread` of connections accepted on their handle (design note 0020): lending (`reuseReceiveBuffer: true`) or not. */
export function handleOnReadFor(lend: boolean): OnRead<StreamSocket> {
  return lend ? lendingHandleOnRead : owningHandleOnRead;
}

/** Where an adopted socket keeps its SocketSink. */
const kSink = Symbol('message-io.ws.sink');

/**
 * Put in place of an adopted socket's `write`: `ws` writes to the socket itself (Close, Ping, Pong,
 * large messages), also from its receiver (the answering Close, the Pong); any such write first
 * hands over what the batch holds, so that every frame leaves in the order it was made.
 */
function settlingWrite(this: Duplex & { [kSink]?: SocketSink }, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  const sink = this[kSink]!;
  sink.batch?.settle();
  return sink.original.call(this, chunk, encoding, callback);
}

/** The verified certificates of the peers of wss connections that have one (rare: not a field). */
const peerCertificates = new WeakMap<WsRemote, PeerCertificate>();
/** Text messages kept before `receive`, to be flagged when handed over. */
const textMessages = new WeakSet<Uint8Array>();

/**
 * One Ws connection, client or server side. The first send of a synchronous run leaves at once;
 * the following ones are framed into node-net's `WriteBatch` and leave in one write on the next tick.
 * A message over `maxFrameSize` goes out as several frames. The sends that reach half the
 * buffered-bytes cap and the cap carry a callback: once one is written out, the core hears
 * `writable` (and tells the user if a send was refused).
 * Its `ws` listeners are shared by every connection (they find the WsRemote on the WebSocket).
 */
export class WsRemote implements Remote {
  private watch: RemoteWatch | undefined;
  private error: Error | undefined;
  /** Writes to the socket, once it is known. */
  private out: WriteBatch | undefined;
  /** Messages up to this size are framed here (frame.ts): set once open, with a known socket and no compression. */
  private coalesceLimit = -1;
  /** EARLY until `receive`, READING then, CLOSED once closed. */
  private reading: Reading = EARLY;
  /** Messages received before `receive`, made on the first one. */
  private early: Buffer[] | undefined = undefined;
  /** The callback of sends that report their writing, made on first use. */
  private flushed: ((error?: Error | null) => void) | undefined = undefined;
  private readonly heartbeat: Heartbeat | undefined;
  private readonly masked: boolean;
  /** Our receive path, once installed (open, no compression). */
  private fast: FastReceive | undefined = undefined;
  /** The node said stop after the last message (its consumer is behind), until `resumeReceive` (FrameTarget). */
  stopped = false;
  /** The `messageTimeout` check, while reading with it set. */
  private messageCheck: ReturnType<typeof setInterval> | undefined = undefined;
  /** What the last check saw: the count of messages begun, or -1 when none was in progress. */
  private lastBegun = -1;
  /** The node stopped reading since the last check: the peer could not send, the message gets more time. */
  private pausedSinceCheck = false;

  /**
   * `socket` is given for an accepted connection (server side: unmasked frames); a client learns
   * its socket from the upgrade response, and masks its frames. `lend`: messages are lent (the listener's
   * `reuseReceiveBuffer`). `readsShared`: the socket reads into the
   * shared receive buffer (its `onread` is `onReadFor`'s).
   */
  constructor(
    private readonly ws: WebSocket,
    private readonly settings: WsSettings,
    private readonly cap: number,
    socket?: Duplex,
    private readonly readsShared = false,
    private readonly lend = false,
  ) {
    this.masked = socket === undefined;
    (ws as Tagged<WebSocket>)[kRemote] = this;
    if (settings.heartbeatInterval > 0) {
      this.heartbeat = new Heartbeat(
        settings.heartbeatInterval,
        settings.heartbeatTimeout,
        () => ws.ping(),
        () => this.dead(),
      );
    }
    if (socket !== undefined) this.adopt(socket);
    else ws.on('upgrade', WsRemote.onUpgrade);
    // Known before the first send: the core tells the user `connected` on `open`.
    if (ws.readyState === WebSocket.OPEN) this.opened();
    else ws.on('open', WsRemote.onOpen);
    ws.on('message', WsRemote.onMessage);
    ws.on('error', WsRemote.onError);
    ws.on('close', WsRemote.onClose);
  }

  /** The connection's largest message, from `maxPayload`. */
  get maxMessageSize(): number {
    return this.settings.maxPayload;
  }

  /** The peer's certificate, if a TLS handshake verified it (see {@link WsRemote.verifiedPeer}). */
  get peerCertificate(): PeerCertificate | undefined {
    return peerCertificates.get(this);
  }

  /** The subprotocol agreed in the upgrade, if any. */
  get protocol(): string | undefined {
    return this.ws.protocol === '' ? undefined : this.ws.protocol;
  }

  /** Keeps the peer's verified certificate (`undefined`: none, nothing kept): the server's on a wss client, the client's under mutual TLS. */
  verifiedPeer(certificate: PeerCertificate | undefined): void {
    if (certificate !== undefined) peerCertificates.set(this, certificate);
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount + (this.out?.pendingBytes ?? 0);
  }

  source(watch: RemoteWatch): void {
    this.watch = watch;
    // An accepted connection is open already: the core polls it once `source` returns.
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.on('open', () => watch.notify('writable'));
  }

  pending(): PendingStatus {
    const state = this.ws.readyState;
    if (state === WebSocket.OPEN) return PendingStatus.Ready;
    return state === WebSocket.CONNECTING ? PendingStatus.Incomplete : PendingStatus.Disconnected;
  }

  receive(): void {
    if (this.reading !== EARLY) return;
    const early = this.early;
    this.early = undefined;
    this.reading = READING;
    if (early !== undefined) for (const data of early) this.watch?.received(data, textMessages.has(data) || undefined);
    this.heartbeat?.start();
    if (this.settings.messageTimeout > 0 && this.reading === READING) {
      this.messageCheck = setInterval(this.checkMessage, this.settings.messageTimeout);
      this.messageCheck.unref();
    }
  }

  pauseReceive(): void {
    this.pausedSinceCheck = true;
    this.ws.pause();
    this.fast?.pause();
  }

  resumeReceive(): void {
    this.stopped = false;
    // What our receive path kept at a stop is handed over first, on a later turn (then readAgain).
    if (this.fast?.holding === true) this.fast.resume();
    else this.ws.resume();
  }

  /** FrameTarget: what a stop left is all handed over: read again. */
  readAgain(): void {
    if (this.reading === READING) this.ws.resume();
  }

  send(data: Uint8Array): SendStatus {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return SendStatus.ResourceNotFound;
    const before = this.bufferedBytes;
    const after = before + data.byteLength + MAX_FRAME_HEADER;
    // Told when written out: the send that reaches the cap, and the one that crosses half of it,
    // so that a backpressured sender refills while half the buffer is still queued.
    const half = this.cap / 2;
    const flushed = after >= this.cap || (before < half && after >= half) ? this.whenFlushed() : undefined;
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
    if (data.byteLength <= frame && out !== undefined && this.coalesceLimit >= 0) {
      // A large message, framed (and masked, from a client) into a buffer used again once written:
      // the caller keeps its buffer, and a bulk sender allocates nothing per message.
      const framed = pooledFrame(data, this.masked);
      out.writeDirect(framed, (error) => {
        releaseFrame(framed);
        flushed?.(error);
      });
      return SendStatus.Sent;
    }
    // What goes through `ws` is copied first: `ws` writes a server's frames from the buffer it is
    // given, compresses later when compression is on, and skips masking into a copy for an
    // all-zero mask.
    if (data.byteLength <= frame) {
      ws.send(Buffer.from(data), LAST_FRAME, flushed);
      return SendStatus.Sent;
    }
    data = Buffer.from(data);
    for (let offset = 0; offset < data.byteLength; offset += frame) {
      const last = offset + frame >= data.byteLength;
      ws.send(data.subarray(offset, offset + frame), last ? LAST_FRAME : MORE_FRAMES, last ? flushed : undefined);
    }
    return SendStatus.Sent;
  }

  /**
   * A group send: on an accepted connection (frames unmasked, the same for every connection) the
   * frame is built once per message (`SharedMessage.frame`) and written with no copy. A client
   * masks each frame with a key of its own, and `ws` writes when this one cannot: both go through `send`.
   */
  sendShared(message: SharedMessage): SendStatus {
    const data = message.data;
    const out = this.out;
    if (this.masked || out === undefined || this.coalesceLimit < 0 || data.byteLength > this.settings.maxFrameSize) return this.send(data);
    if (this.ws.readyState !== WebSocket.OPEN) return SendStatus.ResourceNotFound;
    const before = this.bufferedBytes;
    const after = before + data.byteLength + MAX_FRAME_HEADER;
    const half = this.cap / 2;
    const flushed = after >= this.cap || (before < half && after >= half) ? this.whenFlushed() : undefined;
    out.writeShared(message.frame(UNMASKED_FRAME, unmaskedFrame), flushed);
    return SendStatus.Sent;
  }

  /** Sends `text` as one text message: a text frame, or text fragments past `maxFrameSize`. Through `ws`, which encodes it. */
  sendText(text: string): SendStatus {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return SendStatus.ResourceNotFound;
    const data = Buffer.from(text, 'utf8');
    const before = this.bufferedBytes;
    const after = before + data.byteLength + MAX_FRAME_HEADER;
    const flushed = after >= this.cap || (before < this.cap / 2 && after >= this.cap / 2) ? this.whenFlushed() : undefined;
    // What we batched is handed to the socket first, so that this frame follows it.
    this.out?.settle();
    const frame = this.settings.maxFrameSize;
    for (let offset = 0; offset < data.byteLength || offset === 0; offset += frame) {
      const last = offset + frame >= data.byteLength;
      ws.send(data.subarray(offset, offset + frame), { binary: false, fin: last }, last ? flushed : undefined);
    }
    return SendStatus.Sent;
  }

  close(): void {
    this.watch = undefined;
    this.early = undefined;
    this.reading = CLOSED;
    this.heartbeat?.stop();
    this.stopMessageCheck();
    const state = this.ws.readyState;
    // `ws` sends the Close frame after the queued data and destroys the socket after `closeTimeout`.
    if (state === WebSocket.OPEN) {
      this.ws.close(1000);
      if (this.fast?.holding === true) {
        // Stopped for a consumer that was behind: what was kept is dropped, and `ws` reads the peer's Close.
        this.fast.drop();
        this.ws.resume();
      }
    } else if (state === WebSocket.CONNECTING) this.ws.terminate();
  }

  /**
   * One received message, from `ws` or the fast path (`text`: a text frame, from `ws` only): to the
   * core, or kept (a copy if lent) until `receive`.
   */
  deliver(data: Uint8Array, text?: boolean): void {
    if (this.reading === READING) {
      if (this.watch?.received(data, text) === false) this.stopped = true;
    } else if (this.reading === EARLY) {
      const kept = data instanceof BorrowedBytes ? Buffer.from(data) : (data as Buffer);
      if (text === true) textMessages.add(kept);
      (this.early ??= []).push(kept);
    }
  }

  /**
   * A read into the shared buffer (`onReadFor`): taken by our receive path, as it is, if it is
   * installed and nothing read before waits in the socket's stream. False: the caller queues a copy.
   */
  take(socket: { readonly readableLength: number; pause(): unknown }, chunk: Buffer): boolean {
    const fast = this.fast;
    if (fast === undefined || socket.readableLength > 0) return false;
    this.heartbeat?.alive();
    if (!fast.write(chunk)) socket.pause();
    return true;
  }

  private adopt(socket: Duplex): void {
    if (this.out !== undefined) return;
    // Writes by `ws` itself go through settlingWrite (see there); the batch writes with the
    // socket's own method.
    const sink = new SocketSink(socket, interceptSocketWrite(socket, settlingWrite));
    const out = new WriteBatch(sink);
    sink.batch = out;
    this.out = out;
    (socket as Duplex & { [kSink]?: SocketSink })[kSink] = sink;
    if (this.heartbeat !== undefined) socket.on('data', () => this.heartbeat?.alive());
    if (this.readsShared) {
      (socket as ReadingSocket)[kReader] = this;
      // Reads queued during the handshake may have paused it; `ws` listens to it now.
      socket.resume();
    }
  }

  private fail(error: Error): void {
    this.error ??= error;
    this.watch?.closed(this.error);
  }

  private whenFlushed(): (error?: Error | null) => void {
    return (this.flushed ??= (error) => {
      if (error == null) this.watch?.notify('writable');
    });
  }

  /**
   * Once open, with a known socket and no compression: small messages are framed here, and final
   * binary frames are received here (receive.ts).
   */
  private opened(): void {
    if (this.out === undefined || this.ws.extensions !== '') return;
    this.coalesceLimit = Math.min(COALESCE_LIMIT, this.settings.maxFrameSize);
    this.fast = FastReceive.install(this.ws, this.settings.maxPayload, !this.masked, this, this.lend);
  }

  /**
   * Every `messageTimeout`: fails the connection when the message in progress is the one in
   * progress at the last check and the node kept reading all along.
   */
  private readonly checkMessage = (): void => {
    const fast = this.fast;
    const begun = fast?.messageInProgress === true ? fast.messagesBegun : -1;
    const paused = this.pausedSinceCheck || this.stopped || fast?.holding === true;
    this.pausedSinceCheck = false;
    if (begun >= 0 && begun === this.lastBegun && !paused) {
      this.stopMessageCheck();
      this.ws.terminate();
      this.fail(new MessageTimeoutError(`a message began to arrive and was not complete within ${this.settings.messageTimeout} ms (messageTimeout)`));
      return;
    }
    this.lastBegun = begun;
  };

  private stopMessageCheck(): void {
    clearInterval(this.messageCheck);
    this.messageCheck = undefined;
  }

  private dead(): void {
    this.ws.terminate();
    this.fail(new IdleTimeoutError(`the peer sent nothing within ${this.settings.heartbeatTimeout} ms of a ping (heartbeat)`));
  }

  // The `ws` listeners, shared by every connection: `this` is the WebSocket.

  private static onUpgrade(this: Tagged<WebSocket>, response: IncomingMessage): void {
    this[kRemote]!.adopt(response.socket);
  }

  private static onOpen(this: Tagged<WebSocket>): void {
    this[kRemote]!.opened();
  }

  private static onMessage(this: Tagged<WebSocket>, data: Buffer, isBinary: boolean): void {
    if (isBinary) this[kRemote]!.deliver(data);
    else this[kRemote]!.deliver(data, true);
  }

  private static onError(this: Tagged<WebSocket>, error: Error): void {
    this[kRemote]!.fail(peerError(error));
  }

  private static onClose(this: Tagged<WebSocket>): void {
    const remote = this[kRemote]!;
    remote.heartbeat?.stop();
    remote.stopMessageCheck();
    remote.watch?.closed(remote.error);
  }
}
