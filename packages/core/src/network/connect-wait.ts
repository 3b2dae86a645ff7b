import { ConnectAbortedError, InvalidArgumentError, InvalidOptionError } from '../adapter/errors.js';
import { optionReader, refuseUnknownOptions } from '../adapter/options.js';

/** How `connectAndWait` waits: its fourth argument, apart from the transport's own options. */
export interface ConnectWaitOptions {
  /**
   * Gives up when this signal aborts: the connection is removed, no `connected` event follows for
   * it, and the promise rejects with `ConnectAbortedError` whose `cause` is the signal's `reason`.
   * A signal that is already aborted rejects at once, before anything is connected. For a deadline,
   * use the `connectTimeout` option, or `AbortSignal.timeout(ms)` here.
   */
  readonly signal?: AbortSignal;
}

const WAIT_KEYS = { signal: true } as const;

function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof value !== 'object' || value === null) return false;
  const signal = value as Partial<AbortSignal>;
  return typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function' && typeof signal.removeEventListener === 'function';
}

/**
 * Checks the wait options of `connectAndWait` and returns their signal.
 * @throws InvalidArgumentError when they are not an object or `signal` is not an AbortSignal;
 *   InvalidOptionError for a key they do not have (`timeout`: use `connectTimeout`);
 *   ConnectAbortedError when the signal is already aborted.
 */
export function waitSignal(wait: ConnectWaitOptions | undefined): AbortSignal | undefined {
  if (wait === undefined) return undefined;
  if (typeof wait !== 'object' || wait === null || Array.isArray(wait)) {
    throw new InvalidArgumentError(`connectAndWait takes its wait options as an object, got ${wait === null ? 'null' : typeof wait}`);
  }
  if (optionReader.own(wait, 'timeout') !== undefined) {
    throw new InvalidOptionError('connectAndWait takes no timeout: give the connectTimeout option (third argument), or signal: AbortSignal.timeout(ms)');
  }
  refuseUnknownOptions(wait, WAIT_KEYS, 'connectAndWait');
  const signal = optionReader.own(wait, 'signal');
  if (signal === undefined) return undefined;
  if (!isAbortSignal(signal)) throw new InvalidArgumentError('connectAndWait: signal must be an AbortSignal');
  if (signal.aborted) throw new ConnectAbortedError('connectAndWait was aborted before it started: its signal was already aborted', { cause: signal.reason });
  return signal;
}
