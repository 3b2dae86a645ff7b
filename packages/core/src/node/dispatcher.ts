import { BorrowedBytes } from '../adapter/borrowed.js';
import { ListenerInUseError } from '../adapter/errors.js';
import type { EventQueue } from './event-queue.js';
import type { NodeEvent } from './events.js';
import type { ResourceId } from '../network/resource-id.js';
import { Fifo } from './fifo.js';
import { later } from '../adapter/later.js';

const SIGNALS_PER_TURN = 1024;

/**
 * What one stored event is counted as, on top of its message bytes: about what it costs the heap
 * (the event object, its slot in the queue and, for a message, the view of its bytes). Without
 * it, empty or one-byte messages would cost nothing against `maxStoredBytes`, and a peer could
 * make a node store millions of them.
 */
export const STORED_EVENT_COST = 256;

const sizeOf = <S>(event: NodeEvent<S>): number => (event.type === 'message' ? STORED_EVENT_COST + event.data.byteLength : STORED_EVENT_COST);

/**
 * The event as it may be kept: a message whose bytes are lent ({@link BorrowedBytes}) gets a copy of
 * its own (a fresh Uint8Array: `data.slice()` would not do, since on a Node Buffer it is a view);
 * every other message already owns its bytes.
 */
function owned<S>(event: NodeEvent<S>): NodeEvent<S> {
  return event.type === 'message' && event.data instanceof BorrowedBytes ? { ...event, data: new Uint8Array(event.data) } : event;
}

/** What a `forEach` callback may return: nothing, or a promise the next event waits for. */
export type CallbackResult = void | PromiseLike<unknown>;

/**
 * The check of lent bytes (`checkBorrowed`): a message lent by its adapter is handed to the
 * callback as a copy whose memory is detached once the callback returns, so that any later use
 * reads zero bytes or throws a `TypeError` ("detached ArrayBuffer") instead of reading bytes that
 * a later read has overwritten.
 */
function checkedCopy(data: BorrowedBytes): BorrowedBytes {
  const copy = new BorrowedBytes(data.byteLength);
  copy.set(data);
  return copy;
}

function detach(data: Uint8Array): void {
  if (data.byteLength > 0) structuredClone(data.buffer, { transfer: [data.buffer as ArrayBuffer] });
}

/** The dispatcher's consumer: none yet, a `forEach` callback, or an async iterator. */
const NO_CONSUMER = 0;
const CALLBACK = 1;
const ITERATOR = 2;
type Consumer = typeof NO_CONSUMER | typeof CALLBACK | typeof ITERATOR;

/**
 * Delivers a node's events to its one consumer (a `forEach` callback or an async iterator), one at
 * a time, never re-entered. Events that cannot be delivered now (no consumer yet, or the callback
 * is running) are stored with their own copy of the data and delivered first, in order.
 */
export class Dispatcher<S> {
  private mode: Consumer = NO_CONSUMER;
  private callback: ((event: NodeEvent<S>) => CallbackResult) | undefined;
  private readonly stored = new Fifo<NodeEvent<S>>();
  private dispatching = false;
  private drainScheduled = false;
  private signalTurnScheduled = false;
  private active = true;
  private waiter: ((result: IteratorResult<NodeEvent<S>, undefined>) => void) | undefined;
  private storedBytes = 0;
  private throttled = false;

  /**
   * `maxStoredBytes` bounds what is kept for a consumer that is not taking them (no consumer
   * yet, a slow iterator, or a callback whose promise is pending), each event counted as its
   * message bytes plus {@link STORED_EVENT_COST}: past it
   * `onThrottle(true)` asks the network to stop reading, and below half of it `onThrottle(false)`
   * lets it read again. `checkBorrowed` turns on the check of lent bytes ({@link checkedCopy}).
   */
  constructor(
    private readonly signals: EventQueue<S>,
    private readonly onCallbackError: (error: unknown) => void,
    private readonly maxStoredBytes: number,
    private readonly onThrottle: (throttled: boolean) => void,
    private readonly checkBorrowed = false,
  ) {}

  /**
   * Takes `callback` as the consumer. When it returns a promise, the next event waits until the
   * promise settles (events meanwhile are stored, as for a slow iterator); a rejection is handled
   * as a throw.
   */
  useCallback(callback: (event: NodeEvent<S>) => CallbackResult): void {
    this.claim(CALLBACK);
    this.callback = callback;
    if (this.stored.size > 0) this.scheduleDrain();
    this.signals.onWake(this.scheduleSignalTurn);
  }

  /** Takes an iterator as the consumer; returns its `next`. */
  useIterator(): () => Promise<IteratorResult<NodeEvent<S>, undefined>> {
    this.claim(ITERATOR);
    this.signals.onWake(this.wakeIterator);
    return () => this.nextForIterator();
  }

  /** Hands an event to the consumer now, or stores it. */
  emit(event: NodeEvent<S>): void {
    if (!this.active) return;
    if (this.mode === CALLBACK) {
      if (!this.dispatching && this.stored.size === 0) return this.deliver(event);
      this.store(owned(event));
      if (!this.dispatching) this.scheduleDrain();
      return;
    }
    const stored = owned(event);
    if (this.waiter !== undefined && this.stored.size === 0) return this.resolveWaiter(stored);
    this.store(stored);
  }

  /**
   * Drops the stored events of resource `id` (a connection, or a listener's datagrams), so that
   * nothing of it is delivered after `remove(id)`, whichever the consumer and however far behind.
   */
  forget(id: ResourceId): void {
    if (this.stored.size === 0) return;
    const dropped = this.stored.removeWhere((event) => event.type !== 'signal' && event.endpoint.resourceId.id === id.id);
    for (const event of dropped) this.storedBytes -= sizeOf(event);
    if (dropped.length > 0 && this.throttled && this.storedBytes <= this.maxStoredBytes / 2) {
      this.throttled = false;
      if (this.active) this.onThrottle(false);
    }
  }

  /** The events stored for the consumer now, and their bytes as `maxStoredBytes` counts them. */
  storedLoad(): { readonly bytes: number; readonly events: number } {
    return { bytes: this.storedBytes, events: this.stored.size };
  }

  /** True while stored events are over `maxStoredBytes` and the network should not read. */
  get isThrottled(): boolean {
    return this.throttled;
  }

  /** Ends delivery for good: nothing is delivered afterwards, a waiting iterator ends. */
  close(): void {
    this.active = false;
    this.stored.clear();
    this.storedBytes = 0;
    this.callback = undefined;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ done: true, value: undefined });
  }

  private claim(mode: typeof CALLBACK | typeof ITERATOR): void {
    if (this.mode !== NO_CONSUMER) {
      throw new ListenerInUseError('this listener already has a consumer: call forEach or iterate it only once');
    }
    this.mode = mode;
  }

  private store(event: NodeEvent<S>): void {
    this.stored.push(event);
    this.storedBytes += sizeOf(event);
    if (!this.throttled && this.storedBytes > this.maxStoredBytes) {
      this.throttled = true;
      this.onThrottle(true);
    }
  }

  private take(): NodeEvent<S> | undefined {
    const event = this.stored.shift();
    if (event === undefined) return undefined;
    this.storedBytes -= sizeOf(event);
    if (this.throttled && this.storedBytes <= this.maxStoredBytes / 2) {
      this.throttled = false;
      if (this.active) this.onThrottle(false);
    }
    return event;
  }

  private deliver(first: NodeEvent<S>): void {
    this.dispatching = true;
    let waiting = false;
    try {
      let event: NodeEvent<S> | undefined = first;
      while (event !== undefined && this.active) {
        let result: CallbackResult;
        try {
          result = this.checkBorrowed ? this.callChecked(event) : this.callback!(event);
        } catch (error) {
          this.onCallbackError(error);
          return;
        }
        if (result !== undefined && typeof (result as PromiseLike<unknown>).then === 'function') {
          waiting = true;
          (result as PromiseLike<unknown>).then(this.resumeAfterPromise, this.failFromPromise);
          return;
        }
        event = this.take();
      }
    } finally {
      if (!waiting) this.dispatching = false;
    }
  }

  private callChecked(event: NodeEvent<S>): CallbackResult {
    if (event.type !== 'message' || !(event.data instanceof BorrowedBytes)) return this.callback!(event);
    const data = checkedCopy(event.data);
    try {
      return this.callback!({ type: 'message', endpoint: event.endpoint, data });
    } finally {
      detach(data);
    }
  }

  /** The callback's promise fulfilled: deliver what was stored meanwhile. */
  private readonly resumeAfterPromise = (): void => {
    this.dispatching = false;
    if (!this.active) return;
    const event = this.take();
    if (event !== undefined) this.deliver(event);
  };

  /** The callback's promise rejected: as a throw (the node stops, `forEach` rejects). */
  private readonly failFromPromise = (error: unknown): void => {
    this.dispatching = false;
    if (this.active) this.onCallbackError(error);
  };

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      if (this.dispatching || !this.active) return;
      const event = this.take();
      if (event !== undefined) this.deliver(event);
    });
  }

  private readonly scheduleSignalTurn = (): void => {
    if (this.signalTurnScheduled || !this.active) return;
    this.signalTurnScheduled = true;
    later(this.signalTurn);
  };

  private readonly signalTurn = (): void => {
    this.signalTurnScheduled = false;
    for (let i = 0; i < SIGNALS_PER_TURN && this.active; i++) {
      const signal = this.signals.tryReceive();
      if (signal === undefined) return;
      this.emit({ type: 'signal', signal });
    }
    if (this.active) this.scheduleSignalTurn();
  };

  private nextForIterator(): Promise<IteratorResult<NodeEvent<S>, undefined>> {
    const stored = this.take();
    if (stored !== undefined) return Promise.resolve({ done: false, value: stored });
    if (!this.active) return Promise.resolve({ done: true, value: undefined });
    const signal = this.signals.tryReceive();
    if (signal !== undefined) return Promise.resolve({ done: false, value: { type: 'signal', signal } });
    if (this.waiter !== undefined) throw new ListenerInUseError('call next() again only after the previous call settled');
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  private readonly wakeIterator = (): void => {
    if (this.waiter === undefined) return;
    const signal = this.signals.tryReceive();
    if (signal !== undefined) this.resolveWaiter({ type: 'signal', signal });
  };

  private resolveWaiter(event: NodeEvent<S>): void {
    const waiter = this.waiter!;
    this.waiter = undefined;
    waiter({ done: false, value: event });
  }
}
