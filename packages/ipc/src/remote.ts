import {
  HeldRest,
  MessageTimeoutError,
  PendingStatus,
  SendStatus,
  type HeldRestOwner,
  type Remote,
  type RemoteWatch,
  type SharedMessage,
} from '@message-io/core/adapter';
import { WriteBatch, type StreamSocket } from '@message-io/node-net';
import { FrameDecoder, frame, writeFramed } from './framing.js';

/**
 * What a connection uses of its socket: a `net.Socket` (a client's, or an accepted one where Node's
 * handles are not as expected), or node-net's `HandleSocket` (accepted on its handle, its reads
 * emitted as `'data'`).
 */
export type IpcSocket = StreamSocket & { removeAllListeners(event: string): unknown };

/** The connection a socket belongs to, set on the socket: its listeners are the same functions for every connection (no closure each). */
const REMOTE: unique symbol = Symbol('message-io.IpcRemote');

/** A socket with its connection. */
type OwnedSocket = IpcSocket & { [REMOTE]: IpcRemote };

/** The key of this transport's frame of a group send's message (`SharedMessage.frame`). */
const FRAMED = {};

/** What the watchdog of `messageTimeout` saw when it was armed: the message in progress then. */
interface MessageWatch {
  readonly begun: number;
  readonly timer: ReturnType<typeof setTimeout>;
  /** The node stopped reading meanwhile: the peer could not send, so the message gets more time. */
  interrupted: boolean;
}

/**
 * One connection: a stream socket ({@link IpcSocket}) carrying length-prefixed messages. It is its
 * own node-net `WriteBatch`: the first send of a synchronous run leaves at once, the following ones
 * (small ones copied, with their prefix, into a slab shared by every connection) leave together in
 * one system call at the end of the run.
 */
export class IpcRemote extends WriteBatch<IpcSocket> implements Remote, HeldRestOwner {
  private watch: RemoteWatch | undefined;
  private decoder: FrameDecoder | undefined;
  /** What a stop left while the node's consumer is behind (core's `HeldRest`). */
  private held: HeldRest | undefined;
  private error: Error | undefined;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  /** The watchdog of `messageTimeout` while a message is in progress: the message it saw. */
  private messageWatch: MessageWatch | undefined;

  /** `messageTimeout`: milliseconds a message may take from its first byte to its last (0: no limit). */
  constructor(
    socket: IpcSocket,
    readonly maxMessageSize: number,
    private readonly linger: number,
    private readonly messageTimeout = 0,
  ) {
    super(socket);
    (socket as OwnedSocket)[REMOTE] = this;
    socket.on('error', IpcRemote.onError);
    socket.on('close', IpcRemote.onClose);
  }

  /** The socket's `'error'`: the first one is the reason given to `closed`. */
  private static onError(this: OwnedSocket, error: Error): void {
    const remote = this[REMOTE];
    remote.error ??= error;
  }

  /** The socket's `'close'`: the connection is over. */
  private static onClose(this: OwnedSocket): void {
    const remote = this[REMOTE];
    clearTimeout(remote.lingerTimer);
    clearTimeout(remote.messageWatch?.timer);
    remote.watch?.closed(remote.error);
  }

  /** The socket's `'drain'`: room again for sends. */
  private static onDrain(this: OwnedSocket): void {
    this[REMOTE].watch?.notify('writable');
  }

  /** The socket's `'data'`. */
  private static onData(this: OwnedSocket, chunk: Uint8Array): void {
    this[REMOTE].decode(chunk);
  }

  /** The socket (the batch's sink). */
  private get socket(): IpcSocket {
    return this.sink;
  }

  /** Bytes accepted by `send` that the system has not taken yet: in the shared slab, or queued in the socket. */
  get bufferedBytes(): number {
    return this.socket.writableLength + this.pendingBytes;
  }

  /**
   * #1. Called by the core once, right after `connect` (or the listener) made this Remote. Wire the
   * socket to the watch: connected and drained are `notify('writable')`; the socket's close is
   * `closed`, with the error kept by the `'error'` listener (never leave `'error'` unhandled).
   */
  source(watch: RemoteWatch): void {
    this.watch = watch;
    if (this.socket.connecting) this.socket.once('connect', () => watch.notify('writable'));
    this.socket.on('drain', IpcRemote.onDrain);
  }

  /**
   * #5. Called by the core after `source`, then at each `notify`, until the connection is ready.
   * There is no handshake here: a client is ready once connected, an accepted socket at once.
   * Add yours here (answer `Incomplete` until it is done); the core bounds it by `connectTimeout`.
   */
  pending(): PendingStatus {
    if (this.socket.destroyed) return PendingStatus.Disconnected;
    return this.socket.connecting ? PendingStatus.Incomplete : PendingStatus.Ready;
  }

  /**
   * #3. Called by the core once, when the connection is ready. From now on hand every complete
   * message to the watch's `received`. A peer that breaks the framing or a limit ends the connection, with
   * the reason given to `closed` (through the socket's close).
   */
  receive(): void {
    this.decoder = new FrameDecoder(this.maxMessageSize);
    this.socket.on('data', IpcRemote.onData);
  }

  /**
   * Hands over the messages `chunk` completes. When `received` answers false (the node's consumer
   * is behind), the rest of the chunk is kept and reading stops until `resumeReceive`: one read
   * can hold a million empty messages, which the node must not be made to store.
   */
  private decode(chunk: Uint8Array): void {
    const watch = this.watch; // kept: a message may make the user remove the connection
    if (watch === undefined) return;
    if (this.held?.holding) return this.held.keep(chunk);
    const decoder = this.decoder!;
    const error = decoder.decode(chunk, watch);
    if (error !== undefined) {
      this.error = error;
      this.socket.destroy();
    } else if (decoder.stoppedAt >= 0) {
      this.socket.pause();
      this.held = new HeldRest(this);
      this.held.keep(chunk.subarray(decoder.stoppedAt));
    } else if (this.messageTimeout > 0 && !decoder.idle) this.watchMessage();
  }

  /** A message is in progress: arms the watchdog of `messageTimeout`, unless it is armed. */
  private watchMessage(): void {
    if (this.messageWatch !== undefined) return;
    const seen: MessageWatch = {
      begun: this.decoder!.messagesBegun,
      interrupted: false,
      timer: setTimeout(() => this.messageDue(seen), this.messageTimeout),
    };
    seen.timer.unref();
    this.messageWatch = seen;
  }

  /**
   * The watchdog fired: the connection ends if the message in progress is the one seen when it was
   * armed and the node kept reading all along; otherwise it watches the message in progress now.
   */
  private messageDue(seen: MessageWatch): void {
    this.messageWatch = undefined;
    const decoder = this.decoder;
    if (decoder === undefined || this.watch === undefined || decoder.idle) return;
    if (decoder.messagesBegun === seen.begun && !seen.interrupted && !this.socket.isPaused() && this.held?.holding !== true) {
      this.error ??= new MessageTimeoutError(`a message began to arrive and was not complete within ${this.messageTimeout} ms (messageTimeout)`);
      this.socket.destroy();
      return;
    }
    this.watchMessage();
  }

  /** HeldRestOwner: decodes what a stop left, once the node reads again. */
  decodeHeld(bytes: Uint8Array): void {
    this.held = undefined;
    this.decode(bytes);
  }

  /** HeldRestOwner: all of it is handed over: read again, unless the node said stop again meanwhile. */
  readAgain(): void {
    if (this.held?.holding !== true && this.watch !== undefined) this.socket.resume();
  }

  /**
   * #4. Called by the core for `send()` on a ready connection, once it checked the size and the
   * buffered bytes. Queue the whole message and return `Sent`; never block, never throw.
   */
  send(data: Uint8Array): SendStatus {
    writeFramed(this, data);
    return SendStatus.Sent;
  }

  /** A group send: the message framed once for every connection it reaches (`SharedMessage.frame`), written with no copy. */
  sendShared(message: SharedMessage): SendStatus {
    this.writeShared(message.frame(FRAMED, frame));
    return SendStatus.Sent;
  }

  /** Called by the core when the node's consumer falls behind: stop reading (flow control slows the peer). */
  pauseReceive(): void {
    this.socket.pause();
    this.held?.pause();
    if (this.messageWatch !== undefined) this.messageWatch.interrupted = true;
  }

  /** Called by the core when the consumer caught up: read again (first, on a later turn, what a stop left). */
  resumeReceive(): void {
    if (this.held?.holding === true) this.held.resume();
    else this.socket.resume();
  }

  /**
   * Called by the core exactly once: on `remove()`, on `stop()`, or after `closed`. Flush what was
   * queued within `linger` milliseconds, then destroy; keep no handle that holds the process.
   */
  close(): void {
    const socket = this.socket;
    this.watch = undefined;
    clearTimeout(this.messageWatch?.timer);
    this.messageWatch = undefined;
    this.held?.drop();
    socket.removeAllListeners('data');
    if (socket.destroyed) return;
    if (this.error !== undefined || socket.connecting) {
      socket.destroy();
      return;
    }
    this.flush();
    socket.resume();
    socket.end();
    this.lingerTimer = setTimeout(() => socket.destroy(), this.linger);
    this.lingerTimer.unref();
  }
}
