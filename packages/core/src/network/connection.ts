import type { Readiness, Remote, RemoteWatch } from '../adapter/adapter.js';
import type { Endpoint } from './endpoint.js';
import { connectFailureReason } from './connect-failure.js';
import { AdapterError, ConnectError, ConnectTimeoutError, MessageIoError, ReconnectFailedError } from '../adapter/errors.js';
import type { NetEvent } from '../node/events.js';
import { PendingStatus } from '../adapter/status.js';
import type { ResourceId } from './resource-id.js';
import { WAITING_REMOTE, type Reconnection } from './reconnect.js';
import { diagnostics, publishDisconnect } from './diagnostics.js';
import type { Counters } from './stats.js';

/** A `connectAndWait` promise waiting for a connection. */
interface Waiter {
  resolve(endpoint: Endpoint): void;
  reject(error: Error): void;
}

/** What only a pending connection may need: kept by its Connections while it holds something. */
interface PendingExtras {
  timer: ReturnType<typeof setTimeout> | undefined;
  waiters: Waiter[] | undefined;
}

/**
 * Settings shared by many connections (those of one listener, or the node's outgoing ones with
 * the same settings), kept once rather than in each {@link RemoteEntry}.
 */
export class RemoteGroup {
  /** Largest message sent, or `undefined` for no limit (kept so: `Infinity` would cost a boxed number). */
  readonly maxMessageSize: number | undefined;

  /**
   * `maxMessageSize` is `Infinity` for no limit; `counters` are those of the listener that accepted
   * the connections, or the node's for its outgoing ones (they count the open connections, which
   * `maxConnections` is held against).
   */
  constructor(
    readonly connections: Connections,
    readonly listenerId: ResourceId | undefined,
    readonly cap: number,
    maxMessageSize: number,
    readonly counters: Counters,
  ) {
    this.maxMessageSize = maxMessageSize === Infinity ? undefined : maxMessageSize;
  }

  /** True when a connection with these settings can share this group. */
  fits(cap: number, maxMessageSize: number): boolean {
    return this.cap === cap && this.maxMessageSize === (maxMessageSize === Infinity ? undefined : maxMessageSize);
  }
}

/** A connection's state: connecting or waiting for `receive`. */
export const PENDING = 0;
/** Open: messages flow and sends go out. */
export const READY = 1;
/** Closed for good. */
export const CLOSED = 2;
/** Where a connection is in its life (its number, as every state machine here: docs/contributing.md). */
export type ConnectionState = typeof PENDING | typeof READY | typeof CLOSED;
// Unlike the other state machines, the state is not a field of its own: it is packed into the two
// low bits of `bits` with the flags below, one field for them all (memory per connection).
const STATE_MASK = 3;
const BACKPRESSURED = 4;
const SOURCING = 8;

/**
 * The core's record of one connection. It is also the watch given to the adapter's `source`
 * (one object per connection, no closures: the adapter reports messages through its `received`).
 * It keeps four fields (memory per connection is a performance target): its flags,
 * its shared {@link RemoteGroup}, its endpoint and its Remote.
 */
export class RemoteEntry implements RemoteWatch {
  /** The state (bits 0-1: PENDING, READY or CLOSED) and the BACKPRESSURED and SOURCING flags. */
  private bits = 0;

  /** Made by the NetworkController when it registers a connection. */
  constructor(
    readonly group: RemoteGroup,
    readonly endpoint: Endpoint,
    readonly remote: Remote,
  ) {}

  /** Where the connection is in its life. */
  get state(): ConnectionState {
    return (this.bits & STATE_MASK) as ConnectionState;
  }
  set state(state: ConnectionState) {
    this.bits = (this.bits & ~STATE_MASK) | state;
  }

  /** A send was refused for backpressure: `writable` is due once it drains. */
  get backpressured(): boolean {
    return (this.bits & BACKPRESSURED) !== 0;
  }
  set backpressured(on: boolean) {
    this.bits = on ? this.bits | BACKPRESSURED : this.bits & ~BACKPRESSURED;
  }

  /** True while the adapter's `source` runs: the watch waits for the first poll then. */
  get sourcing(): boolean {
    return (this.bits & SOURCING) !== 0;
  }
  set sourcing(on: boolean) {
    this.bits = on ? this.bits | SOURCING : this.bits & ~SOURCING;
  }

  /** The connect timeout, armed only while the connection stays pending after its first poll. */
  get timer(): ReturnType<typeof setTimeout> | undefined {
    return this.group.connections.extras.get(this)?.timer;
  }
  set timer(timer: ReturnType<typeof setTimeout> | undefined) {
    this.setExtras(timer, this.waiters);
  }

  /** The `connectAndWait` promises waiting for this connection. */
  get waiters(): Waiter[] | undefined {
    return this.group.connections.extras.get(this)?.waiters;
  }
  set waiters(waiters: Waiter[] | undefined) {
    this.setExtras(this.timer, waiters);
  }

  /** Keeps the extras only while they hold something. */
  private setExtras(timer: ReturnType<typeof setTimeout> | undefined, waiters: Waiter[] | undefined): void {
    const extras = this.group.connections.extras;
    if (timer === undefined && waiters === undefined) extras.delete(this);
    else extras.set(this, { timer, waiters });
  }

  /** The listener that accepted the connection; `undefined` for an outgoing one. */
  get listenerId(): ResourceId | undefined {
    return this.group.listenerId;
  }

  /** Cap on the connection's unsent bytes. */
  get cap(): number {
    return this.group.cap;
  }

  /** Largest message sent, or `undefined` for no limit. */
  get maxMessageSize(): number | undefined {
    return this.group.maxMessageSize;
  }

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
    if (this.state === PENDING) this.group.connections.poll(this, readiness);
    else if (this.state === READY && readiness === 'writable') this.group.connections.drained(this);
  }

  /** RemoteWatch: the connection is gone. */
  closed(error?: Error): void {
    if (this.sourcing) queueMicrotask(() => this.group.connections.lost(this, error));
    else this.group.connections.lost(this, error);
  }

  /** RemoteWatch: emits each received message (a text one flagged) while the connection is ready; false once the node is throttled. */
  received(data: Uint8Array, text?: boolean): boolean {
    const group = this.group;
    const connections = group.connections;
    if (this.state === READY) {
      const counters = group.counters;
      counters.messagesIn++;
      // `length`, not `byteLength`: the same for a Uint8Array, and V8 (Node 20) reads it several
      // times faster on this path (measured: about 20 ns a message saved).
      counters.bytesIn += data.length;
      if (text === true) connections.emit({ type: 'message', endpoint: this.endpoint, data, text: true });
      else connections.emit({ type: 'message', endpoint: this.endpoint, data });
    }
    return !connections.throttled;
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
  /** The connect timers and waiters of pending connections (none once a connection is ready or closed). */
  readonly extras: Map<RemoteEntry, PendingExtras> = new Map();

  /** True while the node's consumer is behind (set by the NetworkController): connections do not read. */
  throttled = false;

  /** The connections made with the `reconnect` option, by endpoint id, for as long as they may come back. */
  private readonly reconnections = new Map<number, Reconnection>();

  /** `emit` hands events to the node's dispatcher. */
  constructor(
    readonly emit: (event: NetEvent) => void,
    private readonly resources: Map<number, unknown>,
  ) {}

  /** Makes `entry`, a connection just made with `connect`, come back after a loss as `reconnection` says. */
  reconnects(entry: RemoteEntry, reconnection: Reconnection): void {
    this.reconnections.set(entry.id.id, reconnection);
  }

  /** Closes a connection for the user (`remove`, `stop`, an aborted wait): no retry follows. */
  close(entry: RemoteEntry): void {
    const reconnection = this.reconnections.get(entry.id.id);
    if (reconnection !== undefined) {
      reconnection.cancel();
      this.reconnections.delete(entry.id.id);
    }
    this.closeRemote(entry);
  }

  /**
   * Wires a new connection (#1 `source`) and asks `pending` on the next microtask; arms its
   * connect timeout if it is still pending then (an accepted connection is usually ready at once).
   */
  start(entry: RemoteEntry, connectTimeout: number): void {
    // Whatever happens during source() is handled on the next microtask, so that connect() returns
    // before any event about the connection.
    let failure: Error | undefined;
    entry.group.counters.connections++;
    entry.sourcing = true;
    try {
      entry.remote.source(entry);
    } catch (cause) {
      failure = new AdapterError('the adapter threw from source', { cause });
    }
    entry.sourcing = false;
    queueMicrotask(() => {
      if (failure !== undefined) this.failPending(entry, failure);
      else if (entry.state === PENDING) {
        this.poll(entry, 'writable');
        if (entry.state === PENDING) this.armTimeout(entry, connectTimeout);
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
    else if (status === PendingStatus.Disconnected) {
      this.failPending(entry, new ConnectError(`connection to ${entry.endpoint.addr} failed: it closed before it was ready`));
    }
  }

  private ready(entry: RemoteEntry): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.state = READY;
    if (entry.listenerId === undefined) {
      const reconnection = this.reconnections.get(entry.id.id);
      if (reconnection?.everReady === true) this.emit({ type: 'connected', endpoint: entry.endpoint, ok: true, reconnected: true });
      else this.emit({ type: 'connected', endpoint: entry.endpoint, ok: true });
      reconnection?.ready();
      const waiters = entry.waiters;
      entry.waiters = undefined;
      waiters?.forEach((w) => w.resolve(entry.endpoint));
    } else {
      this.emit({ type: 'accepted', endpoint: entry.endpoint, listenerId: entry.listenerId });
      const channel = diagnostics.accept;
      if (channel?.hasSubscribers === true) channel.publish({ endpoint: entry.endpoint, listenerId: entry.listenerId });
    }
    if (entry.state !== READY) return;
    try {
      entry.remote.receive();
    } catch (cause) {
      return this.lost(entry, new AdapterError('the adapter threw from receive', { cause }));
    }
    if (this.throttled) this.throttle(entry, true);
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
    if (entry.backpressured && entry.state === READY && entry.remote.bufferedBytes < entry.cap) {
      entry.backpressured = false;
      this.emit({ type: 'writable', endpoint: entry.endpoint });
      const channel = diagnostics.backpressure;
      if (channel?.hasSubscribers === true) channel.publish({ endpoint: entry.endpoint, state: 'writable', bufferedBytes: entry.remote.bufferedBytes });
    }
  }

  /** The connection ended on its own (peer, error, adapter fault). */
  lost(entry: RemoteEntry, error: Error | undefined): void {
    if (entry.state === CLOSED) return;
    if (entry.state === PENDING) {
      const reason =
        error instanceof MessageIoError
          ? error
          : new ConnectError(`connection to ${entry.endpoint.addr} failed: ${connectFailureReason(error)}`, { cause: error });
      return this.failPending(entry, reason);
    }
    this.closeRemote(entry);
    publishDisconnect(entry.endpoint, error === undefined ? 'closed' : 'error', error);
    const reconnection = this.reconnections.get(entry.id.id);
    if (reconnection !== undefined) return this.retry(entry, reconnection, error);
    this.emit(error === undefined ? { type: 'disconnected', endpoint: entry.endpoint } : { type: 'disconnected', endpoint: entry.endpoint, error });
  }

  private failPending(entry: RemoteEntry, error: Error): void {
    if (entry.state !== PENDING) return;
    this.closeRemote(entry);
    publishDisconnect(entry.endpoint, 'failed', error);
    const reconnection = entry.listenerId === undefined ? this.reconnections.get(entry.id.id) : undefined;
    if (reconnection !== undefined) return this.retry(entry, reconnection, error);
    this.settleWaiters(entry, error);
    if (entry.listenerId === undefined) this.emit({ type: 'connected', endpoint: entry.endpoint, ok: false, error });
  }

  /**
   * `entry` (closed) was lost or failed and has a reconnection: a waiting entry takes its place in
   * the registry until the retry is due, and `reconnecting` is emitted; or, when the policy says
   * so, the node gives up with `disconnected` or `connected` (`ok: false`).
   */
  private retry(entry: RemoteEntry, reconnection: Reconnection, error: Error | undefined): void {
    const delay = reconnection.next(Date.now(), Math.random());
    if (delay === undefined) return this.giveUp(entry, reconnection, error);
    const waiting = new RemoteEntry(entry.group, entry.endpoint, WAITING_REMOTE);
    waiting.waiters = entry.waiters;
    entry.waiters = undefined;
    this.resources.set(entry.id.id, waiting);
    reconnection.timer = setTimeout(() => this.redial(waiting, reconnection), delay);
    const attempt = reconnection.attempt;
    const event = { type: 'reconnecting', endpoint: entry.endpoint, attempt, delay } as const;
    this.emit(error === undefined ? event : { ...event, error });
  }

  /** The retry is due: the adapter's `connect` again, its Remote in place of the waiting entry. */
  private redial(waiting: RemoteEntry, reconnection: Reconnection): void {
    reconnection.timer = undefined;
    if (waiting.state !== PENDING || this.resources.get(waiting.id.id) !== waiting) return;
    let remote: Remote;
    try {
      remote = reconnection.dial();
    } catch (cause) {
      const error =
        cause instanceof MessageIoError ? cause : new ConnectError(`connection to ${waiting.endpoint.addr} failed: ${connectFailureReason(cause)}`, { cause });
      return this.failPending(waiting, error);
    }
    const entry = new RemoteEntry(waiting.group, waiting.endpoint, remote);
    entry.waiters = waiting.waiters;
    waiting.waiters = undefined;
    waiting.state = CLOSED;
    this.resources.set(entry.id.id, entry);
    this.start(entry, reconnection.connectTimeout);
  }

  /** The policy ran out: the connection is gone for good, with a {@link ReconnectFailedError}. */
  private giveUp(entry: RemoteEntry, reconnection: Reconnection, error: Error | undefined): void {
    this.reconnections.delete(entry.id.id);
    const tries = reconnection.attempt;
    const reason = error === undefined ? 'the peer closed the connection' : error.message;
    const message = `gave up reconnecting to ${entry.endpoint.addr} after ${tries} ${tries === 1 ? 'retry' : 'retries'}: ${reason}`;
    const failure = new ReconnectFailedError(message, { cause: error });
    if (reconnection.everReady) return this.emit({ type: 'disconnected', endpoint: entry.endpoint, error: failure });
    this.settleWaiters(entry, failure);
    this.emit({ type: 'connected', endpoint: entry.endpoint, ok: false, error: failure });
  }

  /**
   * Rejects the `connectAndWait` promises of a connection that will never be ready with `error`, or
   * with what `error()` makes: made only when a promise waits (an Error costs its stack trace).
   */
  settleWaiters(entry: RemoteEntry, error: Error | (() => Error)): void {
    const waiters = entry.waiters;
    if (waiters === undefined) return;
    entry.waiters = undefined;
    const reason = typeof error === 'function' ? error() : error;
    for (const waiter of waiters) waiter.reject(reason);
  }

  /** Closes a connection for good: out of the registry, its timer cleared, `Remote.close` called once. */
  closeRemote(entry: RemoteEntry): void {
    if (entry.state === CLOSED) return;
    entry.state = CLOSED;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    this.resources.delete(entry.id.id);
    // A waiting entry (between two attempts of a reconnection) was never started, so never counted.
    if (entry.remote !== WAITING_REMOTE) entry.group.counters.connections--;
    try {
      entry.remote.close();
    } catch {
      // An adapter must not throw from close; the resource is gone either way.
    }
  }
}
