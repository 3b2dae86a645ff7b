/**
 * The adapter interface: what a transport implements so that a node can use it.
 *
 * It requires 11 members: the 8 numbered functions below, which keep the names and roles of the
 * Rust message-io's 8 mandatory functions, translated to Node's push-based I/O (sockets tell us
 * when something happens; nobody polls), plus `Remote.bufferedBytes`, `Remote.close` and
 * `Local.close`. Two keep a Rust name for a different call: Rust's `source` hands the poll loop a
 * socket to register, ours wires the socket's events to a watch; Rust's `receive` is called at
 * each readable event and reads what is there, ours is called once, when the connection is ready,
 * and from then on the adapter pushes every message to `watch.received`.
 *
 * | # | member            | called by the core                       | the adapter must                                    |
 * |---|-------------------|------------------------------------------|-----------------------------------------------------|
 * | 1 | `Remote.source`   | once, right after `connect`/accept       | wire its socket's events to the given watch         |
 * | 2 | `Adapter.connect` | on `handler.network().connect()`         | start a non-blocking connection, return a Remote    |
 * | 3 | `Remote.receive`  | once, when the connection becomes ready  | from now on call `watch.received` per message       |
 * | 4 | `Remote.send`     | on `handler.network().send()`            | write or queue one message, return a SendStatus     |
 * | 5 | `Remote.pending`  | at each readiness while not ready        | say Ready, Incomplete or Disconnected               |
 * | 6 | `Local.source`    | once, right after `listen`               | wire its listener's close/error to the watch        |
 * | 7 | `Adapter.listen`  | on `handler.network().listen()`          | bind, resolve with the Local and the bound address  |
 * | 8 | `Local.accept`    | once, right after `Local.source`         | hand every new connection or datagram to `acceptor` |
 *
 * Optional: `Remote.readyToWrite` (flush your own queue when the socket drains),
 * `Remote.pauseReceive`/`resumeReceive` (flow control for a consumer that is behind),
 * `Remote.maxMessageSize` and `Local.sendTo` (send from a listener: connectionless transports).
 * `Remote.close` and `Local.close` are called by the core exactly once per resource.
 *
 * The core owns everything else: resource ids, endpoints, events and their order, handshake state,
 * the connect timeout, message size checks before `send`, backpressure accounting, `remove` and `stop`.
 * After the core calls `close`, whatever the adapter reports for that resource is ignored.
 *
 * The core never imports a transport; a transport package imports what it needs from
 * `@message-io/core/adapter` (this contract, statuses, errors, option readers, `HeldRest`). Nothing
 * here is Node-specific; helpers for adapters on Node's sockets are in `@message-io/node-net`.
 */
import type { PeerCertificate } from './peer-certificate.js';
import type { RemoteAddr } from './address.js';
import type { PendingStatus, SendStatus } from './status.js';
import type { SharedMessage } from './shared.js';

/** Why the core asks about a pending connection: data arrived, or the socket can be written. */
export type Readiness = 'readable' | 'writable';

/**
 * Settings the core resolved for one connection, given to `Adapter.connect` and known to a Local's
 * accepted remotes through `Adapter.listen`'s context.
 */
export interface RemoteContext {
  /**
   * Cap on unsent bytes of this connection. The core refuses a `send` (status `Backpressure`)
   * while `Remote.bufferedBytes` is at or above it, and expects `watch.notify('writable')` once the
   * buffered bytes fall below it again. A Node socket does exactly this when its
   * `writableHighWaterMark` is at most this value (a write that reaches the cap has then returned
   * `false`, so `'drain'` follows) and its `'drain'` event calls `notify('writable')`.
   */
  readonly maxBufferedBytes: number;
  /** Milliseconds a graceful `close` may take to flush queued bytes before the adapter destroys the socket. */
  readonly linger: number;
}

/** Given by the core to `Adapter.listen`: what its connections are given, and the listener's limit. */
export interface ListenContext extends RemoteContext {
  /**
   * The listener's `maxConnections`: `Infinity` when the option is absent (the core always sets it;
   * a caller that calls `listen` itself, as a test may, can leave it out: no limit). The core closes
   * an accepted connection past it (never `accepted`); an adapter may refuse one earlier and
   * cheaper, before it builds anything for it, as long as it never refuses one the core would take.
   */
  readonly maxConnections?: number;
}

/**
 * Given by the core to `Remote.source`. The adapter calls these from its socket's events.
 * Calls after the resource closed are ignored, so an adapter need not unhook its listeners.
 * Call them as methods of the watch (`watch.notify('writable')`), as with any object; to hand one
 * on, pass the watch or an arrow such as `(data) => watch.received(data)` (design note 0012).
 */
export interface RemoteWatch {
  /**
   * Something changed. While the connection is pending, the core answers by calling `pending`.
   * Once it is ready, `'writable'` means the socket drained: the core calls `readyToWrite` (if any)
   * and tells the user the connection takes sends again. Call `'writable'` when a client connects,
   * when a handshake step completes, and on every drain.
   */
  notify(readiness: Readiness): void;
  /**
   * The connection is gone: closed by the peer, reset, failed to connect, or the adapter found a
   * protocol violation. Pass the error, if any; `undefined` means a clean close by the peer.
   * The core emits `disconnected` (or `connected` with `ok: false` while pending) and calls `close`.
   */
  closed(error?: Error): void;
  /**
   * One received message (stream transports: one received chunk), in arrival order. Call it only
   * after the core called `receive`: before that, the connection is not ready and the core drops
   * what it is given (an adapter that reads early keeps those bytes until `receive`).
   *
   * The bytes become the user's, who may keep them and read them at any time later: hand over
   * memory you never write again (a fresh buffer, or a view of one that no later read fills). An
   * adapter may read into a buffer it reuses only when the user opted in to lending for that
   * connection (an option such as `reuseReceiveBuffer`), and must then hand its views over as
   * `BorrowedBytes` (`new BorrowedBytes(buffer, offset, length)`): valid during this call only;
   * the core copies them when it stores an event. The conformance suite checks that messages
   * kept by the user stay intact.
   *
   * Returns `false` when the node's consumer has fallen behind (stored events over its
   * `maxStoredBytes`; the core has called, or is about to call, `pauseReceive`). A decoder that
   * hands over several messages from one read should then stop at once: keep the rest of the
   * read (a copy, if its buffer is reused), read nothing more, and hand the rest over first, on a
   * later turn, once `resumeReceive` is called. One read can hold a million empty frames: a
   * decoder that ignores `false` makes the node store every one of them. The conformance suite
   * checks that floods of empty messages stay within the bound.
   *
   * `text`: pass `true` for a message that arrived as text (a WebSocket text frame), `data` then
   * being its UTF-8 bytes; the `message` event says so in its `text` field. Leave it out otherwise.
   */
  received(data: Uint8Array, text?: boolean): boolean;
}

/** One connection, made by `Adapter.connect` or handed to `Acceptor.remote` by a listener. */
export interface Remote {
  /**
   * #1. Called by the core once, right after the Remote is created, before any other member.
   * Wire the socket's events to `watch`: connected or handshake progress and drain to
   * `notify('writable')` (or `'readable'`), end, reset and errors to `closed`. Never let an `'error'`
   * event go unhandled.
   */
  source(watch: RemoteWatch): void;

  /**
   * #5. Called by the core while the connection is not ready: once right after `source` and again
   * at each `watch.notify`. Drive the handshake if the transport has one, then answer `Ready`,
   * `Incomplete` (ask me again later) or `Disconnected` (it failed). A plain TCP client is
   * `Incomplete` while connecting and `Ready` once connected; an accepted TCP socket is `Ready` at once.
   * The core bounds the wait with the connection's `connectTimeout`.
   */
  pending(readiness: Readiness): PendingStatus;

  /**
   * #3. Called by the core once, when the connection becomes ready. From then on, call the watch's
   * `received` once per received message (packet and framed transports) or once per received
   * chunk (stream transports), in arrival order; first with whatever arrived before this call.
   * Report the end of the connection through `watch.closed`, not here.
   */
  receive(): void;

  /**
   * #4. Called by the core for `handler.network().send()`, only when the connection is ready, the
   * message is within `maxMessageSize` and `bufferedBytes` is under the cap. Write or queue the
   * whole message, never a part of it, and return `Sent`; or return `MaxPacketSizeExceeded` when
   * the message is too big for this peer after all (say, a limit learnt after `connect`), writing
   * nothing. Never block and never throw (a throw is taken as a broken connection).
   *
   * `data` is the caller's again as soon as `send` returns (it may change or reuse it, and a
   * received `BorrowedBytes` is about to be overwritten): copy whatever you have not handed to
   * the operating system by then. The conformance suite checks that changing the buffer right
   * after `send` changes nothing on the wire.
   */
  send(data: Uint8Array): SendStatus;

  /**
   * Optional. Called by the core on `notify('writable')` once the connection is ready, before it
   * tells the user that the connection takes sends again. Adapters that keep a queue of their own
   * flush it here. Without it, nothing is called.
   */
  readyToWrite?(): void;

  /**
   * Optional. Called by the core when the node's consumer falls behind (stored events over the
   * node's `maxStoredBytes`): stop reading from the socket, so that the peer is slowed by flow
   * control instead of the node buffering without bound (Node: `socket.pause()`). Also called right
   * after `receive` for a connection that becomes ready while the node is throttled.
   * Without it, the connection keeps reading and its messages are stored. A connectionless
   * transport, whose peer flow control cannot slow, drops what arrives until `resumeReceive`,
   * as a full socket buffer would.
   */
  pauseReceive?(): void;

  /**
   * Optional. Called by the core when the consumer caught up: read again (Node: `socket.resume()`).
   * First hand over, on a later turn (never within this call), what a `false` from
   * `watch.received` made you keep; resume the socket only once all of it is handed over, and
   * stop again if `received` says so.
   */
  resumeReceive?(): void;

  /** Bytes accepted by `send` and not yet handed to the operating system (Node: `writableLength`). */
  readonly bufferedBytes: number;

  /**
   * Largest message this connection sends and accepts, when it differs from the transport's
   * `maxMessageSize` capability (for example a per-connection option). The core refuses larger sends.
   */
  readonly maxMessageSize?: number;

  /**
   * Optional. Read by the core for `handler.network().peerCertificate(endpoint)`, at any time while
   * the connection is known. The peer's certificate when a TLS handshake verified it (a client:
   * the server's, checked against its authorities; a listener: the client's, under mutual TLS),
   * else `undefined`. Transports without TLS leave it out.
   */
  readonly peerCertificate?: PeerCertificate;

  /**
   * Optional, for transports that tell text messages from binary ones (Ws). Called by the core on
   * `handler.network().sendText(endpoint, text)`, after the same checks as `send` (ready, size of
   * the UTF-8 encoding, buffered bytes): send `text` as one text message. Same duties and answers
   * as `send`. Without it, `sendText` throws `UnsupportedError`.
   */
  sendText?(text: string): SendStatus;

  /**
   * Optional: the send of a group (`Group.send`), once per member, after the same checks as
   * `send`. `message.data` is the core's own copy, never changed while anything holds it: queue it
   * (or a frame made once per message with `message.frame`, shared by every connection it
   * reaches) by reference, with no copy of your own. Same duties and answers as `send`. Without
   * it, the core calls `send(message.data)`, which is right but copies once per member.
   */
  sendShared?(message: SharedMessage): SendStatus;

  /**
   * Optional. Read by the core for `handler.network().protocol(endpoint)` while the connection is
   * ready. The application protocol the two ends agreed on during the handshake (a WebSocket
   * subprotocol, a TLS ALPN name), or `undefined` when none was.
   */
  readonly protocol?: string;

  /**
   * Called by the core exactly once: on `remove()`, on `stop()`, or after `watch.closed`.
   * Stop delivering data, flush what `send` accepted within `linger` milliseconds (then destroy),
   * and release every handle so the process can exit. Must not throw.
   */
  close(): void;
}

/** Given by the core to `Local.source`. */
export interface LocalWatch {
  /** The listener can no longer accept (its socket failed or closed). The core removes it. */
  closed(error?: Error): void;
}

/**
 * Why a listener turned a connection or handshake away, in a {@link Refusal}:
 * - `limit`: a limit was reached (`maxConnections`, pending handshakes, descriptors);
 * - `timeout`: the handshake did not complete in time;
 * - `path`: the request asked for a path the listener does not serve (HTTP 404);
 * - `origin`: the request's Origin is not allowed (HTTP 403);
 * - `authenticate`: the application's `authenticate` hook refused it, or failed (HTTP 401, 500);
 * - `tls`: the TLS handshake failed (no or a bad client certificate, a protocol mismatch);
 * - `protocol`: the peer does not speak the listener's protocol (a malformed or plain HTTP request).
 */
export type RefuseReason = 'limit' | 'timeout' | 'path' | 'origin' | 'authenticate' | 'tls' | 'protocol';

/** What an adapter tells `Acceptor.refused` about a connection it turned away. */
export interface Refusal {
  readonly reason: RefuseReason;
  /** The peer's address, when the adapter knows it. */
  readonly addr?: RemoteAddr;
  /** A short human-readable detail, such as `HTTP 401` or `maxPendingHandshakes (1024)`. */
  readonly detail?: string;
  /** The error behind it, if there is one (a TLS error). */
  readonly error?: Error;
}

/** Given by the core to `Local.accept`: where the listener hands what it receives. */
export interface Acceptor {
  /**
   * A new connection arrived from `addr`. The core gives it an id and an endpoint, calls its
   * `source` and `pending`, and emits `accepted` once it is ready. `addr` is the peer's address, or a
   * URL for transports whose peers have none (a Unix socket client: give the listener's URL).
   */
  remote(remote: Remote, addr: RemoteAddr): void;
  /**
   * A datagram arrived from `addr` (connectionless transports). The core emits a `message` from
   * `Endpoint.fromListener(listenerId, addr)`. `addr` is the sender's socket address, or a URL
   * naming where answers go, for transports whose senders have no socket address of their own (a
   * broker's reply subject); give a URL as `new URL().href` writes it, of a scheme the transport
   * lists in `urlSchemes`. `data` only needs to stay valid during the call.
   * While the node's consumer is over its `maxStoredBytes`, the core drops datagrams (as a full
   * socket buffer would) rather than store them.
   */
  data(addr: RemoteAddr, data: Uint8Array): void;
  /**
   * A connection or handshake was turned away before it could be handed to `remote`: by a limit,
   * a path, the `authenticate` hook, a failed TLS handshake, a timeout. Call it once per refused
   * peer, where the refusal happens; calls after the listener closed are ignored. The core counts it in `stats().refused` and publishes it on
   * the `message-io:refuse` diagnostics channel; nothing else happens, and nothing is emitted to
   * the application. Cheap when nobody watches; still, do not call it for ordinary closes.
   */
  refused(refusal: Refusal): void;
}

/** One listener, made by `Adapter.listen`. */
export interface Local {
  /**
   * #6. Called by the core once, right after `listen` resolved. Wire the listener's errors and
   * close to `watch.closed`. Never let an `'error'` event go unhandled.
   */
  source(watch: LocalWatch): void;

  /**
   * #8. Called by the core once, right after `source`. From then on hand every accepted connection
   * to `acceptor.remote` and every received datagram to `acceptor.data`.
   */
  accept(acceptor: Acceptor): void;

  /**
   * Optional. Called by the core when the user sends through `Endpoint.fromListener(id, addr)`.
   * Send one datagram to `addr` and return a status. `addr` is a socket address, or a URL of a
   * scheme the transport lists in `urlSchemes` (the core refuses other URLs); throw
   * `InvalidAddressError` for a kind of address you do not send to. The same duties as
   * `Remote.send`: copy what you do not hand to the system at once, never block. Without it,
   * such a send throws `InvalidArgumentError` (the Rust version panics).
   */
  sendTo?(addr: RemoteAddr, data: Uint8Array): SendStatus;

  /**
   * Called by the core exactly once: on `remove()` or `stop()`, or after `watch.closed`. Stop
   * listening and release the socket. Connections already accepted stay up. Must not throw.
   */
  close(): void;
}

/** What `Adapter.listen` resolves with. */
export interface Listening {
  /** The new listener. */
  readonly local: Local;
  /** The address actually bound (port 0 resolved to the real port), or the URL listened on. */
  readonly addr: RemoteAddr;
}

/**
 * A transport's implementation. One object per transport; it keeps no per-node state (the core
 * does), so one transport value serves any number of nodes.
 */
export interface Adapter<ConnectOptions = unknown, ListenOptions = unknown> {
  /**
   * #2. Called by the core on `handler.network().connect()`. Validate `options` (throw
   * `InvalidOptionError`) and `addr` (throw `InvalidAddressError` for a kind you don't take, such as
   * a URL on Tcp), then start a non-blocking connection and return its Remote at once. Throw only
   * for bad input or when the local socket cannot be made; report a failed connection through
   * `watch.closed` instead.
   */
  connect(addr: RemoteAddr, options: ConnectOptions | undefined, context: RemoteContext): Remote;

  /**
   * #7. Called by the core on `handler.network().listen()`. Validate `options`, bind to `addr` and
   * resolve with the Local and the bound address. `addr` is a `{ host, port }`, or a URL when the
   * transport lists its scheme in `urlSchemes` (the core refuses other URLs before calling this).
   * Reject with `ListenError` (the OS error as `cause`) when binding fails, `InvalidOptionError` for
   * bad options. `context` applies to the connections this listener accepts, and carries the
   * listener's `maxConnections` (see {@link ListenContext}).
   */
  listen(addr: RemoteAddr, options: ListenOptions | undefined, context: ListenContext): Promise<Listening>;
}
