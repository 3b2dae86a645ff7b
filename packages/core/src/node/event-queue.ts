import { InvalidArgumentError } from '../adapter/errors.js';
import { Fifo } from './fifo.js';
import { TimerHeap } from './timer-heap.js';

/** Identifies a timer made by `sendWithTimer`, for `cancelTimer`. */
export type TimerId = number & { readonly __timerId: true };

/** The sending side of an event queue: what `handler.signals()` returns. */
export interface SignalSender<E> {
  /** Queues `event` after every standard event already queued. */
  send(event: E): void;
  /** Queues `event` ahead of standard events and due timers, after earlier priority events. */
  sendWithPriority(event: E): void;
  /**
   * Queues `event` when `delayMs` milliseconds have passed. Returns an id for `cancelTimer`.
   * @throws InvalidArgumentError when `delayMs` is not a finite number ≥ 0.
   */
  sendWithTimer(event: E, delayMs: number): TimerId;
  /** Cancels a timer that has not fired. Returns false when it fired, was cancelled, or is unknown. */
  cancelTimer(id: TimerId): boolean;
}

const now: () => number = () => performance.now();

/**
 * A queue of events of your own, with priorities and timers. Used by every node for its signals,
 * and usable on its own, without any network.
 *
 * Order of delivery (`tryReceive`, `receive`):
 * 1. priority events, in the order they were sent;
 * 2. then timers that are due, by due time (timers due at the same instant all fire, in the
 *    order they were scheduled);
 * 3. then standard events, in the order they were sent.
 * A cancelled timer never fires. One OS timer serves all pending timers.
 */
export class EventQueue<E> implements SignalSender<E> {
  private readonly priority = new Fifo<E>();
  private readonly standard = new Fifo<E>();
  private readonly timers = new TimerHeap<E>();
  // Pending `receive` calls, in call order. A Set, so that a timed-out call leaves at once.
  private readonly waiters = new Set<() => void>();
  private nextTimerId = 1;
  private armedDue = Infinity;
  private armed: ReturnType<typeof setTimeout> | undefined;
  private wakeListener: (() => void) | undefined;
  private closedFlag = false;

  /** Events ready now plus timers still pending. */
  get size(): number {
    return this.priority.size + this.standard.size + this.timers.size;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.closedFlag;
  }

  send(event: E): void {
    if (this.closedFlag) return;
    this.standard.push(event);
    this.wake();
  }

  sendWithPriority(event: E): void {
    if (this.closedFlag) return;
    this.priority.push(event);
    this.wake();
  }

  sendWithTimer(event: E, delayMs: number): TimerId {
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new InvalidArgumentError(`sendWithTimer needs a finite delay >= 0 in milliseconds, got ${String(delayMs)}`);
    }
    const id = this.nextTimerId++ as TimerId;
    if (this.closedFlag) return id;
    this.timers.schedule(id, now() + delayMs, event);
    this.arm();
    return id;
  }

  cancelTimer(id: TimerId): boolean {
    const cancelled = this.timers.cancel(id);
    if (cancelled && this.timers.size === 0) this.disarm();
    return cancelled;
  }

  /** Takes the next event in delivery order, or `undefined` when none is ready now. */
  tryReceive(): E | undefined {
    if (this.priority.size > 0) return this.priority.shift();
    const timer = this.timers.popDue(now());
    if (timer !== undefined) {
      this.arm();
      return timer.value;
    }
    return this.standard.shift();
  }

  /**
   * Waits for the next event. Resolves with `undefined` after `timeoutMs` (if given) or when the
   * queue is closed.
   * @throws InvalidArgumentError when `timeoutMs` is not a finite number >= 0.
   */
  receive(timeoutMs?: number): Promise<E | undefined> {
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0)) {
      throw new InvalidArgumentError(`receive needs a finite timeout >= 0 in milliseconds, got ${String(timeoutMs)}`);
    }
    const ready = this.tryReceive();
    if (ready !== undefined || this.closedFlag) return Promise.resolve(ready);
    return new Promise((resolve) => {
      let timeout: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      const waiter = (): void => {
        if (done) return;
        // Out of the set while it takes an event: taking a timer may wake the waiters again.
        this.waiters.delete(waiter);
        const event = this.tryReceive();
        if (event === undefined && !this.closedFlag) {
          this.waiters.add(waiter);
          return;
        }
        done = true;
        if (timeout !== undefined) clearTimeout(timeout);
        resolve(event);
      };
      if (timeoutMs !== undefined) {
        timeout = setTimeout(() => {
          done = true;
          this.waiters.delete(waiter);
          resolve(undefined);
        }, timeoutMs);
      }
      this.waiters.add(waiter);
    });
  }

  /**
   * Registers the one function called whenever an event may have become ready (sent, or a timer
   * due). Used by a node to schedule its delivery; `undefined` unregisters.
   */
  onWake(listener: (() => void) | undefined): void {
    this.wakeListener = listener;
    if (listener !== undefined && this.hasReady()) listener();
  }

  /** Drops every queued event and pending timer; later sends are ignored. Pending `receive` calls resolve with `undefined`. */
  close(): void {
    this.closedFlag = true;
    this.priority.clear();
    this.standard.clear();
    this.timers.clear();
    this.disarm();
    this.wakeListener = undefined;
    for (const waiter of [...this.waiters]) waiter();
  }

  private hasReady(): boolean {
    if (this.priority.size > 0 || this.standard.size > 0) return true;
    const due = this.timers.peekDue();
    return due !== undefined && due <= now();
  }

  private wake(): void {
    if (this.waiters.size > 0) for (const waiter of [...this.waiters]) waiter();
    this.wakeListener?.();
  }

  private arm(): void {
    const due = this.timers.peekDue();
    if (due === undefined) return this.disarm();
    const delay = due - now();
    if (delay <= 0) {
      this.disarm();
      this.wake();
      return;
    }
    if (this.armed !== undefined && this.armedDue <= due) return;
    this.disarm();
    this.armedDue = due;
    this.armed = setTimeout(this.fire, Math.ceil(delay));
  }

  private disarm(): void {
    if (this.armed !== undefined) clearTimeout(this.armed);
    this.armed = undefined;
    this.armedDue = Infinity;
  }

  private readonly fire = (): void => {
    this.armed = undefined;
    this.armedDue = Infinity;
    this.arm();
  };
}
