// An in-memory transport: the adapter contract of @message-io/core/adapter with no socket. It runs
// wherever the core runs (no Node import): delivery is scheduled with setImmediate when the host
// has it, setTimeout otherwise.
import {
  InvalidAddressError,
  ListenError,
  MessageTooLargeError,
  PendingStatus,
  SendStatus,
  commonOptionKeys,
  connectionLimitKeys,
  isUrlAddr,
  optionReader,
  reconnectKeys,
  refuseUnknownOptions,
  type Acceptor,
  type Adapter,
  type ConnectOptions,
  type Listening,
  type ConnectionLimitOptions,
  type ListenOptions,
  type Local,
  type LocalWatch,
  type Readiness,
  type Remote,
  type RemoteAddr,
  type RemoteContext,
  type ReconnectOptions,
  type RemoteWatch,
  type SocketAddr,
  type Transport,
} from '@message-io/core/adapter';

/** Options of {@link memoryTransport}. */
export interface MemoryTransportOptions {
  /** The transport's name, in errors and in the conformance suite's titles. Default `'Memory'`. */
  readonly name?: string;
  /** Largest message a connection sends and accepts (the `maxMessageSize` capability). Default 1 MiB. */
  readonly maxMessageSize?: number;
  /**
   * Bytes a connection takes from its peer before it hands them over: what a socket's receive
   * buffer holds. While a connection does not read (paused by the node, or not ready yet), its
   * peer's messages stay in the peer's `bufferedBytes` beyond this. Default 64 KiB.
   */
  readonly receiveWindow?: number;
}

/** Options of `connect` on a memory transport. */
export interface MemoryConnectOptions extends ConnectOptions, ReconnectOptions {
  /** Largest message this connection sends and accepts, at most the transport's. */
  maxMessageSize?: number;
}

/** Options of `listen` on a memory transport; they apply to the connections it accepts. */
export interface MemoryListenOptions extends ListenOptions, ConnectionLimitOptions {
  /** Largest message the accepted connections send and accept, at most the transport's. */
  maxMessageSize?: number;
}

/** The error a memory connection reports when nothing listens on the port it connects to. */
export class MemoryConnectionRefusedError extends Error {
  /** Same code as a refused socket, so that messages read alike. */
  readonly code: 'ECONNREFUSED' = 'ECONNREFUSED';
}

const nodeSetImmediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
/** Runs `fn` on a later turn of the event loop, after pending I/O when the host says which. */
const later: (fn: () => void) => void = typeof nodeSetImmediate === 'function' ? (fn) => void nodeSetImmediate(fn) : (fn) => void setTimeout(fn, 0);

const connectKeys: Readonly<Record<keyof MemoryConnectOptions, true>> = { ...commonOptionKeys, ...reconnectKeys, maxMessageSize: true };
const listenKeys: Readonly<Record<keyof MemoryListenOptions, true>> = { ...commonOptionKeys, ...connectionLimitKeys, maxMessageSize: true };

/** First port given to `listen` on port 0 and to connecting remotes; the ports above it are used in turn. */
const FIRST_EPHEMERAL_PORT = 49_152;

/** The listeners of one memory transport, by port, and its next free port. */
class PortSpace {
  readonly listeners = new Map<number, MemoryLocal>();
  private next = FIRST_EPHEMERAL_PORT;

  /** A port no listener holds, for `listen` on port 0 and for a connecting remote's address. */
  ephemeral(): number {
    for (let tries = 0; tries <= 65_535 - FIRST_EPHEMERAL_PORT; tries++) {
      const port = this.next;
      this.next = port === 65_535 ? FIRST_EPHEMERAL_PORT : port + 1;
      if (!this.listeners.has(port)) return port;
    }
    throw new ListenError('every memory port is taken');
  }
}

/**
 * One end of an in-memory connection. A `send` queues a copy in this end's outbound queue (its
 * `bufferedBytes`); on a later turn the queue moves to the peer's inbound queue, as far as the
 * peer's receive window lets it, and the peer hands its inbound messages to its watch while the node
 * lets it read. The end of a connection reaches the peer after every message sent before it.
 */
class MemoryRemote implements Remote {
  twin: MemoryRemote | undefined = undefined;
  /** The connecting end waits for its listener: `Incomplete` until then. */
  private established: boolean;
  private watch: RemoteWatch | undefined = undefined;
  private receiving = false;
  private paused = false;
  private closed = false;
  /** The peer closed gracefully: report `closed()` once the inbound queue is handed over. */
  private peerEnded = false;
  private reported = false;
  private readonly outbound: Uint8Array[] = [];
  private outboundBytes = 0;
  private readonly inbound: Uint8Array[] = [];
  private inboundBytes = 0;
  private needDrain = false;
  private flushScheduled = false;
  private deliverScheduled = false;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(
    private readonly context: RemoteContext,
    readonly maxMessageSize: number,
    private readonly window: number,
    connecting: boolean,
  ) {
    this.established = !connecting;
  }

  get bufferedBytes(): number {
    return this.outboundBytes;
  }

  source(watch: RemoteWatch): void {
    this.watch = watch;
  }

  pending(_readiness: Readiness): PendingStatus {
    if (this.reported) return PendingStatus.Disconnected;
    return this.established ? PendingStatus.Ready : PendingStatus.Incomplete;
  }

  receive(): void {
    this.receiving = true;
    this.scheduleDeliver();
  }

  send(data: Uint8Array): SendStatus {
    if (data.byteLength > this.maxMessageSize) return SendStatus.MaxPacketSizeExceeded;
    if (this.closed || this.reported) return SendStatus.ResourceNotFound;
    this.outbound.push(data.slice());
    this.outboundBytes += data.byteLength;
    if (this.outboundBytes >= this.context.maxBufferedBytes) this.needDrain = true;
    this.scheduleFlush();
    return SendStatus.Sent;
  }

  pauseReceive(): void {
    this.paused = true;
  }

  resumeReceive(): void {
    if (!this.paused) return;
    this.paused = false;
    this.scheduleDeliver();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inbound.length = 0;
    this.inboundBytes = 0;
    if (this.twin === undefined || this.outboundBytes === 0 || this.context.linger === 0) {
      this.hangUp(this.outboundBytes > 0);
      return;
    }
    // Flush what `send` accepted within `linger`, then reset.
    this.lingerTimer = setTimeout(() => this.hangUp(true), this.context.linger);
    this.scheduleFlush();
  }

  /** The listener accepted this connecting end: it is ready. */
  connected(twin: MemoryRemote): void {
    if (this.closed) {
      twin.peerGone(false);
      return;
    }
    this.twin = twin;
    this.established = true;
    this.watch?.notify('writable');
  }

  /** Nothing listens where this end connects: the connection fails. */
  refused(port: number): void {
    if (this.closed) return;
    this.report(new MemoryConnectionRefusedError(`connection refused: nothing listens on memory port ${port}`));
  }

  /** This end is done: the peer sees a clean end (after what it was sent), or a reset when `reset`. */
  private hangUp(reset: boolean): void {
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.outbound.length = 0;
    this.outboundBytes = 0;
    const twin = this.twin;
    this.twin = undefined;
    if (twin !== undefined) later(() => twin.peerGone(reset));
  }

  /** The peer ended (`reset` false: after its last message) or was destroyed (`reset` true). */
  private peerGone(reset: boolean): void {
    this.twin = undefined;
    this.outbound.length = 0;
    this.outboundBytes = 0;
    if (this.closed) return;
    if (reset) {
      this.inbound.length = 0;
      this.inboundBytes = 0;
      this.report(new Error('connection reset by the memory peer'));
      return;
    }
    this.peerEnded = true;
    this.scheduleDeliver();
  }

  private report(error?: Error): void {
    if (this.reported) return;
    this.reported = true;
    this.watch?.closed(error);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    later(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Moves outbound messages to the peer, as far as its receive window takes them. */
  private flush(): void {
    const twin = this.twin;
    if (twin === undefined || this.outbound.length === 0) return;
    let moved = 0;
    while (this.outbound.length > 0 && twin.takes(this.outbound[0]!.byteLength)) {
      const data = this.outbound.shift()!;
      this.outboundBytes -= data.byteLength;
      twin.inbound.push(data);
      twin.inboundBytes += data.byteLength;
      moved++;
    }
    if (moved > 0) twin.scheduleDeliver();
    if (this.closed) {
      if (this.outboundBytes === 0) this.hangUp(false);
      return;
    }
    if (this.needDrain && this.outboundBytes < this.context.maxBufferedBytes) {
      this.needDrain = false;
      this.watch?.notify('writable');
    }
  }

  /** True when this end's receive window takes `size` more bytes (one message always fits an empty window). */
  private takes(size: number): boolean {
    if (this.closed) return false;
    if (this.inbound.length === 0) return !this.paused || !this.receiving;
    return this.inboundBytes + size <= this.window && !this.paused;
  }

  private scheduleDeliver(): void {
    if (this.deliverScheduled) return;
    this.deliverScheduled = true;
    later(() => {
      this.deliverScheduled = false;
      this.deliver();
    });
  }

  /** Hands inbound messages to the watch until the node says stop; then asks the peer for more. */
  private deliver(): void {
    if (this.closed || this.reported || !this.receiving) return;
    while (!this.paused && this.inbound.length > 0) {
      const data = this.inbound.shift()!;
      this.inboundBytes -= data.byteLength;
      if (data.byteLength > this.maxMessageSize) {
        this.report(
          new MessageTooLargeError(`a memory message of ${data.byteLength} bytes is over this connection's maxMessageSize of ${this.maxMessageSize}`),
        );
        return;
      }
      if (!this.watch!.received(data)) this.paused = true;
      if (this.closed || this.reported) return;
    }
    if (this.paused) return;
    if (this.peerEnded) this.report();
    else this.twin?.scheduleFlush();
  }
}

/** A listener of a memory transport: it holds its port until `close`. */
class MemoryLocal implements Local {
  private acceptor: Acceptor | undefined = undefined;

  constructor(
    private readonly space: PortSpace,
    readonly addr: SocketAddr,
    readonly context: RemoteContext,
    readonly maxMessageSize: number,
  ) {}

  source(_watch: LocalWatch): void {
    // A memory listener fails only when closed by the core.
  }

  accept(acceptor: Acceptor): void {
    this.acceptor = acceptor;
  }

  /** Takes a connection from `from`: hands the new accepted end to the core. False before `accept` or after `close`. */
  take(accepted: MemoryRemote, from: SocketAddr): boolean {
    if (this.acceptor === undefined) return false;
    this.acceptor.remote(accepted, from);
    return true;
  }

  close(): void {
    this.acceptor = undefined;
    if (this.space.listeners.get(this.addr.port) === this) this.space.listeners.delete(this.addr.port);
  }
}

function sizeOption(options: object | undefined, largest: number): number {
  return optionReader.integer(options, 'maxMessageSize', largest, 0, largest);
}

function memoryAdapter(name: string, largest: number, window: number): Adapter<MemoryConnectOptions, MemoryListenOptions> {
  const space = new PortSpace();
  return {
    connect(addr: RemoteAddr, options: MemoryConnectOptions | undefined, context: RemoteContext): Remote {
      if (isUrlAddr(addr)) throw new InvalidAddressError(`${name} takes host:port addresses, not ${addr.url}`);
      refuseUnknownOptions(options, connectKeys, `${name} connect`);
      const client = new MemoryRemote(context, sizeOption(options, largest), window, true);
      const from = { host: addr.host, port: space.ephemeral() };
      later(() => {
        const local = space.listeners.get(addr.port);
        if (local === undefined) return client.refused(addr.port);
        const accepted = new MemoryRemote(local.context, local.maxMessageSize, window, false);
        accepted.twin = client;
        if (!local.take(accepted, from)) return client.refused(addr.port);
        client.connected(accepted);
      });
      return client;
    },

    async listen(addr: RemoteAddr, options: MemoryListenOptions | undefined, context: RemoteContext): Promise<Listening> {
      if (isUrlAddr(addr)) throw new InvalidAddressError(`${name} listens on host:port addresses, not ${addr.url}`);
      refuseUnknownOptions(options, listenKeys, `${name} listen`);
      const maxMessageSize = sizeOption(options, largest);
      if (addr.port !== 0 && space.listeners.has(addr.port)) {
        const cause = Object.assign(new Error(`memory port ${addr.port} is taken`), { code: 'EADDRINUSE' });
        throw new ListenError(`${name} cannot listen on port ${addr.port}: it is taken`, { cause });
      }
      const bound = { host: addr.host, port: addr.port === 0 ? space.ephemeral() : addr.port };
      const local = new MemoryLocal(space, bound, context, maxMessageSize);
      space.listeners.set(bound.port, local);
      return { local, addr: bound };
    },
  };
}

/**
 * A new in-memory transport: connection-oriented, packet-based (one `send`, one `message`), with
 * its own space of ports, so that nodes given the same transport value reach each other through
 * `listen('127.0.0.1:0')` and `connect` to the address it resolved with. It needs no socket and no
 * Node API, so tests of the core and of applications run anywhere the core runs.
 *
 * It keeps the adapter contract as a socket transport does: `connect` is ready on a later turn, or
 * fails with `ECONNREFUSED` when nothing listens on the port; `bufferedBytes` counts what the peer
 * has not taken yet, `'writable'` is notified when it falls under `maxBufferedBytes` again; a peer
 * that does not read (paused by its node) stops taking bytes once its receive window is full;
 * `received` answering `false` stops delivery until `resumeReceive`; `close` flushes within
 * `linger` then resets; messages over `maxMessageSize` are refused; unknown options are refused
 * with `InvalidOptionError`. The host part of addresses is kept but not routed on: every node
 * shares one loopback per transport value. No datagrams (`sendTo`), no URLs.
 *
 * ```ts
 * const Memory = memoryTransport();
 * const { addr } = await server.network().listen(Memory, '127.0.0.1:0');
 * const endpoint = await client.network().connectAndWait(Memory, addr);
 * ```
 */
export function memoryTransport(options: MemoryTransportOptions = {}): Transport<MemoryConnectOptions, MemoryListenOptions> {
  const name = options.name ?? 'Memory';
  const maxMessageSize = options.maxMessageSize ?? 1024 * 1024;
  const window = options.receiveWindow ?? 64 * 1024;
  return { name, connectionOriented: true, packetBased: true, maxMessageSize, adapter: memoryAdapter(name, maxMessageSize, window) };
}
