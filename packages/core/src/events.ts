import type { Endpoint } from './endpoint.js';
import type { ResourceId } from './resource-id.js';

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
 * One message from `endpoint`. On stream transports (Tcp), one received chunk.
 * In `forEach`, `data` is a view into the receive buffer, valid only during the callback:
 * copy it (`new Uint8Array(data)`; on a Node Buffer `slice()` is only a view) to keep it. Where the
 * transport reuses its receive buffer (Tcp and FramedTcp, by default), it is a
 * `BorrowedBytes` and is overwritten by the next read. Sending it on is always safe (`send` copies
 * it). Events from the async iterator own their bytes.
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
