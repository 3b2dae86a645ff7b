import type { Socket } from 'node:dgram';
import {
  InvalidOptionError,
  PendingStatus,
  SendStatus,
  type Remote,
  type RemoteContext,
  type RemoteWatch,
  type SharedMessage,
  type SocketAddr,
} from '@message-io/core/adapter';
import { ipFamily, payloadLimit } from './limits.js';
import { interfaceFor, type UdpSettings } from './options.js';
import { directSender, QUEUED, sendError, type DirectSender } from './dgram-internals.js';
import { noteReceived } from './receive-memory.js';
import { copyForSend, reuseSpare, sentAtOnce } from './spare.js';
import {
  bindSocket,
  closeAfterFlush,
  closeSocket,
  configureSocket,
  connectSocket,
  openSocket,
  queuedBytes,
  queuedDatagrams,
  resolveHost,
  type ResolvedHost,
} from './socket.js';

/** Resolving the peer, binding and connecting the socket. */
const OPENING = 0;
/** Bound and connected: datagrams go out. */
const READY = 1;
/** Opening failed (reported to the core). */
const FAILED = 2;
/** Closed by the core. */
const CLOSED = 3;
type State = typeof OPENING | typeof READY | typeof FAILED | typeof CLOSED;

/** Refuses a resolved peer this socket cannot reach as asked (the name was only known now). */
function checkTarget(target: ResolvedHost, source: SocketAddr | undefined, settings: UdpSettings): void {
  if (source !== undefined && ipFamily(source.host) !== target.family) {
    throw new InvalidOptionError(`option sourceAddress ${source.host} is not of the family of the peer ${target.address}`);
  }
  interfaceFor(settings, target.family);
}

/**
 * One Udp connection: a connected UDP socket, made once the peer's name is resolved (its family
 * picks the socket's). It is ready once bound and connected and never disconnects: errors the
 * system reports later (a lost send, ...) go to the `onError` option. An ICMP port unreachable
 * from the peer (the system's `ECONNREFUSED`) goes there too, and makes the next `send` answer
 * `ResourceNotFound` without sending, as the Rust message-io does; the one after tries again.
 */
export class UdpRemote implements Remote {
  private socket: Socket | undefined;
  private watch: RemoteWatch | undefined;
  private state: State = OPENING;
  /** Largest datagram `send` takes: lowered once the peer's family is known, and by EMSGSIZE. */
  private limit: number;
  /** True while the node is throttled: received datagrams are dropped. */
  private dropping = false;
  /** The system said the peer refused a datagram (ICMP port unreachable) since the last `send`. */
  private refused = false;
  /**
   * The socket's queue was empty after the last send: it stays so until the next one (only a send
   * adds to it), so neither the core's check nor `send` need to ask the socket.
   */
  private idle = true;
  /** Sends through the socket's handle (dgram-internals.ts); `null` when that is not possible here, `undefined` until known. */
  private direct: DirectSender | null | undefined;
  /** Set by `close` while queued datagrams are flushed: completed sends call it. */
  private flushed: (() => void) | undefined;
  /** The limit the core checks before `send`; for a host name, `send` applies the family's limit too. */
  readonly maxMessageSize: number;

  constructor(
    peer: SocketAddr,
    private readonly from: SocketAddr | undefined,
    private readonly settings: UdpSettings,
    private readonly context: RemoteContext,
  ) {
    const family = ipFamily(peer.host);
    this.limit = family === 0 ? settings.maxMessageSize : Math.min(settings.maxMessageSize, payloadLimit(peer.host, family));
    this.maxMessageSize = this.limit;
    void this.open(peer);
  }

  /** Bytes queued in the socket, not yet sent; the core reads it before each send and refuses at the cap. */
  get bufferedBytes(): number {
    return this.socket === undefined || this.idle ? 0 : queuedBytes(this.socket);
  }

  source(watch: RemoteWatch): void {
    this.watch = watch;
  }

  pending(): PendingStatus {
    if (this.state === READY) return PendingStatus.Ready;
    return this.state === OPENING ? PendingStatus.Incomplete : PendingStatus.Disconnected;
  }

  receive(): void {
    this.socket?.on('message', this.onMessage);
  }

  /** The node's consumer is behind: datagrams are dropped until it catches up (as a full socket buffer would). */
  pauseReceive(): void {
    this.dropping = true;
  }

  /** The consumer caught up: datagrams are delivered again. */
  resumeReceive(): void {
    this.dropping = false;
  }

  send(data: Uint8Array): SendStatus {
    return this.put(data, true);
  }

  /** A group send: the shared bytes are sent as they are (nobody changes them, so no copy). */
  sendShared(message: SharedMessage): SendStatus {
    return this.put(message.data, false);
  }

  /** One datagram of `data`, sent from a copy when `copy` (the caller's bytes), else by reference. */
  private put(data: Uint8Array, copy: boolean): SendStatus {
    const socket = this.socket;
    if (socket === undefined || this.state !== READY) return SendStatus.ResourceNotFound;
    const size = data.byteLength;
    if (size > this.limit) return SendStatus.MaxPacketSizeExceeded;
    if (this.refused) {
      this.refused = false;
      return SendStatus.ResourceNotFound;
    }
    // A copy: a datagram that cannot leave at once waits in the socket's queue by reference, and
    // the caller may change its buffer as soon as `send` returns (spare.ts: most copies are reused).
    const datagram = copy ? copyForSend(data) : data;
    const direct = this.direct ?? (this.direct === null ? null : (this.direct = directSender(socket, this.whenQueuedSent)));
    if (direct) {
      // Through the handle: it says whether the datagram left within the call, so the copy is
      // free again at once, and every datagram that waits calls `whenQueuedSent` when it leaves.
      const result = direct.send(datagram);
      if (result > 0) {
        this.idle = true;
        if (copy) reuseSpare(datagram as Buffer);
      } else if (result === QUEUED) this.idle = false;
      else process.nextTick(() => this.sent(sendError(result), size));
      return SendStatus.Sent;
    }
    // Through `socket.send`. A send callback costs a closure and a tick per datagram (a quarter of
    // the rate of small datagrams): it is given only when its answer is wanted: errors for
    // `onError`; and once datagrams queue, the drain the core waits for and the flush of a close.
    // The datagram that starts a queue has none: the core can only see the cap reached after
    // later ones, which do (unless one datagram alone reaches the cap: it gets one too). So a close
    // may wait for `linger` when that first datagram is the only one queued.
    if (this.settings.onError !== undefined || size >= this.context.maxBufferedBytes || (!this.idle && queuedBytes(socket) > 0)) {
      socket.send(datagram, (error) => this.sent(error, size));
    } else socket.send(datagram);
    this.idle = copy ? sentAtOnce(socket, datagram as Buffer) : queuedDatagrams(socket) === 0;
    return SendStatus.Sent;
  }

  close(): void {
    const wasReady = this.state === READY;
    this.state = CLOSED;
    this.watch = undefined;
    const socket = this.socket;
    if (socket === undefined) return;
    socket.removeAllListeners('message');
    if (wasReady) this.flushed = closeAfterFlush(socket, this.context.linger);
    else closeSocket(socket);
  }

  private async open(peer: SocketAddr): Promise<void> {
    try {
      const target = await resolveHost(peer.host, ipFamily(this.from?.host ?? ''), this.settings.lookup);
      if (this.state !== OPENING) return;
      checkTarget(target, this.from, this.settings);
      this.limit = Math.min(this.limit, payloadLimit(target.address, target.family));
      const socket = openSocket(target.family, this.settings, this.settings.reuseAddr ?? false, this.onSocketError);
      this.socket = socket;
      await bindSocket(socket, this.from?.host ?? (target.family === 4 ? '0.0.0.0' : '::'), this.from?.port ?? 0);
      if (this.state !== OPENING) return;
      configureSocket(socket, this.settings, target.family);
      await connectSocket(socket, target.address, peer.port);
      if (this.state !== OPENING) return;
      this.state = READY;
      this.watch?.notify('writable');
    } catch (error) {
      if (this.state !== OPENING) return;
      this.state = FAILED;
      this.watch?.closed(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Each datagram from the peer: one message. */
  private readonly onMessage = (data: Buffer): void => {
    noteReceived(data.length);
    if (!this.dropping) this.watch?.received(data);
  };

  private readonly onSocketError = (error: Error): void => {
    if (this.state !== READY) return;
    if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') this.refused = true;
    this.report(error);
  };

  /** A datagram that waited in the socket's queue has left (`status` 0) or failed (a system error code). */
  private readonly whenQueuedSent = (status: number, size: number): void => {
    this.sent(status < 0 ? sendError(status) : null, size);
  };

  private sent(error: Error | null, size: number): void {
    if (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EMSGSIZE') this.limit = Math.min(this.limit, size - 1);
      if (code === 'ECONNREFUSED' && this.state === READY) this.refused = true;
      this.report(error);
    }
    if (this.flushed !== undefined) this.flushed();
    // Under the cap again: the core tells the user `writable` if it refused a send meanwhile (it
    // ignores the notice otherwise), so that a getter never has to remember what the core saw.
    else if (this.socket !== undefined && queuedBytes(this.socket) < this.context.maxBufferedBytes) this.watch?.notify('writable');
  }

  private report(error: Error): void {
    try {
      this.settings.onError?.(error);
    } catch {
      // onError must not throw; a throw is ignored (documented)
    }
  }
}
