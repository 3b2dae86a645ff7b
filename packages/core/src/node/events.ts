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
export type NetEvent = ConnectedEvent | AcceptedEvent | MessageEvent | DisconnectedEvent | WritableEvent;

/** A signal sent with `handler.signals()`. */
export interface SignalEvent<S> {
  readonly type: 'signal';
  readonly signal: S;
}

/** Everything a node's listener receives. */
export type NodeEvent<S> = NetEvent | SignalEvent<S>;
