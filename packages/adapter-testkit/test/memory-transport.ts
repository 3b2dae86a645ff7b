// A toy in-memory transport for the testkit's own tests: connection-oriented, packet-based, no
// sockets. `faults` makes it break the adapter contract in one chosen way (docs/reliability.md ND-03).
import {
  InvalidAddressError,
  ListenError,
  PendingStatus,
  SendStatus,
  commonOptionKeys,
  isUrlAddr,
  refuseUnknownOptions,
  type Acceptor,
  type Adapter,
  type Local,
  type LocalWatch,
  type RemoteAddr,
  type Remote,
  type RemoteWatch,
  type Transport,
} from '@message-io/core';

/** The ways the toy adapter can misbehave. */
export interface Faults {
  /** `Remote.send` throws. */
  throwInSend?: boolean;
  /** `Remote.receive` throws (after handing over what came early). */
  throwInReceive?: boolean;
  /** `Remote.pending` answers `Incomplete` forever on the connecting side. */
  neverReady?: boolean;
  /** After `close`, the remote keeps delivering data and reporting readiness and closes. */
  reportAfterClose?: boolean;
  /** `Local.source` throws. */
  throwInLocalSource?: boolean;
  /** `Remote.source` reports `closed` at once, from inside the call. */
  closeInSource?: boolean;
  /** `Remote.source` reports readiness at once, from inside the call. */
  notifyInSource?: boolean;
  /** `Remote.source` hands the watch a message (`[9]`) before `receive` was called. */
  receivedInSource?: boolean;
}

/** Late calls made by faulty remotes and listeners after they were closed, for the tests to trigger. */
export const lateCalls: (() => void)[] = [];

/** How many times the core closed a listener of any memory transport. */
export const closedLocals = { count: 0 };

class MemoryRemote implements Remote {
  twin: MemoryRemote | undefined;
  readonly bufferedBytes = 0;
  private watch: RemoteWatch | undefined;
  private receiving = false;
  private readonly early: Uint8Array[] = [];
  private closed = false;

  constructor(
    private readonly faults: Faults,
    private readonly connecting: boolean,
    readonly maxMessageSize: number,
  ) {}

  source(watch: RemoteWatch): void {
    this.watch = watch;
    if (this.faults.closeInSource) watch.closed(new Error('closed from inside source'));
    if (this.faults.notifyInSource) watch.notify('writable');
    if (this.faults.receivedInSource) watch.received(Uint8Array.of(9));
  }

  pending(): PendingStatus {
    if (this.faults.neverReady && this.connecting) return PendingStatus.Incomplete;
    return this.twin !== undefined ? PendingStatus.Ready : PendingStatus.Disconnected;
  }

  receive(): void {
    this.receiving = true;
    for (const data of this.early.splice(0)) this.watch?.received(data);
    if (this.faults.throwInReceive) throw new Error('receive failed');
  }

  send(data: Uint8Array): SendStatus {
    if (this.faults.throwInSend) throw new Error('send failed');
    const twin = this.twin;
    if (twin === undefined) return SendStatus.ResourceNotFound;
    const copy = new Uint8Array(data);
    queueMicrotask(() => twin.deliver(copy));
    return SendStatus.Sent;
  }

  close(): void {
    if (this.closed) throw new Error('close called twice');
    this.closed = true;
    const twin = this.twin;
    this.twin = undefined;
    if (twin !== undefined) queueMicrotask(() => twin.hangUp());
    if (this.faults.reportAfterClose) {
      const { watch } = this;
      lateCalls.push(() => {
        watch?.received(Uint8Array.of(1, 2, 3));
        watch?.notify('writable');
        watch?.notify('readable');
        watch?.closed(new Error('late close'));
      });
    }
  }

  private deliver(data: Uint8Array): void {
    if (this.closed) return;
    if (this.receiving) this.watch?.received(data);
    else this.early.push(data);
  }

  private hangUp(): void {
    this.twin = undefined;
    if (!this.closed) this.watch?.closed();
  }
}

class MemoryLocal implements Local {
  acceptor: Acceptor | undefined;

  constructor(
    private readonly ports: Map<number, MemoryLocal>,
    readonly port: number,
    private readonly faults: Faults,
  ) {}

  source(_watch: LocalWatch): void {
    if (this.faults.throwInLocalSource) throw new Error('listener source failed');
  }

  accept(acceptor: Acceptor): void {
    this.acceptor = acceptor;
  }

  close(): void {
    closedLocals.count++;
    if (this.ports.get(this.port) === this) this.ports.delete(this.port);
    const acceptor = this.acceptor;
    this.acceptor = undefined;
    if (this.faults.reportAfterClose && acceptor !== undefined) {
      lateCalls.push(() => {
        acceptor.remote(new MemoryRemote({}, false, Infinity), { host: '127.0.0.1', port: 1 });
        acceptor.data({ host: '127.0.0.1', port: 1 }, Uint8Array.of(9));
      });
    }
  }
}

function memoryAdapter(name: string, faults: Faults, maxMessageSize: number): Adapter {
  const ports = new Map<number, MemoryLocal>();
  let nextPort = 40_000;
  return {
    connect(addr: RemoteAddr, options: unknown): Remote {
      if (isUrlAddr(addr)) throw new InvalidAddressError(`Memory takes host:port, not ${addr.url}`);
      refuseUnknownOptions(options as object | undefined, commonOptionKeys, `${name} connect`);
      const client = new MemoryRemote(faults, true, maxMessageSize);
      const acceptor = ports.get(addr.port)?.acceptor;
      if (acceptor !== undefined) {
        const server = new MemoryRemote(faults, false, maxMessageSize);
        client.twin = server;
        server.twin = client;
        const from = { host: '127.0.0.1', port: nextPort++ };
        queueMicrotask(() => acceptor.remote(server, from));
      }
      return client;
    },
    async listen(addr: RemoteAddr, options: unknown) {
      if (isUrlAddr(addr)) throw new InvalidAddressError(`Memory listens on host:port, not ${addr.url}`);
      refuseUnknownOptions(options as object | undefined, commonOptionKeys, `${name} listen`);
      const port = addr.port === 0 ? nextPort++ : addr.port;
      if (ports.has(port)) throw new ListenError(`memory port ${port} is taken`);
      const local = new MemoryLocal(ports, port, faults);
      ports.set(port, local);
      return { local, addr: { host: addr.host, port } };
    },
  };
}

/** A new in-memory transport (its own port space) that misbehaves as `faults` says. */
export function memoryTransport(name = 'Memory', faults: Faults = {}, maxMessageSize = 1024 * 1024): Transport {
  return { name, connectionOriented: true, packetBased: true, maxMessageSize, adapter: memoryAdapter(name, faults, maxMessageSize) };
}
