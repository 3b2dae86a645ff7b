import type { ProcessData, Readiness, Remote, RemoteWatch } from './adapter.js';
import type { Endpoint } from './endpoint.js';
import { AdapterError, ConnectError, ConnectTimeoutError, MessageIoError } from './errors.js';
import type { NetEvent } from './events.js';
import { PendingStatus } from './status.js';
import type { ResourceId } from './resource-id.js';

/** The core's record of one connection. */
export interface RemoteEntry {
  readonly kind: 'remote';
  readonly id: ResourceId;
  readonly endpoint: Endpoint;
  readonly remote: Remote;
  readonly listenerId: ResourceId | undefined;
  readonly cap: number;
  readonly maxMessageSize: number;
  state: 'pending' | 'ready' | 'closed';
  backpressured: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  waiters: { resolve: (endpoint: Endpoint) => void; reject: (error: Error) => void }[] | undefined;
}

function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  (timer as { unref?: () => void }).unref?.();
}

/**
 * The lifecycle of connections, from `start` (right after connect or accept) to `closeRemote`:
 * handshake polling and its timeout, `connected`/`accepted`, messages, drains, throttling,
 * `disconnected`. Part of the NetworkController, which owns the registry.
 */
export class Connections {
  constructor(
    private readonly emit: (event: NetEvent) => void,
    private readonly resources: Map<number, unknown>,
    private readonly isThrottled: () => boolean,
  ) {}

  /** Wires a new connection (#1 `source`) and asks `pending` on the next microtask; arms its connect timeout. */
  start(entry: RemoteEntry, connectTimeout: number): void {
    entry.timer = setTimeout(() => {
      this.failPending(entry, new ConnectTimeoutError(`not ready within ${connectTimeout} ms: ${entry.endpoint.addr}`));
    }, connectTimeout);
    unrefTimer(entry.timer);
    // Whatever happens during source() is handled on the next microtask, so that connect() returns
    // before any event about the connection.
    let sourcing = true;
    let failure: Error | undefined;
    try {
      entry.remote.source(this.watch(entry, () => sourcing));
    } catch (cause) {
      failure = new AdapterError('the adapter threw from source', { cause });
    }
    sourcing = false;
    queueMicrotask(() => {
      if (failure !== undefined) this.failPending(entry, failure);
      else if (entry.state === 'pending') this.poll(entry, 'writable');
    });
  }

  private watch(entry: RemoteEntry, sourcing: () => boolean): RemoteWatch {
    return {
      notify: (readiness) => {
        if (sourcing()) return; // the first poll follows on the next microtask
        if (entry.state === 'pending') this.poll(entry, readiness);
        else if (entry.state === 'ready' && readiness === 'writable') this.drained(entry);
      },
      closed: (error) => {
        if (sourcing()) queueMicrotask(() => this.lost(entry, error));
        else this.lost(entry, error);
      },
    };
  }

  private poll(entry: RemoteEntry, readiness: Readiness): void {
    let status: PendingStatus;
    try {
      status = entry.remote.pending(readiness);
    } catch (cause) {
      return this.failPending(entry, new AdapterError('the adapter threw from pending', { cause }));
    }
    if (status === PendingStatus.Ready) this.ready(entry);
    else if (status === PendingStatus.Disconnected) this.failPending(entry, new ConnectError(`connection to ${entry.endpoint.addr} failed`));
  }

  private ready(entry: RemoteEntry): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.state = 'ready';
    if (entry.listenerId === undefined) {
      this.emit({ type: 'connected', endpoint: entry.endpoint, ok: true });
      const waiters = entry.waiters;
      entry.waiters = undefined;
      waiters?.forEach((w) => w.resolve(entry.endpoint));
    } else {
      this.emit({ type: 'accepted', endpoint: entry.endpoint, listenerId: entry.listenerId });
    }
    if (entry.state !== 'ready') return;
    const processData: ProcessData = (data) => {
      if (entry.state === 'ready') this.emit({ type: 'message', endpoint: entry.endpoint, data });
    };
    try {
      entry.remote.receive(processData);
    } catch (cause) {
      return this.lost(entry, new AdapterError('the adapter threw from receive', { cause }));
    }
    if (this.isThrottled()) this.throttle(entry, true);
  }

  /** Stops or restarts reading on a ready connection (the consumer is behind, or caught up). */
  throttle(entry: RemoteEntry, throttled: boolean): void {
    try {
      if (throttled) entry.remote.pauseReceive?.();
      else entry.remote.resumeReceive?.();
    } catch (cause) {
      this.lost(entry, new AdapterError(`the adapter threw from ${throttled ? 'pauseReceive' : 'resumeReceive'}`, { cause }));
    }
  }

  private drained(entry: RemoteEntry): void {
    try {
      entry.remote.readyToWrite?.();
    } catch (cause) {
      return this.lost(entry, new AdapterError('the adapter threw from readyToWrite', { cause }));
    }
    if (entry.backpressured && entry.state === 'ready' && entry.remote.bufferedBytes < entry.cap) {
      entry.backpressured = false;
      this.emit({ type: 'writable', endpoint: entry.endpoint });
    }
  }

  /** The connection ended on its own (peer, error, adapter fault). */
  lost(entry: RemoteEntry, error: Error | undefined): void {
    if (entry.state === 'closed') return;
    if (entry.state === 'pending') {
      const reason = error instanceof MessageIoError ? error : new ConnectError(`connection to ${entry.endpoint.addr} failed`, { cause: error });
      return this.failPending(entry, reason);
    }
    this.closeRemote(entry);
    this.emit(error === undefined ? { type: 'disconnected', endpoint: entry.endpoint } : { type: 'disconnected', endpoint: entry.endpoint, error });
  }

  private failPending(entry: RemoteEntry, error: Error): void {
    if (entry.state !== 'pending') return;
    this.closeRemote(entry);
    this.settleWaiters(entry, error);
    if (entry.listenerId === undefined) this.emit({ type: 'connected', endpoint: entry.endpoint, ok: false, error });
  }

  /** Rejects the `connectAndWait` promises of a connection that will never be ready. */
  settleWaiters(entry: RemoteEntry, error: Error): void {
    const waiters = entry.waiters;
    entry.waiters = undefined;
    waiters?.forEach((w) => w.reject(error));
  }

  /** Closes a connection for good: out of the registry, its timer cleared, `Remote.close` called once. */
  closeRemote(entry: RemoteEntry): void {
    if (entry.state === 'closed') return;
    entry.state = 'closed';
    clearTimeout(entry.timer);
    this.resources.delete(entry.id.id);
    try {
      entry.remote.close();
    } catch {
      // An adapter must not throw from close; the resource is gone either way.
    }
  }
}
