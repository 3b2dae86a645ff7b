import { InvalidOptionError } from './errors.js';
import type { RemoteContext } from './adapter.js';
import type { ConnectionLimitOptions, ConnectOptions, ListenOptions, ReconnectOptions } from './transport.js';

/** Default cap on unsent bytes per connection: 16 MiB. */
export const DEFAULT_MAX_BUFFERED_BYTES: number = 16 * 1024 * 1024;
/** Default bound on message bytes a node stores for a consumer that is behind: 16 MiB. */
export const DEFAULT_MAX_STORED_BYTES: number = 16 * 1024 * 1024;
/** Default time a connection may take to become ready: 30 s. */
export const DEFAULT_CONNECT_TIMEOUT: number = 30_000;
/** Default time `remove()`/`stop()` may spend flushing a connection: 1 s. */
export const DEFAULT_LINGER: number = 1_000;

/** The core's share of a connection's options, resolved to values. */
export interface ResolvedCommonOptions extends RemoteContext {
  readonly connectTimeout: number;
}

/** The core's share of a listener's options, resolved: those of its connections, and its limit. */
export interface ResolvedListenOptions extends ResolvedCommonOptions {
  /** `maxConnections`, or `Infinity` when absent. */
  readonly maxConnections: number;
}

/** Longest delay a timer takes (2^31 - 1 ms, about 24.8 days); Node fires longer ones at once. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * The value of option `key` when `options` has it as an own property, else `undefined`. A value
 * inherited from a prototype (such as one planted on `Object.prototype` elsewhere in the
 * application) counts as absent: it must never turn a check off or change a limit.
 */
function own(options: object | undefined, key: string): unknown {
  if (options === undefined || options === null || !Object.hasOwn(options, key)) return undefined;
  return (options as Record<string, unknown>)[key];
}

function read(options: object, key: string, fallback: number, min: number, max: number): number {
  const value = own(options, key);
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(`option ${key} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * Checks that `options` is an object (or absent) and resolves the options every transport shares.
 * @throws InvalidOptionError
 */
export function resolveCommonOptions(options: unknown): ResolvedCommonOptions {
  if (options === undefined) {
    return { maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES, connectTimeout: DEFAULT_CONNECT_TIMEOUT, linger: DEFAULT_LINGER };
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionError(`options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  return {
    maxBufferedBytes: read(options, 'maxBufferedBytes', DEFAULT_MAX_BUFFERED_BYTES, 1, 2 ** 32),
    connectTimeout: read(options, 'connectTimeout', DEFAULT_CONNECT_TIMEOUT, 1, MAX_DELAY),
    linger: read(options, 'linger', DEFAULT_LINGER, 0, MAX_DELAY),
  };
}

/**
 * As {@link resolveCommonOptions}, for `listen`: also reads `maxConnections` (see
 * `ConnectionLimitOptions`), `Infinity` when absent.
 * @throws InvalidOptionError
 */
export function resolveListenOptions(options: unknown): ResolvedListenOptions {
  const common = resolveCommonOptions(options);
  const maxConnections = options === undefined ? Infinity : read(options as object, 'maxConnections', Infinity, 1, Number.MAX_SAFE_INTEGER);
  return { ...common, maxConnections };
}

/**
 * Helpers for adapters validating their own options: each returns the value or the fallback, and
 * throws `InvalidOptionError` naming the option when the type is wrong. They read own properties
 * only: a value the options object inherits from a prototype counts as absent.
 */
export const optionReader = {
  /**
   * The raw value of an option, for checks the other readers do not cover: the own property
   * `key` of `options`, or `undefined` when it has none (inherited values are ignored).
   */
  own(options: object | undefined, key: string): unknown {
    return own(options, key);
  },
  /** A boolean option. */
  boolean(options: object | undefined, key: string, fallback: boolean): boolean {
    const value = own(options, key);
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new InvalidOptionError(`option ${key} must be a boolean, got ${typeof value}`);
    return value;
  },
  /** An integer option within [min, max]. */
  integer(options: object | undefined, key: string, fallback: number, min: number, max: number): number {
    const value = own(options, key);
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidOptionError(`option ${key} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
    return value;
  },
  /** A function option. */
  func<F>(options: object | undefined, key: string): F | undefined {
    const value = own(options, key);
    if (value === undefined) return undefined;
    if (typeof value !== 'function') throw new InvalidOptionError(`option ${key} must be a function, got ${typeof value}`);
    return value as F;
  },
};

/**
 * The options the core reads for every transport, on `connect` and on `listen`. An adapter builds
 * its lists of known options from it, for {@link refuseUnknownOptions}. Typing the list against the
 * options interface makes adding an option without listing it a compile error:
 *
 * ```ts
 * const connectKeys: Record<keyof MyConnectOptions, true> = { ...commonOptionKeys, maxMessageSize: true };
 * ```
 */
export const commonOptionKeys: Readonly<Record<keyof ConnectOptions | keyof ListenOptions, true>> = Object.freeze({
  maxBufferedBytes: true,
  connectTimeout: true,
  linger: true,
});

/**
 * The key of `ConnectionLimitOptions` (`maxConnections`), for the listen keys of a
 * connection-oriented adapter that takes it: `{ ...commonOptionKeys, ...connectionLimitKeys, ... }`.
 */
export const connectionLimitKeys: Readonly<Record<keyof ConnectionLimitOptions, true>> = Object.freeze({ maxConnections: true });

/**
 * The key of `ReconnectOptions` (`reconnect`), for the connect keys of a connection-oriented
 * adapter: `{ ...commonOptionKeys, ...reconnectKeys, ... }`. The core does the reconnecting.
 */
export const reconnectKeys: Readonly<Record<keyof ReconnectOptions, true>> = Object.freeze({ reconnect: true });

/** A `ReconnectPolicy` with every default applied. */
export interface ResolvedReconnectPolicy {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly jitter: number;
  readonly maxAttempts: number;
  readonly maxTime: number;
}

const policyKeys = ['initialDelay', 'maxDelay', 'jitter', 'maxAttempts', 'maxTime'];

/**
 * Reads the `reconnect` connect option: `undefined` when it is absent or `false`, the resolved
 * policy otherwise (`true` takes every default).
 * @throws InvalidOptionError for a value of the wrong type, a field out of range or an unknown field
 */
export function resolveReconnect(options: unknown): ResolvedReconnectPolicy | undefined {
  const value = typeof options === 'object' && options !== null ? own(options, 'reconnect') : undefined;
  if (value === undefined || value === false) return undefined;
  if (value !== true && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new InvalidOptionError(`option reconnect must be a boolean or an object, got ${value === null ? 'null' : typeof value}`);
  }
  const policy = value === true ? {} : value;
  for (const key of Object.keys(policy)) {
    if (!policyKeys.includes(key) && (policy as Record<string, unknown>)[key] !== undefined) {
      throw new InvalidOptionError(`unknown field ${key} of option reconnect; it takes ${policyKeys.join(', ')}`);
    }
  }
  const field = (key: string, fallback: number, min: number, max: number): number => {
    try {
      return read(policy, key, fallback, min, max);
    } catch {
      throw new InvalidOptionError(`option reconnect.${key} must be an integer from ${min} to ${max}, got ${String(own(policy, key))}`);
    }
  };
  const jitter = own(policy, 'jitter') ?? 0.5;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new InvalidOptionError(`option reconnect.jitter must be a number from 0 to 1, got ${String(jitter)}`);
  }
  const initialDelay = field('initialDelay', 500, 0, MAX_DELAY);
  const maxDelay = field('maxDelay', Math.max(30_000, initialDelay), 0, MAX_DELAY);
  if (maxDelay < initialDelay) {
    throw new InvalidOptionError(`option reconnect.maxDelay (${maxDelay}) must be at least reconnect.initialDelay (${initialDelay})`);
  }
  return {
    initialDelay,
    maxDelay,
    jitter,
    maxAttempts: field('maxAttempts', Infinity, 1, Number.MAX_SAFE_INTEGER),
    maxTime: field('maxTime', Infinity, 1, Number.MAX_SAFE_INTEGER),
  };
}

/**
 * Refuses the options that `known` does not list: a misspelt name (`maxMesageSize`), another
 * transport's option, a listen option given to `connect`. Keys whose value is `undefined` pass.
 * `where` names the call in the message, such as `'FramedTcp connect'`. Adapters call it first
 * thing in `connect` and `listen`. Only own keys are checked: inherited ones are never read as
 * options (see {@link optionReader}), so they are neither refused nor used.
 * @throws InvalidOptionError naming the unknown key and listing the known ones
 */
export function refuseUnknownOptions(options: object | undefined, known: Readonly<Record<string, true>>, where: string): void {
  if (options === undefined || options === null) return;
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(known, key) || (options as Record<string, unknown>)[key] === undefined) continue;
    const names = Object.keys(known);
    const near = closest(key, names);
    const hint = near === undefined ? '' : ` (did you mean ${near}?)`;
    throw new InvalidOptionError(`unknown option ${key} for ${where}${hint}; ${where} takes ${names.join(', ')}`);
  }
}

/** The known name that `key` most likely misspells: same letters in another case, or at most 2 edits away. */
function closest(key: string, names: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(key.length / 3)) + 1;
  for (const name of names) {
    if (name.toLowerCase() === lower) return name;
    const distance = editDistance(lower, name.toLowerCase(), bestDistance);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance of `a` and `b`, or `limit` when it is at least `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, substitution));
    }
    if (Math.min(...row) >= limit) return limit;
    previous = row;
  }
  return Math.min(previous[b.length]!, limit);
}
