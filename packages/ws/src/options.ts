import type { IncomingHttpHeaders, IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { constants } from 'node:buffer';
import { DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_PENDING_HANDSHAKES } from './defaults.js';
import {
  InvalidOptionError,
  optionReader,
  type ConnectionLimitOptions,
  type ConnectOptions,
  type ListenOptions,
  type ReconnectOptions,
  type PeerCertificate,
  type RemoteContext,
} from '@message-io/core/adapter';
import { readMaxMessageSize } from './message-size.js';
import { resolveProtocols } from './protocols.js';

export { DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_PENDING_HANDSHAKES } from './defaults.js';

/** Options both sides of a Ws connection share. */
export interface WsCommonOptions {
  /**
   * Largest message sent or accepted, in bytes, as on every transport. Default 64 MiB. A larger
   * `send` returns `MaxPacketSizeExceeded`; a peer sending a larger message is closed with 1009.
   */
  maxMessageSize?: number;
  /** The same limit as `maxMessageSize`, under the name the `ws` package gives it (give one of the two). */
  maxPayload?: number;
  /** Largest frame sent, in bytes: bigger messages go out as several frames (fragments). Default 16 MiB. */
  maxFrameSize?: number;
  /**
   * Milliseconds `remove()` or `stop()` (or a close started by either side) may take: flush, Close
   * frame, peer's Close, end of TCP. Then the socket is destroyed. Default: the connection's `linger` (1 s).
   */
  closeTimeout?: number;
  /** Send a ping every this many milliseconds and close a silent peer (see `heartbeatTimeout`). Default 0: off. */
  heartbeatInterval?: number;
  /** With a heartbeat, close the connection when nothing arrives within this many milliseconds of a ping. Default: `heartbeatInterval`. */
  heartbeatTimeout?: number;
  /**
   * Milliseconds a message may take to arrive, from its first byte to its last: past it the
   * connection is closed, with `disconnected` carrying a `MessageTimeoutError` (checked at this
   * interval: a message is cut off between once and twice this after it began). Time while the
   * node itself stopped reading (its consumer behind) does not count. Not enforced on a connection
   * that negotiated `perMessageDeflate`. Default 0: off.
   */
  messageTimeout?: number;
  /** Negotiate permessage-deflate compression. Default `false` (CPU and memory cost; the Rust message-io does not offer it). */
  perMessageDeflate?: boolean;
}

/** Options of `connect` with Ws. `connectTimeout` bounds the TCP connect, the TLS handshake and the upgrade together. */
export interface WsConnectOptions extends ConnectOptions, ReconnectOptions, WsCommonOptions {
  /**
   * Subprotocols to offer in the upgrade request, in order of preference, such as `['chat.v2', 'chat.v1']`.
   * The server's choice is on the connection once it is ready: `network().protocol(endpoint)`.
   * A server that answers with one not offered fails the connection. Default: none offered.
   */
  protocols?: readonly string[];
  /** Extra HTTP headers of the upgrade request, such as `{ authorization: 'Bearer …' }`. */
  headers?: Readonly<Record<string, string>>;
  /** `wss://`: certificate authorities to trust instead of Node's defaults (PEM). */
  ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** `wss://`: the TLS server name (SNI) and the name the certificate must match. Default: the URL's host. */
  servername?: string;
  /** `wss://`: refuse a server whose certificate does not verify. Default `true`. */
  rejectUnauthorized?: boolean;
  /** `wss://`: the client's certificate chain (PEM), for a listener that asks for one (`requestCert`). With `key`. */
  cert?: string | Uint8Array;
  /** `wss://`: the client's private key (PEM), with `cert`. */
  key?: string | Uint8Array;
  /** `wss://`: passphrase of `key`, if it is encrypted. */
  passphrase?: string;
}

/** What the `authenticate` hook of a Ws listener is told about a client's upgrade request. */
export interface WsHandshake {
  /** The request target: path and query, such as `/chat?token=…`. */
  readonly path: string;
  /** The request's headers (lower-case names). */
  readonly headers: IncomingHttpHeaders;
  /** The client's address, `host:port`. */
  readonly addr: string;
  /** True on a TLS (wss) listener. */
  readonly secure: boolean;
  /**
   * The client's certificate, verified against the listener's `ca`, under `requestCert` (mutual
   * TLS); `undefined` otherwise. The same is on the connection later: `network().peerCertificate(endpoint)`.
   */
  readonly peerCertificate: PeerCertificate | undefined;
  /**
   * Node's request object, for anything else (such as the TLS socket). On a listener of its own
   * without TLS or compression, which reads its requests itself, it is made from what was read,
   * and its `socket` is the connection's own, not a `net.Socket`: it has both ends' addresses
   * (`remoteAddress`, `remotePort`, `remoteFamily`, `address()`, `localAddress`, `localPort`),
   * `setNoDelay` and `setKeepAlive`, but no stream methods.
   */
  readonly request: IncomingMessage;
}

/** Options of `listen` with Ws. Set `cert` and `key` for a TLS (wss) listener. */
export interface WsListenOptions extends ListenOptions, ConnectionLimitOptions, WsCommonOptions {
  /**
   * An `http.Server` or `https.Server` of the application (the one an Express, Koa or Fastify app
   * listens with), already listening, to take WebSocket upgrades on instead of binding a port of
   * its own. Its HTTP requests stay the application's; the listener takes only the upgrade
   * requests whose path `path` accepts (all of them without `path`) and leaves the others to the
   * server's other `upgrade` handlers (one that nobody takes is answered 404). The address given to
   * `listen` must be the server's (`host:port`, or port 0 for whatever it listens on); `listen`
   * resolves with the server's address. `remove()` detaches the listener and leaves the server
   * open; closing the server closes the listener. TLS is the server's: `cert`, `key`, `ca` and
   * `requestCert` are refused with it (a verified client certificate still shows in
   * `authenticate` and `peerCertificate`). `handshakeTimeout` counts from the upgrade request.
   */
  server?: HttpServer | HttpsServer;
  /**
   * Choose the subprotocol of a connection from those its client offers (`Sec-WebSocket-Protocol`),
   * in the client's order of preference: return one of them, or `undefined` for none (the
   * connection opens without a subprotocol; a client that insists then closes it). Called after
   * `authenticate` accepted. The chosen one is on the connection: `network().protocol(endpoint)`.
   * Default: none is chosen.
   */
  selectProtocol?: (offered: readonly string[], handshake: WsHandshake) => string | undefined;
  /**
   * Accept only these paths (compared with the request's path without its query): a path such as
   * `'/message-io-default'`, or a predicate. Default: every path. Others get HTTP 404.
   */
  path?: string | ((pathname: string) => boolean);
  /**
   * Accept only clients whose `Origin` header names one of these origins, such as
   * `['https://app.example.com']` (scheme, host and port; no path). Both sides are compared as
   * the WHATWG URL origin: scheme and host in lower case, a default port dropped. A handshake
   * whose `Origin` is missing, not listed, or not an origin (`null`, a path, two headers) is
   * refused with HTTP 403 before `authenticate` is called. Default: every Origin is accepted, so
   * a page on any site can open a WebSocket to the listener with the user's cookies. Origin is not
   * authentication: a client that is not a browser sends any Origin it likes, or none.
   */
  origins?: readonly string[];
  /**
   * Called once per client during the handshake, after the request is checked: accept it with
   * `true`, refuse it with `false` (HTTP 401). A throw, a rejected promise, or any other value
   * (a number, a string, an object: only `true` accepts) refuses it with 500.
   * Bounded by `handshakeTimeout`. Default: accept every client.
   */
  authenticate?: (handshake: WsHandshake) => boolean | Promise<boolean>;
  /**
   * Milliseconds a client may take from its TCP connection to a completed upgrade. On a TLS
   * listener the TLS handshake gets this long too, before it. Default 10,000.
   */
  handshakeTimeout?: number;
  /**
   * Most sockets that may be in their handshake at once: accepted over TCP (on a TLS listener, in
   * or past their TLS handshake) and not yet upgraded. While that many are pending, a new socket
   * is destroyed as soon as it is accepted, with no answer; established connections do not count,
   * and a slot is free again once a handshake completes, is refused, or times out. More clients
   * than this connecting at once meet the same limit: raise it for such storms. An integer of
   * at least 1. Default 1024.
   */
  maxPendingHandshakes?: number;
  /** TLS certificate chain (PEM). With `key`, the listener speaks wss. */
  cert?: string | Uint8Array;
  /** TLS private key (PEM), with `cert`. */
  key?: string | Uint8Array;
  /** Passphrase of `key`, if it is encrypted. */
  passphrase?: string;
  /**
   * Mutual TLS (with `cert` and `key`): every client must present a certificate that chains to
   * `ca`; one that sends none, or another, fails its TLS handshake and never reaches the upgrade
   * or `authenticate`. Default `false`.
   */
  requestCert?: boolean;
  /** Certificate authorities that client certificates must chain to (PEM), with `requestCert`. Default: Node's roots. */
  ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /**
   * Opt-in zero-copy receiving. `true`: accepted connections (without TLS) read into one receive
   * buffer shared by all of them, and messages are handed over as `BorrowedBytes`, valid only until
   * the callback returns (copy what you keep). Default `false`: every message owns its bytes and
   * may be stored or read after an `await` (a quiet connection's reads are copied out of the shared
   * buffer; one receiving in bulk reads into buffers of its own).
   */
  reuseReceiveBuffer?: boolean;
  /**
   * Connections the system may queue (accepted, not yet taken by the node: `listen(2)`'s backlog;
   * Linux caps it at `net.core.somaxconn`). Default 511. Not with `server`: the application bound
   * its server with its own.
   */
  backlog?: number;
}

/** Resolved settings shared by both sides. */
export interface WsSettings {
  readonly maxPayload: number;
  readonly maxFrameSize: number;
  readonly closeTimeout: number;
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  readonly messageTimeout: number;
  readonly perMessageDeflate: boolean;
}

/** Resolved TLS material of a listener. */
export interface WsTlsSettings {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly passphrase: string | undefined;
  /** Ask clients for a certificate and refuse those that do not verify against `ca`. */
  readonly requestCert: boolean;
  readonly ca: string | Buffer | (string | Buffer)[] | undefined;
}

/** Resolved listener settings. */
export interface WsListenSettings extends WsSettings {
  readonly path: ((pathname: string) => boolean) | undefined;
  /** The allowed origins, normalised; undefined: any Origin is accepted. */
  readonly origins: ReadonlySet<string> | undefined;
  readonly authenticate: WsListenOptions['authenticate'];
  readonly handshakeTimeout: number;
  readonly maxPendingHandshakes: number;
  readonly tls: WsTlsSettings | undefined;
  readonly reuseReceiveBuffer: boolean;
  /** The application's server to attach to, instead of one of our own. */
  readonly server: HttpServer | undefined;
  /** The backlog of our own server's `listen`. */
  readonly backlog: number;
  readonly selectProtocol: WsListenOptions['selectProtocol'];
}

/** Resolved client settings: the `ws` client options plus ours. */
export interface WsConnectSettings extends WsSettings {
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly ca: string | Buffer | (string | Buffer)[] | undefined;
  readonly servername: string | undefined;
  readonly rejectUnauthorized: boolean;
  /** The client's certificate and key, for mutual TLS. */
  readonly cert: string | Buffer | undefined;
  readonly key: string | Buffer | undefined;
  readonly passphrase: string | undefined;
  readonly protocols: readonly string[] | undefined;
}

const MAX_DELAY = 2 ** 31 - 1;

function isPem(value: unknown): value is string | Uint8Array {
  return typeof value === 'string' || value instanceof Uint8Array;
}

function asBuffer(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function pem(options: object | undefined, key: string): string | Buffer | undefined {
  const value = optionReader.own(options, key);
  if (value === undefined) return undefined;
  if (isPem(value)) return asBuffer(value);
  throw new InvalidOptionError(`option ${key} must be a string or a Uint8Array (PEM), got ${typeof value}`);
}

function text(options: object | undefined, key: string): string | undefined {
  const value = optionReader.own(options, key);
  if (value === undefined || typeof value === 'string') return value;
  throw new InvalidOptionError(`option ${key} must be a string, got ${typeof value}`);
}

/** Validates the options both sides share. @throws InvalidOptionError */
export function resolveSettings(options: WsCommonOptions | undefined, context: RemoteContext): WsSettings {
  const heartbeatInterval = optionReader.integer(options, 'heartbeatInterval', 0, 0, MAX_DELAY);
  const maxPayload = readMaxMessageSize(options, DEFAULT_MAX_PAYLOAD, constants.MAX_LENGTH);
  return {
    maxPayload,
    maxFrameSize: optionReader.integer(options, 'maxFrameSize', DEFAULT_MAX_FRAME_SIZE, 1, constants.MAX_LENGTH),
    closeTimeout: optionReader.integer(options, 'closeTimeout', Math.max(context.linger, 1), 1, MAX_DELAY),
    heartbeatInterval,
    heartbeatTimeout: optionReader.integer(options, 'heartbeatTimeout', Math.max(heartbeatInterval, 1), 1, MAX_DELAY),
    messageTimeout: optionReader.integer(options, 'messageTimeout', 0, 0, MAX_DELAY),
    perMessageDeflate: optionReader.boolean(options, 'perMessageDeflate', false),
  };
}

function resolvePath(options: WsListenOptions | undefined): WsListenSettings['path'] {
  const path = optionReader.own(options, 'path');
  if (path === undefined || typeof path === 'function') return path as WsListenSettings['path'];
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new InvalidOptionError(`option path must be a path starting with '/' or a function, got ${String(path)}`);
  }
  return (pathname) => pathname === path;
}

/**
 * What an origin may look like, as listed or as sent: `scheme://host[:port]`, with no path, query,
 * fragment, user info, percent-escape, backslash, space or control character.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: an origin's host may hold no control character, so the class names them
const ORIGIN_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^\s\x00-\x20\x7f/?#@\\%]+$/i;

/** `text` as the WHATWG URL origin serialises it, or undefined when it is not an origin (opaque ones, `null`, included). */
function normalizeOrigin(text: string): string | undefined {
  if (!ORIGIN_FORM.test(text)) return undefined;
  let origin: string;
  try {
    origin = new URL(text).origin;
  } catch {
    return undefined;
  }
  return origin === 'null' ? undefined : origin;
}

/**
 * True when the `Origin` header of a request names one of `allowed` (normalised origins). False
 * for a missing header, for anything that is not one origin in ASCII (two headers joined by
 * Node, `null`, a path), and for any other origin: the check fails closed.
 */
export function originAllowed(allowed: ReadonlySet<string>, header: string | undefined): boolean {
  if (typeof header !== 'string' || !/^[\x21-\x7e]+$/.test(header)) return false;
  const origin = normalizeOrigin(header);
  return origin !== undefined && allowed.has(origin);
}

function resolveOrigins(options: WsListenOptions | undefined): WsListenSettings['origins'] {
  const origins = optionReader.own(options, 'origins');
  if (origins === undefined) return undefined;
  if (!Array.isArray(origins)) throw new InvalidOptionError(`option origins must be an array of origins such as 'https://example.com', got ${typeof origins}`);
  const allowed = new Set<string>();
  for (const entry of origins as unknown[]) {
    // A listed origin may end with '/', as a URL copied from a browser's address bar does.
    const origin = typeof entry === 'string' ? normalizeOrigin(entry.endsWith('/') ? entry.slice(0, -1) : entry) : undefined;
    if (origin === undefined) {
      throw new InvalidOptionError(
        "option origins must list origins such as 'https://example.com' (scheme, host and optional port; no path, query or user; not null), " +
          `got ${typeof entry === 'string' ? JSON.stringify(entry) : typeof entry}`,
      );
    }
    allowed.add(origin);
  }
  return allowed;
}

function resolveTls(options: WsListenOptions | undefined): WsTlsSettings | undefined {
  const cert = pem(options, 'cert');
  const key = pem(options, 'key');
  const passphrase = text(options, 'passphrase');
  const requestCert = optionReader.boolean(options, 'requestCert', false);
  const ca = resolveCa(options);
  if (cert === undefined && key === undefined) {
    if (passphrase !== undefined) throw new InvalidOptionError('option passphrase needs cert and key');
    if (requestCert || ca !== undefined) throw new InvalidOptionError('options requestCert and ca need cert and key (a wss listener)');
    return undefined;
  }
  if (cert === undefined || key === undefined) throw new InvalidOptionError('options cert and key go together (a wss listener needs both)');
  return { cert, key, passphrase, requestCert, ca };
}

/** The `server` option: something with the shape of a Node HTTP(S) server, without TLS options of ours. */
function resolveServer(options: WsListenOptions | undefined, tls: WsTlsSettings | undefined): HttpServer | undefined {
  const server = optionReader.own(options, 'server') as Partial<HttpServer> | undefined;
  if (server === undefined) return undefined;
  if (
    typeof server !== 'object' ||
    server === null ||
    typeof server.on !== 'function' ||
    typeof server.address !== 'function' ||
    typeof server.listening !== 'boolean'
  ) {
    throw new InvalidOptionError('option server must be an http.Server or https.Server');
  }
  if (tls !== undefined) throw new InvalidOptionError('options cert and key cannot go with server: TLS is set on the https.Server given as server');
  return server as HttpServer;
}

/** Validates the options of `listen`. @throws InvalidOptionError */
export function resolveListenSettings(options: WsListenOptions | undefined, context: RemoteContext): WsListenSettings {
  const tls = resolveTls(options);
  return {
    ...resolveSettings(options, context),
    path: resolvePath(options),
    origins: resolveOrigins(options),
    authenticate: optionReader.func<WsListenOptions['authenticate']>(options, 'authenticate'),
    handshakeTimeout: optionReader.integer(options, 'handshakeTimeout', DEFAULT_HANDSHAKE_TIMEOUT, 1, MAX_DELAY),
    maxPendingHandshakes: optionReader.integer(options, 'maxPendingHandshakes', DEFAULT_MAX_PENDING_HANDSHAKES, 1, Number.MAX_SAFE_INTEGER),
    tls,
    reuseReceiveBuffer: optionReader.boolean(options, 'reuseReceiveBuffer', false),
    server: resolveServer(options, tls),
    selectProtocol: optionReader.func<WsListenOptions['selectProtocol']>(options, 'selectProtocol'),
    backlog: resolveBacklog(options),
  };
}

/** Reads `backlog` (0 to 65535, default 511), refused with `server`. @throws InvalidOptionError */
function resolveBacklog(options: WsListenOptions | undefined): number {
  const backlog = optionReader.integer(options, 'backlog', 511, 0, 65535);
  if (optionReader.own(options, 'backlog') !== undefined && optionReader.own(options, 'server') !== undefined) {
    throw new InvalidOptionError('option backlog cannot go with server: the application listened with its own backlog');
  }
  return backlog;
}

function resolveHeaders(options: WsConnectOptions | undefined): WsConnectSettings['headers'] {
  const headers = optionReader.own(options, 'headers');
  if (headers === undefined) return undefined;
  const valid = typeof headers === 'object' && headers !== null && !Array.isArray(headers) && Object.values(headers).every((v) => typeof v === 'string');
  if (!valid) throw new InvalidOptionError('option headers must be an object of strings');
  return headers as WsConnectSettings['headers'];
}

function resolveCa(options: WsConnectOptions | WsListenOptions | undefined): WsConnectSettings['ca'] {
  const ca = optionReader.own(options, 'ca');
  if (ca === undefined) return undefined;
  if (isPem(ca)) return asBuffer(ca);
  if (Array.isArray(ca) && ca.every(isPem)) return ca.map(asBuffer);
  throw new InvalidOptionError('option ca must be a PEM string or Uint8Array, or an array of them');
}

/** Validates the options of `connect`. @throws InvalidOptionError */
export function resolveConnectSettings(options: WsConnectOptions | undefined, context: RemoteContext): WsConnectSettings {
  return {
    ...resolveSettings(options, context),
    headers: resolveHeaders(options),
    ca: resolveCa(options),
    servername: text(options, 'servername'),
    rejectUnauthorized: optionReader.boolean(options, 'rejectUnauthorized', true),
    ...resolveClientCert(options),
    protocols: resolveProtocols(options),
  };
}

function resolveClientCert(options: WsConnectOptions | undefined): Pick<WsConnectSettings, 'cert' | 'key' | 'passphrase'> {
  const cert = pem(options, 'cert');
  const key = pem(options, 'key');
  const passphrase = text(options, 'passphrase');
  if ((cert === undefined) !== (key === undefined)) throw new InvalidOptionError('options cert and key go together (a client certificate needs both)');
  if (passphrase !== undefined && key === undefined) throw new InvalidOptionError('option passphrase needs cert and key');
  return { cert, key, passphrase };
}
