// The testkit's memory transport, made to break the adapter contract in one chosen way, for the
// fault-isolation tests (docs/reliability.md ND-03). Each fault wraps one member of the healthy
// memory transport's remotes and listeners.
import { memoryTransport } from '@message-io/adapter-testkit';
import {
  PendingStatus,
  type Acceptor,
  type Adapter,
  type Local,
  type LocalWatch,
  type Readiness,
  type Remote,
  type RemoteWatch,
  type SendStatus,
  type Transport,
} from '@message-io/core';

/** The ways the wrapped adapter can misbehave. */
export interface Faults {
  /** `Remote.send` throws. */
  throwInSend?: boolean;
  /** `Remote.receive` throws (after starting delivery). */
  throwInReceive?: boolean;
  /** `Remote.pending` answers `Incomplete` forever on the connecting side. */
  neverReady?: boolean;
  /** After `close`, the remote keeps delivering data and reporting readiness and closes; a listener keeps accepting. */
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

/** How many times the core closed a listener of any faulty transport. */
export const closedLocals = { count: 0 };

/** A remote that forwards to `inner`, except where `faults` says otherwise. */
class FaultyRemote implements Remote {
  private watch: RemoteWatch | undefined;

  constructor(
    private readonly inner: Remote,
    private readonly faults: Faults,
    private readonly connecting: boolean,
  ) {}

  get bufferedBytes(): number {
    return this.inner.bufferedBytes;
  }

  get maxMessageSize(): number | undefined {
    return this.inner.maxMessageSize;
  }

  source(watch: RemoteWatch): void {
    this.watch = watch;
    this.inner.source(watch);
    if (this.faults.closeInSource) watch.closed(new Error('closed from inside source'));
    if (this.faults.notifyInSource) watch.notify('writable');
    if (this.faults.receivedInSource) watch.received(Uint8Array.of(9));
  }

  pending(readiness: Readiness): PendingStatus {
    if (this.faults.neverReady && this.connecting) return PendingStatus.Incomplete;
    return this.inner.pending(readiness);
  }

  receive(): void {
    this.inner.receive();
    if (this.faults.throwInReceive) throw new Error('receive failed');
  }

  send(data: Uint8Array): SendStatus {
    if (this.faults.throwInSend) throw new Error('send failed');
    return this.inner.send(data);
  }

  pauseReceive(): void {
    this.inner.pauseReceive?.();
  }

  resumeReceive(): void {
    this.inner.resumeReceive?.();
  }

  close(): void {
    this.inner.close();
    const { watch } = this;
    if (this.faults.reportAfterClose && watch !== undefined) {
      lateCalls.push(() => {
        watch.received(Uint8Array.of(1, 2, 3));
        watch.notify('writable');
        watch.notify('readable');
        watch.closed(new Error('late close'));
      });
    }
  }
}

/** A listener that forwards to `inner` and wraps what it accepts, except where `faults` says otherwise. */
class FaultyLocal implements Local {
  constructor(
    private readonly inner: Local,
    private readonly faults: Faults,
    private readonly spare: Transport,
  ) {}

  private acceptor: Acceptor | undefined;

  source(watch: LocalWatch): void {
    if (this.faults.throwInLocalSource) throw new Error('listener source failed');
    this.inner.source(watch);
  }

  accept(acceptor: Acceptor): void {
    this.acceptor = acceptor;
    this.inner.accept({
      remote: (remote, addr) => acceptor.remote(new FaultyRemote(remote, this.faults, false), addr),
      data: (addr, data) => acceptor.data(addr, data),
      refused: (refusal) => acceptor.refused(refusal),
    });
  }

  close(): void {
    closedLocals.count++;
    this.inner.close();
    const { acceptor } = this;
    if (this.faults.reportAfterClose && acceptor !== undefined) {
      const { spare } = this;
      lateCalls.push(() => {
        const context = { maxBufferedBytes: 1024, linger: 0 };
        acceptor.remote(spare.adapter.connect({ host: '127.0.0.1', port: 1 }, undefined, context), { host: '127.0.0.1', port: 1 });
        acceptor.data({ host: '127.0.0.1', port: 1 }, Uint8Array.of(9));
      });
    }
  }
}

/** A new memory transport (its own port space) whose remotes and listeners misbehave as `faults` says. */
export function faultyTransport(name: string, faults: Faults = {}): Transport {
  const healthy = memoryTransport({ name }) as Transport;
  const spare = memoryTransport({ name: `${name} spare` }) as Transport;
  const inner = healthy.adapter;
  const adapter: Adapter = {
    connect: (addr, options, context) => new FaultyRemote(inner.connect(addr, options, context), faults, true),
    listen: async (addr, options, context) => {
      const { local, addr: bound } = await inner.listen(addr, options, context);
      return { local: new FaultyLocal(local, faults, spare), addr: bound };
    },
  };
  return { ...healthy, adapter };
}
