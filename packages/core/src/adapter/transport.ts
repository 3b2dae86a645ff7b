import type { Adapter } from './adapter.js';

/**
 * What a transport can do. Code branches on these, never on a transport's name.
 */
export interface TransportCapabilities {
  /** True when a connection has a lifecycle (connected, disconnected): Tcp, FramedTcp, Ws. False for Udp. */
  readonly connectionOriented: boolean;
  /** True when each send arrives as one message (FramedTcp, Udp, Ws). False for a byte stream (Tcp). */
  readonly packetBased: boolean;
  /** Default largest message, in bytes (`Infinity` when unbounded, as for Tcp's stream). */
  readonly maxMessageSize: number;
  /**
   * URL schemes (without the colon) this transport takes as addresses, such as `['ipc']`. When set,
   * `connect` and `listen` hand the adapter URLs of these schemes and refuse other URLs with
   * `InvalidAddressError`. When absent, `connect` hands the adapter any URL (it decides) and `listen`
   * refuses every URL: a listener of such a transport only ever gets a `{ host, port }`.
   */
  readonly urlSchemes?: readonly string[];
}

/**
 * A transport value, passed to `connect` and `listen`: a name, capabilities and the adapter.
 * `ConnectOptions` and `ListenOptions` type the third argument of `connect` and `listen`.
 */
export interface Transport<ConnectOptions = unknown, ListenOptions = unknown> extends TransportCapabilities {
  /** Short name for logs, such as `FramedTcp`. Never used to branch on. */
  readonly name: string;
  /** The implementation, mounted by a node the first time the transport is used. */
  readonly adapter: Adapter<ConnectOptions, ListenOptions>;
}

/** Options of `connect` understood by the core for every transport. Transports extend this. */
export interface ConnectOptions {
  /** Cap on unsent bytes of the connection before `send` answers `Backpressure`. Default 16 MiB. */
  maxBufferedBytes?: number;
  /** Milliseconds to wait for the connection (and its handshake) before `connected` with `ok: false`. Default 30,000. */
  connectTimeout?: number;
  /** Milliseconds that `remove()` or `stop()` may spend flushing queued bytes before the socket is destroyed. Default 1,000. */
  linger?: number;
}

/** Options of `listen` understood by the core for every transport. They apply to accepted connections. */
export interface ListenOptions {
  /** Cap on unsent bytes per accepted connection. Default 16 MiB. */
  maxBufferedBytes?: number;
  /** Milliseconds an accepted connection may take to become ready (handshake). Default 30,000. */
  connectTimeout?: number;
  /** As {@link ConnectOptions.linger}, for accepted connections. Default 1,000. */
  linger?: number;
}

/**
 * The listen option that caps a listener's connections, for connection-oriented transports whose
 * adapter takes it (its listen options extend this interface and its list of known keys spreads
 * `connectionLimitKeys`). The core enforces it for every such adapter; the adapter may refuse
 * earlier and cheaper (Tcp: before Node builds a socket; Ws: HTTP 503 before the upgrade).
 */
export interface ConnectionLimitOptions {
  /**
   * Most connections the listener holds at once. Past it, a new connection is closed as soon as
   * it arrives, is never `accepted`, and established ones are unaffected; a slot frees when one of
   * them ends or is removed. An integer of at least 1. Default: no limit (the process's file
   * descriptors are).
   */
  maxConnections?: number;
}

/**
 * How a connection made with `connect` and the `reconnect` option is made again: when to retry
 * and when to give up. Every field is optional; `reconnect: true` takes every default.
 *
 * The delay before retry number n (from 1) is `min(maxDelay, initialDelay * 2^(n-1))`, less a
 * random share of up to `jitter` of it, so that many clients that lost the same server do not
 * all come back in the same millisecond.
 */
export interface ReconnectPolicy {
  /** Milliseconds before the first retry. Default 500. */
  initialDelay?: number;
  /** Cap on the delay between two retries, in milliseconds. Default 30,000. */
  maxDelay?: number;
  /** Share of each delay taken off at random, from 0 (none) to 1. Default 0.5. */
  jitter?: number;
  /** Retries after which the node gives up, counted from the loss (or the first failed connect). Default: no limit. */
  maxAttempts?: number;
  /** Milliseconds after the loss (or the first failed connect) past which no retry starts. Default: no limit. */
  maxTime?: number;
}

/**
 * The connect option that makes a connection come back on its own, for connection-oriented
 * transports whose adapter takes it (its connect options extend this interface and its list of
 * known keys spreads `reconnectKeys`). The core does the work for every such adapter: it calls
 * the adapter's `connect` again with the same address and options.
 */
export interface ReconnectOptions {
  /**
   * Retry when the connection is lost or cannot be made: `true` for the default
   * {@link ReconnectPolicy}, or a policy. While it retries, the node emits `reconnecting` (not
   * `disconnected`), the endpoint stays the same, and `send` answers `ResourceNotAvailable`
   * (nothing is queued); `connected` with `ok: true` and `reconnected: true` tells it is back.
   * When it gives up, a connection that was ever ready emits `disconnected`, one that never was
   * emits `connected` with `ok: false`, both with a `ReconnectFailedError`. `remove()` and
   * `stop()` end the retries at once. Default: off.
   */
  reconnect?: boolean | ReconnectPolicy;
}

/** Connect options of a transport value. */
export type ConnectOptionsOf<T> = T extends Transport<infer C, unknown> ? C : never;
/** Listen options of a transport value. */
export type ListenOptionsOf<T> = T extends Transport<unknown, infer L> ? L : never;

/** Checks that `value` has the shape of a transport. */
export function isTransport(value: unknown): value is Transport {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Partial<Transport>;
  return (
    typeof t.name === 'string' &&
    typeof t.connectionOriented === 'boolean' &&
    typeof t.packetBased === 'boolean' &&
    typeof t.maxMessageSize === 'number' &&
    (t.urlSchemes === undefined || Array.isArray(t.urlSchemes)) &&
    typeof t.adapter === 'object' &&
    t.adapter !== null &&
    typeof t.adapter.connect === 'function' &&
    typeof t.adapter.listen === 'function'
  );
}
