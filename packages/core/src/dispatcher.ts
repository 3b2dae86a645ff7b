import { ListenerInUseError } from './errors.js';
import type { EventQueue } from './event-queue.js';
import type { NodeEvent } from './events.js';
import { Fifo } from './fifo.js';

const SIGNALS_PER_TURN = 1024;

// setImmediate (Node) lets pending I/O run between turns; browsers fall back to setTimeout.
const nodeSetImmediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
const scheduleMacrotask: (fn: () => void) => void =
  typeof nodeSetImmediate === 'function' ? (fn) => void nodeSetImmediate(fn) : (fn) => void setTimeout(fn, 0);

// A copy into a fresh Uint8Array: `data.slice()` would not do, since on a Node Buffer it is a view.
function owned<S>(event: NodeEvent<S>): NodeEvent<S> {
  return event.type === 'message' ? { type: 'message', endpoint: event.endpoint, data: new Uint8Array(event.data) } : event;
}

/**
 * Delivers a node's events to its one consumer (a `forEach` callback or an async iterator), one at
 * a time, never re-entered. Events that cannot be delivered now (no consumer yet, or the callback
 * is running) are stored with their own copy of the data and delivered first, in order.
 */
export class Dispatcher<S> {
  private mode: 'none' | 'callback' | 'iterator' = 'none';
  private callback: ((event: NodeEvent<S>) => void) | undefined;
  private readonly stored = new Fifo<NodeEvent<S>>();
  private dispatching = false;
  private drainScheduled = false;
  private signalTurnScheduled = false;
  private active = true;
  private waiter: ((result: IteratorResult<NodeEvent<S>, undefined>) => void) | undefined;

  constructor(
    private readonly signals: EventQueue<S>,
    private readonly onCallbackError: (error: unknown) => void,
  ) {}

  /** Takes `callback` as the consumer. */
  useCallback(callback: (event: NodeEvent<S>) => void): void {
    this.claim('callback');
    this.callback = callback;
    if (this.stored.size > 0) this.scheduleDrain();
    this.signals.onWake(this.scheduleSignalTurn);
  }

  /** Takes an iterator as the consumer; returns its `next`. */
  useIterator(): () => Promise<IteratorResult<NodeEvent<S>, undefined>> {
    this.claim('iterator');
    this.signals.onWake(this.wakeIterator);
    return () => this.nextForIterator();
  }

  /** Hands an event to the consumer now, or stores it. */
  emit(event: NodeEvent<S>): void {
    if (!this.active) return;
    if (this.mode === 'callback') {
      if (!this.dispatching && this.stored.size === 0) return this.deliver(event);
      this.stored.push(owned(event));
      if (!this.dispatching) this.scheduleDrain();
      return;
    }
    const stored = owned(event);
    if (this.waiter !== undefined && this.stored.size === 0) return this.resolveWaiter(stored);
    this.stored.push(stored);
  }

  /** Ends delivery for good: nothing is delivered afterwards, a waiting iterator ends. */
  close(): void {
    this.active = false;
    this.stored.clear();
    this.callback = undefined;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ done: true, value: undefined });
  }

  private claim(mode: 'callback' | 'iterator'): void {
    if (this.mode !== 'none') {
      throw new ListenerInUseError('this listener already has a consumer: call forEach or iterate it only once');
    }
    this.mode = mode;
  }

  private deliver(first: NodeEvent<S>): void {
    this.dispatching = true;
    try {
      let event: NodeEvent<S> | undefined = first;
      while (event !== undefined && this.active) {
        try {
          this.callback!(event);
        } catch (error) {
          this.onCallbackError(error);
          return;
        }
        event = this.stored.shift();
      }
    } finally {
      this.dispatching = false;
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      if (this.dispatching || !this.active) return;
      const event = this.stored.shift();
      if (event !== undefined) this.deliver(event);
    });
  }

  private readonly scheduleSignalTurn = (): void => {
    if (this.signalTurnScheduled || !this.active) return;
    this.signalTurnScheduled = true;
    scheduleMacrotask(this.signalTurn);
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
    const stored = this.stored.shift();
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
