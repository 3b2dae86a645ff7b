import {
  BorrowedBytes,
  HeldRest,
  MessageTimeoutError,
  PendingStatus,
  SendStatus,
  type PeerCertificate,
  type Remote,
  type RemoteWatch,
  type SharedMessage,
} from '@message-io/core/adapter';
import { copyOf, OwnedReads, peerCertificateOf, ReceiveBuffer, WriteBatch, type OnRead, type StreamSocket } from '@message-io/node-net';
import { framedCopy, writeFramed, writeStream } from './codec.js';
import { copyWholeFrames, decodeWholeFrames, FrameDecoder, frameBytesAt, OWN_COPY_FROM, sinkStopped, wholeFramesLength } from './decoder.js';

/** Settings shared by the connections of one listener (or of outgoing connections alike). */
export interface RemoteSettings {
  /** Largest message sent or accepted; `Infinity` for Tcp. */
  readonly maxMessageSize: number;
  /** Milliseconds a graceful close may take before the socket is destroyed. */
  readonly linger: number;
  /**
   * The sockets read into the shared receive buffer (their `onread` is {@link onReadFor}'s: Node calls {@link TcpRemote.read});
   * otherwise they emit `'data'` chunks of their own (Node calls {@link TcpRemote.data}).
   */
  readonly readsShared: boolean;
  /**
   * Messages are lent (BorrowedBytes, valid during the callback): the user opted in with
   * `reuseReceiveBuffer`. Otherwise each read into the shared buffer is copied once, and messages
   * are views of that copy.
   */
  readonly lend: boolean;
  /**
   * TLS sockets, whose writable high-water mark cannot be set to the cap (an accepted one keeps
   * Node's default), so a `'drain'` may not follow a queue that reached the cap: a send that
   * brings the queue to this many bytes carries a callback that tells the core `writable` once it
   * is written. `undefined` for plain sockets (their high-water mark is at most the cap).
   */
  readonly writableAt?: number;
  /** FramedTcp: milliseconds a message may take to arrive, from its first byte to its last (0: off). */
  readonly messageTimeout?: number;
}

/** Where a socket's shared listeners find their connection. */
const REMOTE = Symbol('message-io.tcp.remote');
/** The key of FramedTcp's frame of a group send's message (`SharedMessage.frame`). */
const FRAMED = {};
type OwnedSocket = StreamSocket & { [REMOTE]: TcpRemote };

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
function onSecure(this: OwnedSocket): void {
  const remote = this[REMOTE];
  handshaking.delete(remote);
  remote.writable();
}
function onData(this: OwnedSocket, chunk: Buffer): void {
  this[REMOTE].data(chunk);
}

/**
 * The receive buffer shared by Tcp and FramedTcp connections: a read takes what the socket holds,
 * up to its size. 64 KiB, then 1 MiB from the first read that fills it (node-net's `ReceiveBuffer`), so
 * that most FramedTcp frames of up to hundreds of KiB lie within one read (handed over without a
 * copy), while a process that never receives in bulk keeps 64 KiB.
 */
const receiveBuffer = new ReceiveBuffer(64 * 1024, 1024 * 1024);

/**
 * The `onread` option of every socket, outgoing or accepted: one receive buffer for all of them, so
 * that a read allocates nothing and takes up to 1 MiB at once. What is read is lent to the
 * connection as {@link BorrowedBytes}; the connection copies it unless its user opted in to lending.
 */
const lendingOnRead: OnRead<StreamSocket> = {
  buffer: receiveBuffer.next,
  callback(this: StreamSocket, length: number, buffer: Uint8Array): void {
    receiveBuffer.read(length, buffer);
    (this as OwnedSocket)[REMOTE].read(new BorrowedBytes(buffer.buffer as ArrayBuffer, buffer.byteOffset, length));
  },
};

/** The buffers of the reads of sockets whose messages are the user's (node-net's `OwnedReads`, design note 0010). */
const ownedReads = new OwnedReads(receiveBuffer);

/**
 * The connection whose read {@link owningOnRead} is handing over, if any: only it may choose what
 * its socket's next read goes after (`OwnedReads.carry`), since Node asks for that read's buffer
 * right after.
 */
let reading: TcpRemote | undefined;

/**
 * The `onread` option of sockets whose messages are the user's: a socket that receives little reads
 * into the shared buffer, and each read is copied (`read`); one that receives in bulk reads into
 * buffers of its own, handed over with no copy (`readOwn`).
 */
const owningOnRead: OnRead<StreamSocket> = {
  buffer: ownedReads.next,
  callback(this: StreamSocket, length: number, buffer: Uint8Array): void {
    const chunk = ownedReads.take(length, buffer);
    const remote = (this as OwnedSocket)[REMOTE];
    reading = remote;
    try {
      if (chunk instanceof BorrowedBytes) remote.read(chunk);
      else remote.readOwn(chunk);
    } finally {
      reading = undefined;
    }
  },
};

/**
 * The `onread` option of a Tcp or FramedTcp socket: lending (`reuseReceiveBuffer: true`: always the
 * shared buffer, messages lent) or not (the user's: see {@link owningOnRead}).
 */
export function onReadFor(lend: boolean): OnRead<StreamSocket> {
  return lend ? lendingOnRead : owningOnRead;
}

/** What a FramedTcp connection's watchdog saw when it was armed: the frame in progress then. */
interface FrameWatch {
  readonly decoder: FrameDecoder;
  readonly begun: number;
  readonly timer: ReturnType<typeof setTimeout>;
  /** The node stopped reading meanwhile: the peer could not send, so the frame gets more time. */
  interrupted: boolean;
}

/** The watchdogs of FramedTcp connections in the middle of a frame, with `messageTimeout` (rare: not a field). */
const frameWatches = new Map<TcpRemote, FrameWatch>();

function stopFrameWatch(remote: TcpRemote): void {
  const watch = frameWatches.get(remote);
  if (watch === undefined) return;
  clearTimeout(watch.timer);
  frameWatches.delete(remote);
}

/** Outgoing TLS connections whose handshake is not done yet (rare: not a field). */
const handshaking = new WeakSet<TcpRemote>();

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
 * The FramedTcp connections that stopped decoding in the middle of a read because the node's
 * consumer fell behind (`received` answered false), with the bytes not decoded yet (rare: not a field).
 */
const stalls = new Map<TcpRemote, HeldRest>();

/**
 * One Tcp connection (FramedTcp: {@link FramedTcpRemote}). The first send of a synchronous run
 * leaves at once; the following ones are batched (small ones copied into a shared slab) and leave
 * in one system call on the next tick: the connection is its own core `WriteBatch`, writing to its
 * socket. The socket's `writableHighWaterMark` is at most the connection's `maxBufferedBytes`, so a
 * `'drain'` always follows a queue that reached the cap.
 */
export class TcpRemote extends WriteBatch<StreamSocket> implements Remote {
  /** The core's watch, from `source` until `close`. */
  protected watch: RemoteWatch | undefined = undefined;

  /**
   * Wraps `socket`, connected or connecting. `handshake`: an outgoing TLS socket, ready once its
   * handshake is done (`'secureConnect'`), not once it is connected.
   */
  constructor(
    socket: StreamSocket,
    protected readonly settings: RemoteSettings,
    handshake = false,
  ) {
    super(socket);
    if (handshake) handshaking.add(this);
    (socket as OwnedSocket)[REMOTE] = this;
    if (settings.readsShared) early.set(this, []);
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

  /** The peer's certificate, when the socket is a TLS one whose handshake verified it. */
  get peerCertificate(): PeerCertificate | undefined {
    return peerCertificateOf(this.sink);
  }

  source(watch: RemoteWatch): void {
    this.watch = watch;
    // An accepted socket is connected already and never emits 'connect'.
    if (handshaking.has(this)) this.sink.once('secureConnect', onSecure);
    else if (this.sink.connecting) this.sink.once('connect', onWritable);
    this.sink.on('drain', onWritable);
  }

  pending(): PendingStatus {
    if (this.sink.destroyed) return PendingStatus.Disconnected;
    return this.sink.connecting || handshaking.has(this) ? PendingStatus.Incomplete : PendingStatus.Ready;
  }

  receive(): void {
    if (this.settings.readsShared) {
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
    stalls.get(this)?.pause();
    const frameWatch = frameWatches.get(this);
    if (frameWatch !== undefined) frameWatch.interrupted = true;
  }

  resumeReceive(): void {
    const stall = stalls.get(this);
    // What a stop left is handed over first, on a later turn; the socket reads again after it.
    if (stall?.holding === true) stall.resume();
    else this.sink.resume();
  }

  /** HeldRestOwner: decodes what a stop left, as a read of its own. */
  decodeHeld(bytes: Uint8Array): void {
    stalls.delete(this);
    this.data(bytes);
  }

  /** HeldRestOwner: all of it is handed over; reads again unless the node said stop again meanwhile. */
  readAgain(): void {
    if (stalls.get(this)?.holding === true) return;
    stalls.delete(this);
    if (this.watch !== undefined) this.sink.resume();
  }

  /**
   * The node said stop (its consumer is behind) after a message of `chunk`: keeps `chunk` from
   * `at` (a copy if it is lent), to be decoded first once the node reads again, and reads nothing
   * until then.
   */
  protected hold(chunk: Uint8Array, at: number): void {
    this.sink.pause();
    const stall = new HeldRest(this);
    stalls.set(this, stall);
    stall.keep(chunk.subarray(at));
  }

  /** True, after keeping `chunk`, when the connection is stalled: a read that still came is kept after the rest, in order. */
  protected stalled(chunk: Uint8Array): boolean {
    const stall = stalls.get(this);
    if (stall?.holding !== true) return false;
    stall.keep(chunk);
    return true;
  }

  send(data: Uint8Array): SendStatus {
    writeStream(this, data, this.whenWritten(data.byteLength));
    return SendStatus.Sent;
  }

  /** A group send: the shared bytes go as they are, with no copy (nobody changes them). */
  sendShared(message: SharedMessage): SendStatus {
    this.writeShared(message.data, this.whenWritten(message.data.byteLength));
    return SendStatus.Sent;
  }

  /** For a send of `length` bytes: the callback it carries, if it brings a TLS socket's queue to the cap (see `writableAt`). */
  protected whenWritten(length: number): ((error?: Error | null) => void) | undefined {
    const at = this.settings.writableAt;
    if (at === undefined || this.bufferedBytes + length < at) return undefined;
    return (error) => {
      if (error == null) this.writable();
    };
  }

  close(): void {
    const socket = this.sink;
    this.watch = undefined;
    early.delete(this);
    stopFrameWatch(this);
    stalls.get(this)?.drop();
    stalls.delete(this);
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
    stopFrameWatch(this);
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

  /**
   * One read into the shared receive buffer: lent as it is (opt-in), or copied once and handed
   * over as the user's; copied until `receive` if it comes before.
   */
  read(chunk: BorrowedBytes): void {
    const chunks = early.get(this);
    if (chunks !== undefined) chunks.push(copyOf(chunk));
    else if (this.settings.lend) this.data(chunk);
    else this.readOwned(chunk);
  }

  /** One read into a buffer of this socket's own: the user's as it is (kept until `receive` if it comes before). */
  readOwn(chunk: Uint8Array): void {
    const chunks = early.get(this);
    if (chunks !== undefined) chunks.push(chunk);
    else this.data(chunk);
  }

  /** One read into the shared buffer, for a user who owns what is received: one copy of it, then one message. */
  protected readOwned(chunk: BorrowedBytes): void {
    this.data(copyOf(chunk));
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
 * When messages are the user's, each byte read into the shared buffer is copied once: the bytes
 * of a frame begun in an earlier read go straight into that frame's own buffer, and the whole
 * frames after it are copied as {@link copyWholeFrames} says.
 */
export class FramedTcpRemote extends TcpRemote {
  private decoder: FrameDecoder | undefined = undefined;

  override send(data: Uint8Array): SendStatus {
    writeFramed(this, data, this.whenWritten(data.byteLength));
    return SendStatus.Sent;
  }

  /** A group send: the message framed once for every connection it reaches (FRAMED names that frame), written with no copy. */
  override sendShared(message: SharedMessage): SendStatus {
    const frame = message.frame(FRAMED, framedCopy);
    this.writeShared(frame, this.whenWritten(message.data.byteLength));
    return SendStatus.Sent;
  }

  /**
   * One received chunk: the frames it completes (BorrowedBytes when the chunk is). When the node
   * says stop after a frame, the rest of the chunk waits for it to read again ({@link hold}).
   */
  override data(chunk: Uint8Array): void {
    this.decodeChunk(chunk);
    if (this.decoder !== undefined && this.settings.messageTimeout) this.frameInProgress();
  }

  protected override readOwned(chunk: BorrowedBytes): void {
    this.decodeOwned(chunk);
    if (this.decoder !== undefined && this.settings.messageTimeout) this.frameInProgress();
  }

  /** A frame is in progress: arms the watchdog of `messageTimeout`, unless it is armed. */
  private frameInProgress(): void {
    if (frameWatches.has(this) || this.watch === undefined) return;
    const decoder = this.decoder!;
    const frameWatch: FrameWatch = {
      decoder,
      begun: decoder.framesBegun,
      timer: setTimeout(() => this.frameDue(frameWatch), this.settings.messageTimeout),
      interrupted: false,
    };
    frameWatch.timer.unref();
    frameWatches.set(this, frameWatch);
  }

  /**
   * The watchdog fired: the connection fails if the frame in progress is the one seen when it was
   * armed and the node kept reading all along; otherwise it watches the frame in progress now.
   */
  private frameDue(seen: FrameWatch): void {
    frameWatches.delete(this);
    const decoder = this.decoder;
    if (decoder === undefined || this.watch === undefined) return;
    const same = decoder === seen.decoder && decoder.framesBegun === seen.begun && !decoder.idle;
    if (same && !seen.interrupted && !this.sink.isPaused() && stalls.get(this)?.holding !== true) {
      const time = this.settings.messageTimeout;
      return this.fail(new MessageTimeoutError(`a message began to arrive and was not complete within ${time} ms (messageTimeout)`));
    }
    this.frameInProgress();
  }

  /**
   * True when `tail`, an incomplete frame at the end of a read, goes in front of the socket's next
   * read (node-net's `OwnedReads.carry`, which says when) instead of into a FrameDecoder: so the
   * frame ends up whole in one buffer of the user's, its first bytes copied at most once and the
   * rest read in place. Only for a user who owns what is received, without `messageTimeout` (whose
   * watchdog follows a FrameDecoder), during this connection's own read, and for a frame of 16 KiB
   * or more whose prefix is whole (smaller ones are cheaper to join).
   */
  private carried(tail: Uint8Array): boolean {
    if (reading !== this || this.settings.lend || this.settings.messageTimeout) return false;
    const frameBytes = frameBytesAt(tail, this.settings.maxMessageSize);
    return frameBytes >= OWN_COPY_FROM && ownedReads.carry(tail, frameBytes);
  }

  /** Decodes one chunk (see {@link data}). */
  private decodeChunk(chunk: Uint8Array): void {
    const watch = this.watch; // kept: a message may make the user remove the connection
    if (watch === undefined || this.stalled(chunk)) return;
    let decoder = this.decoder;
    let rest: Uint8Array = chunk;
    if (decoder === undefined) {
      const at = decodeWholeFrames(chunk, this.settings.maxMessageSize, watch);
      if (typeof at !== 'number') return this.fail(at);
      if (sinkStopped()) return this.hold(chunk, at);
      if (at === chunk.length || this.carried(chunk.subarray(at))) return;
      decoder = new FrameDecoder(this.settings.maxMessageSize, this.settings.lend);
      rest = chunk.subarray(at);
    }
    const at = decoder.feed(rest, watch);
    if (typeof at !== 'number') return this.fail(at);
    this.decoder = decoder.idle ? undefined : decoder;
    if (sinkStopped()) this.hold(rest, at);
  }

  /** Decodes one read into the shared buffer, for a user who owns what is received (see {@link readOwned}). */
  private decodeOwned(chunk: BorrowedBytes): void {
    const watch = this.watch;
    if (watch === undefined || this.stalled(chunk)) return;
    const max = this.settings.maxMessageSize;
    let rest: Uint8Array = chunk;
    const pending = this.decoder;
    if (pending !== undefined) {
      const at = pending.finishFrame(chunk, watch);
      if (typeof at !== 'number') return this.fail(at);
      if (!pending.idle) return;
      this.decoder = undefined;
      if (sinkStopped()) return this.hold(chunk, at);
      if (at === chunk.length || this.watch === undefined) return;
      rest = chunk.subarray(at);
    }
    const whole = wholeFramesLength(rest, max);
    if (typeof whole !== 'number') {
      // The frames before the error are delivered, then the connection ends (or, stopped on the
      // way, the rest waits, and its error is found again when it is decoded).
      const copy = copyOf(rest);
      const error = decodeWholeFrames(copy, max, watch);
      if (typeof error === 'number' && sinkStopped()) return this.hold(copy, error);
      return this.fail(typeof error === 'number' ? whole : error);
    }
    if (whole > 0) {
      const at = copyWholeFrames(rest, whole, max, watch);
      if (sinkStopped()) return this.hold(rest, at);
    }
    if (whole === rest.length || this.watch === undefined || this.carried(rest.subarray(whole))) return;
    const decoder = new FrameDecoder(max, false);
    const error = decoder.decode(rest.subarray(whole), watch);
    if (error !== undefined) return this.fail(error);
    this.decoder = decoder;
  }
}
