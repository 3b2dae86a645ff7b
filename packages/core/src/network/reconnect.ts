import type { Remote } from '../adapter/adapter.js';
import type { ResolvedReconnectPolicy } from '../adapter/options.js';
import { PendingStatus, SendStatus } from '../adapter/status.js';

/**
 * What the core keeps about a connection made with the `reconnect` option, for as long as it may
 * be made again: the way to dial it, its policy and where the current outage stands. One per
 * such connection (none for the others), kept by its `Connections` under the endpoint's id.
 */
export class Reconnection {
  /** Retries started since the connection was last ready (or since it was first made). */
  attempt = 0;
  /** When the current outage began (`Date.now()`), `undefined` while the connection is ready. */
  since: number | undefined = undefined;
  /** True once the connection was ready: giving up then emits `disconnected`, not `connected`. */
  everReady = false;
  /** The timer of the next retry, while one is due. */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;

  /** `dial` calls the adapter's `connect` again, with the address and options of the first call. */
  constructor(
    readonly policy: ResolvedReconnectPolicy,
    readonly connectTimeout: number,
    readonly dial: () => Remote,
  ) {}

  /**
   * Starts the next retry's count and returns its delay in milliseconds, or `undefined` when the
   * policy says to give up (`maxAttempts` reached, or the delay would end past `maxTime`).
   */
  next(now: number, random: number): number | undefined {
    const { initialDelay, maxDelay, jitter, maxAttempts, maxTime } = this.policy;
    this.since ??= now;
    if (this.attempt >= maxAttempts) return undefined;
    const full = Math.min(maxDelay, initialDelay * 2 ** Math.min(this.attempt, 52));
    const delay = Math.round(full - full * jitter * random);
    if (now - this.since + delay > maxTime) return undefined;
    this.attempt++;
    return delay;
  }

  /** The connection is ready: the next outage starts counting from zero. */
  ready(): void {
    this.attempt = 0;
    this.since = undefined;
    this.everReady = true;
  }

  /** Stops the retry that is due, if any. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * The Remote of a connection waiting for its next retry: nothing to send to, nothing to read,
 * never ready by itself. It holds the connection's place in the registry so that its endpoint
 * stays known (`send` answers `ResourceNotAvailable`, `isReady` false) until the retry.
 */
export const WAITING_REMOTE: Remote = Object.freeze({
  source: () => undefined,
  pending: () => PendingStatus.Incomplete,
  receive: () => undefined,
  send: () => SendStatus.ResourceNotAvailable,
  bufferedBytes: 0,
  close: () => undefined,
});
