import type { Readiness, Remote, RemoteWatch } from './adapter.js';
import type { Endpoint } from './endpoint.js';
import { AdapterError, ConnectError, ConnectTimeoutError, MessageIoError } from './errors.js';
import type { NetEvent } from './events.js';
import { PendingStatus } from './status.js';
import type { ResourceId } from './resource-id.js';

/**
 * The core's record of one connection. It is also the watch given to the adapter's `source`
 * (one object per connection, no closures), and its bound `deliver` is the `processData` given to
 * `receive`.
 */
export class RemoteEntry implements RemoteWatch {
  /** Where the connection is in its life. */
  state: 'pending' | 'ready' | 'closed' = 'pending';
  /** A send was refused for backpressure: `writable` is due once it drains. */
  backpressured = false;
  /** The connect timeout, armed only while the connection stays pending after its first poll. */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** The `connectAndWait` promises waiting for this connection. */
  waiters: { resolve: (endpoint: Endpoint) => void; reject: (error: Error) => void }[] | undefined = undefined;
  /** True while the adapter's `source` runs: the watch waits for the first poll then. */
  sourcing = false;
  /** Largest message sent, or `undefined` for no limit (kept so: `Infinity` would cost a boxed number per entry). */
  readonly maxMessageSize: number | undefined;

  /** Made by the NetworkController when it registers a connection. */
  constructor(
    private readonly connections: Connections,
    readonly endpoint: Endpoint,
    readonly remote: Remote,
    readonly listenerId: ResourceId | undefined,
    readonly cap: number,
    maxMessageSize: number,
  ) {
    this.maxMessageSize = maxMessageSize === Infinity ? undefined : maxMessageSize;
  }

  // Getters, not fields: nothing more to store per connection.

  /** Tells registry entries apart: this one is a connection. */
  get kind(): 'remote' {
    return 'remote';
  }

  /** The connection's id (its endpoint's). */
  get id(): ResourceId {
    return this.endpoint.resourceId;
  }

  /** RemoteWatch: polls a pending connection, or reports a drain on a ready one. */
  notify(readiness: Readiness): void {
    if (this.sourcing) return; // the first poll follows on the next microtask
    if (this.state === 'pending') this.connections.poll(this, readiness);
    else if (this.state === 'ready' && readiness === 'writable') this.connections.drained(this);
  }

  /** RemoteWatch: the connection is gone. */
  closed(error?: Error): void {
    if (this.sourcing) queueMicrotask(() => this.connections.lost(this, error));
    else this.connections.lost(this, error);
  }

  /** The `processData` of this connection (bound to it): emits each message while it is ready. */
  deliver(data: Uint8Array): void {
    if (this.state === 'ready') this.connections.emit({ type: 'message', endpoint: this.endpoint, data });
  }
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
  /** `emit` hands events to the node's dispatcher. */
  constructor(
    readonly emit: (event: NetEvent) => void,
    private readonly resources: Map<number, unknown>,
    private readonly isThrottled: () => boolean,
  ) {}

  /**
   * Wires a new connection (#1 `source`) and asks `pending` on the next microtask; arms its
   * connect timeout if it is still pending then (an accepted connection is usually ready at once).
   */
  start(entry: RemoteEntry, connectTimeout: number): void {
    // Whatever happens during source() is handled on the next microtask, so that connect() returns
    // before any event about the connection.
    let failure: Error | undefined;
    entry.sourcing = true;
    try {
      entry.remote.source(entry);
    } catch (cause) {
      failure = new AdapterError('the adapter threw from source', { cause });
    }
    entry.sourcing = false;
    queueMicrotask(() => {
      if (failure !== undefined) this.failPending(entry, failure);
      else if (entry.state === 'pending') {
        this.poll(entry, 'writable');
        if (entry.state === 'pending') this.armTimeout(entry, connectTimeout);
      }
    });
  }

  private armTimeout(entry: RemoteEntry, connectTimeout: number): void {
    entry.timer = setTimeout(() => {
      this.failPending(entry, new ConnectTimeoutError(`not ready within ${connectTimeout} ms: ${entry.endpoint.addr}`));
    }, connectTimeout);
    unrefTimer(entry.timer);
  }

  /** Asks `pending` about a pending connection and acts on the answer. */
  poll(entry: RemoteEntry, readiness: Readiness): void {
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
    try {
      entry.remote.receive(entry.deliver.bind(entry));
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

  /** A ready connection drained: `readyToWrite`, then `writable` if a send was refused. */
  drained(entry: RemoteEntry): void {
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
