import type { BorrowedBytes } from '../adapter/borrowed.js';
import type { Endpoint } from '../network/endpoint.js';
import type { ResourceId } from '../network/resource-id.js';

/** A connection made by `connect` is ready (`ok: true`) or failed (`ok: false`, with the reason in `error`). */
export interface ConnectedEvent {
  readonly type: 'connected';
  readonly endpoint: Endpoint;
  readonly ok: boolean;
  /** Why the connection failed, when `ok` is false: a `ConnectError`, `ConnectTimeoutError` or an adapter's error. */
  readonly error?: Error;
  /**
   * True when a connection made with the `reconnect` option is ready again after `reconnecting`
   * (the first `connected` of a connection has it false). Send again what the peer must know
   * (a login, subscriptions): it is a new connection to the peer.
   */
  readonly reconnected?: boolean;
}

/**
 * A connection made with the `reconnect` option was lost (or could not be made) and will be tried
 * again after `delay` ms. Emitted in place of `disconnected` (and of `connected` with `ok: false`)
 * while the policy allows retries; the endpoint stays the same and `send` answers
 * `ResourceNotAvailable` until `connected` comes with `ok: true`.
 */
export interface ReconnectingEvent {
  readonly type: 'reconnecting';
  readonly endpoint: Endpoint;
  /** The number of the retry that starts after `delay`: 1 for the first since the loss. */
  readonly attempt: number;
  /** Milliseconds until that retry. */
  readonly delay: number;
  /** Why the connection or the last attempt ended, when it was not a clean close by the peer. */
  readonly error?: Error;
}

/** A listener accepted a connection. Not emitted by connectionless transports (Udp). */
export interface AcceptedEvent {
  readonly type: 'accepted';
  readonly endpoint: Endpoint;
  /** The listener that accepted it. */
  readonly listenerId: ResourceId;
}

/**
 * One message from `endpoint`. On stream transports (Tcp), one received chunk (whatever one read
 * returned: up to 1 MiB).
 *
 * `data` is yours: store it, read it after an `await`, send it on. It may be a view of a larger
 * buffer holding other messages of the same read (as Node's Buffers are), which no later read
 * overwrites; copy it (`new Uint8Array(data)`) only to keep a small message for long without
 * keeping that buffer. Exception, by opt-in only: on a connection made or accepted with
 * `reuseReceiveBuffer: true`, `data` is a {@link BorrowedBytes}, valid until the callback returns
 * (copy what you keep; sending it on as it is stays safe).
 */
export interface MessageEvent {
  readonly type: 'message';
  readonly endpoint: Endpoint;
  readonly data: Uint8Array;
  /**
   * `true` when the message arrived as text (a WebSocket text frame, from a browser or any peer
   * that sent a string): `data` holds its UTF-8 bytes (`new TextDecoder().decode(data)`). Absent
   * for binary messages and on transports without text.
   */
  readonly text?: true;
}

/**
 * The connection ended: closed or reset by the peer, or closed because the peer broke the protocol
 * or a limit. At most once per connection; never after `remove()`.
 */
export interface DisconnectedEvent {
  readonly type: 'disconnected';
  readonly endpoint: Endpoint;
  /** Why, when it was not a clean close by the peer: an OS error, `MessageTooLargeError`, `ProtocolError`. */
  readonly error?: Error;
}

/** The connection takes sends again, after `send` answered `Backpressure` for it. */
export interface WritableEvent {
  readonly type: 'writable';
  readonly endpoint: Endpoint;
}

/** A network event. `type` tells which. */
export type NetEvent = ConnectedEvent | AcceptedEvent | MessageEvent | DisconnectedEvent | WritableEvent | ReconnectingEvent;

/** A signal sent with `handler.signals()`. */
export interface SignalEvent<S> {
  readonly type: 'signal';
  readonly signal: S;
}

/** Everything a node's listener receives. */
export type NodeEvent<S> = NetEvent | SignalEvent<S>;
