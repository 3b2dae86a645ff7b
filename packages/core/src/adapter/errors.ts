/**
 * Every error that message-io throws or rejects with. Each class has a stable `code`;
 * `docs/errors.md` documents each code, and a test keeps that page and this file in step.
 *
 * Errors are for setup and misuse (connect, listen, options, arguments). Outcomes on the
 * hot path are status values (`SendStatus`) or events (`disconnected`), never exceptions.
 */

/** Options accepted by every message-io error: the original error, when there is one. */
export interface MessageIoErrorOptions {
  /** The error that caused this one (an OS error, a `ws` error, an adapter's throw). */
  cause?: unknown;
}

/** Base class of every message-io error. Check `code` rather than the message text. */
export class MessageIoError extends Error {
  /** Stable, documented identifier of the error kind, such as `ERR_INVALID_ADDRESS`. */
  readonly code: string = 'ERR_MESSAGE_IO';

  constructor(message: string, options?: MessageIoErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An address could not be parsed, or the transport does not accept that kind of address. */
export class InvalidAddressError extends MessageIoError {
  override readonly code: 'ERR_INVALID_ADDRESS' = 'ERR_INVALID_ADDRESS';
}

/** An option has the wrong type or is out of range. The message names the option. */
export class InvalidOptionError extends MessageIoError {
  override readonly code: 'ERR_INVALID_OPTION' = 'ERR_INVALID_OPTION';
}

/** An argument other than an address or an option is wrong: not a transport, not bytes, not a ResourceId. */
export class InvalidArgumentError extends MessageIoError {
  override readonly code: 'ERR_INVALID_ARGUMENT' = 'ERR_INVALID_ARGUMENT';
}

/** `listen()` could not bind: address in use, not available, or a name that does not resolve. `cause` holds the OS error. */
export class ListenError extends MessageIoError {
  override readonly code: 'ERR_LISTEN' = 'ERR_LISTEN';
}

/** A connection could not be established (refused, reset, unreachable, handshake failed). Given by `connectAndWait` and in `connected` events. */
export class ConnectError extends MessageIoError {
  override readonly code: 'ERR_CONNECT' = 'ERR_CONNECT';
}

/** A connection was not ready within its `connectTimeout`. */
export class ConnectTimeoutError extends MessageIoError {
  override readonly code: 'ERR_CONNECT_TIMEOUT' = 'ERR_CONNECT_TIMEOUT';
}

/**
 * The connection was removed by `remove()` or `stop()` before it was ready, or the `signal` given to
 * `connectAndWait` aborted (then `cause` is the signal's reason). Given by `connectAndWait`.
 */
export class ConnectAbortedError extends MessageIoError {
  override readonly code: 'ERR_CONNECT_ABORTED' = 'ERR_CONNECT_ABORTED';
}

/**
 * A connection with the `reconnect` option gave up: its policy's `maxAttempts` or `maxTime` ran
 * out. `cause` is why the last attempt failed. Given as `disconnected.error` for a connection that
 * was ready once, as `connected.error` (and by `connectAndWait`) for one that never was.
 */
export class ReconnectFailedError extends MessageIoError {
  override readonly code: 'ERR_RECONNECT_FAILED' = 'ERR_RECONNECT_FAILED';
}

/** The node was stopped: `connect()` and `listen()` are refused after `stop()`. */
export class NodeStoppedError extends MessageIoError {
  override readonly code: 'ERR_NODE_STOPPED' = 'ERR_NODE_STOPPED';
}

/** The listener already has a consumer: call `forEach` or iterate it once per node. */
export class ListenerInUseError extends MessageIoError {
  override readonly code: 'ERR_LISTENER_IN_USE' = 'ERR_LISTENER_IN_USE';
}

/**
 * A listener stopped accepting by itself: its server closed (a Ws listener on an application's
 * server that the application closed) or its socket ended. The core removed it. Published on the
 * `message-io:error` diagnostics channel; a listener whose socket failed publishes that error.
 */
export class ListenerClosedError extends MessageIoError {
  override readonly code: 'ERR_LISTENER_CLOSED' = 'ERR_LISTENER_CLOSED';
}

/** A connection saw no traffic for its `idleTimeout` and was closed (given as `disconnected.error`). */
export class IdleTimeoutError extends MessageIoError {
  override readonly code: 'ERR_IDLE_TIMEOUT' = 'ERR_IDLE_TIMEOUT';
}

/**
 * A message began to arrive and was not complete within the connection's `messageTimeout`; the
 * connection was closed (given as `disconnected.error`).
 */
export class MessageTimeoutError extends MessageIoError {
  override readonly code: 'ERR_MESSAGE_TIMEOUT' = 'ERR_MESSAGE_TIMEOUT';
}

/** A peer announced a message larger than the connection's `maxMessageSize`; the connection was closed before buffering it. */
export class MessageTooLargeError extends MessageIoError {
  override readonly code: 'ERR_MESSAGE_TOO_LARGE' = 'ERR_MESSAGE_TOO_LARGE';
}

/** A peer sent bytes that break the transport's protocol (for FramedTcp, a malformed length prefix); the connection was closed. */
export class ProtocolError extends MessageIoError {
  override readonly code: 'ERR_PROTOCOL' = 'ERR_PROTOCOL';
}

/** An adapter broke its contract (threw from a member that must not throw); the resource it concerned was closed. */
export class AdapterError extends MessageIoError {
  override readonly code: 'ERR_ADAPTER' = 'ERR_ADAPTER';
}

/** The transport cannot do this where the program runs: for example, `listen()` with Ws in a browser, which can only dial out. */
export class UnsupportedError extends MessageIoError {
  override readonly code: 'ERR_UNSUPPORTED' = 'ERR_UNSUPPORTED';
}
