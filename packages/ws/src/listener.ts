import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { getDefaultHighWaterMark, type Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type VerifyClientCallbackAsync, type WebSocket } from 'ws';
import { formatSocketAddr, type Acceptor, type Local, type LocalWatch, type RefuseReason } from '@message-io/core/adapter';
import { acceptHandles, forgetCachedPeer, peerCertificateOf, peerOf, readUpgradedInPlace, reportTlsFailures, takeOverSocket } from '@message-io/node-net';
import { asksUpgrade, HandleHandshakes, incomingMessage, type HandleRequest } from './handle-upgrade.js';
import { originAllowed, type WsHandshake, type WsListenSettings } from './options.js';
import { handleOnReadFor, onReadFor, WsRemote } from './remote.js';
import { WsHandleSocket } from './ws-internals.js';

type Verify = Parameters<VerifyClientCallbackAsync>[1];

/** Why a handshake answered with an HTTP status was refused. */
function reasonOf(status: number): RefuseReason {
  if (status === 503) return 'limit';
  if (status === 404) return 'path';
  if (status === 403) return 'origin';
  return 'authenticate'; // 401, or 500 for a hook that failed
}

/** Our listeners attached to each application server (the `server` option), and the one `upgrade` handler that serves them. */
const attachedTo = new WeakMap<Server, { readonly locals: Set<WsLocal>; readonly upgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void }>();

/** The path of a request target, without its query. */
function pathOf(request: IncomingMessage): string {
  const target = request.url ?? '/';
  const query = target.indexOf('?');
  return query < 0 ? target : target.slice(0, query);
}

/**
 * Attaches `local` to the application's `server`: the first attached listener whose `path` takes
 * an upgrade request gets it; one that none takes is left to the server's other `upgrade`
 * handlers, or answered 404 when there are none (else nobody would ever end that socket).
 */
function attach(server: Server, local: WsLocal): void {
  let entry = attachedTo.get(server);
  if (entry === undefined) {
    const locals = new Set<WsLocal>();
    const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      for (const candidate of locals) if (candidate.takes(request)) return candidate.upgradeAttached(request, socket, head);
      if (server.listenerCount('upgrade') > 1) return;
      socket.on('error', ignoreError);
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
    };
    entry = { locals, upgrade };
    attachedTo.set(server, entry);
    server.on('upgrade', upgrade);
  }
  entry.locals.add(local);
}

/** Detaches `local` from the application's `server`; the last one removes the `upgrade` handler. */
function detach(server: Server, local: WsLocal): void {
  const entry = attachedTo.get(server);
  if (entry === undefined || !entry.locals.delete(local) || entry.locals.size > 0) return;
  server.off('upgrade', entry.upgrade);
  attachedTo.delete(server);
}

/** What the `authenticate` and `selectProtocol` hooks are told about an upgrade request. */
function handshakeOf(request: IncomingMessage, target: string, secure: boolean): WsHandshake {
  const { remoteAddress, remotePort } = request.socket;
  const addr = formatSocketAddr({ host: remoteAddress ?? '', port: remotePort ?? 0 });
  return { path: target, headers: request.headers, addr, secure, request, peerCertificate: peerCertificateOf(request.socket) };
}

/** Keeps a socket's errors from crashing the process until `ws` listens to them (or it closes). */
function ignoreError(): void {}

const EMPTY = Buffer.alloc(0);
const PLAIN_REQUEST_BODY = 'Upgrade Required: this is a WebSocket endpoint\n';

/** What {@link answerAndClose} uses of a socket: a `net.Socket`'s, a TLS socket's or a WsHandleSocket's. */
interface Answerable {
  once(event: 'finish', listener: () => void): unknown;
  end(response: string): unknown;
  destroy(): unknown;
}

/** Writes `response` (a whole HTTP answer), ends the socket, and destroys it once the answer is out. */
function answerAndClose(socket: Answerable, response: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(response);
}

/**
 * The addresses of both ends of an accepted TCP socket, which the TLS socket made on it shares
 * (and no other open socket does). Undefined once the socket has closed.
 */
function connectionKey(socket: Socket): string | undefined {
  const { localAddress, localPort, remoteAddress, remotePort } = socket;
  if (localAddress === undefined || remoteAddress === undefined) return undefined;
  return `${localAddress} ${String(localPort)} ${remoteAddress} ${String(remotePort)}`;
}

/**
 * A socket in its HTTP upgrade: its deadline, and the listener that ends it if the socket closes
 * first. `socket` changes when the upgrade moves the stream into a socket that reads into the
 * shared buffer; the deadline stays.
 */
interface Handshake {
  socket: Duplex;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly onClose: () => void;
}

/**
 * A Ws listener: an HTTP (or HTTPS) server whose upgrade requests `ws` completes. Every socket is
 * destroyed if its upgrade is not complete within `handshakeTimeout`; plain HTTP requests get 426.
 * At most `maxPendingHandshakes` sockets are between their TCP connection and a completed upgrade:
 * past that a new one is destroyed as it is accepted. Only completed upgrades reach the core,
 * already open.
 *
 * Attached to the application's server (the `server` option), it owns neither the server nor its
 * HTTP requests: it takes the upgrade requests its `path` accepts, times their handshake from the
 * upgrade request, and never closes the server.
 */
export class WsLocal implements Local {
  private readonly handshakes = new Map<Duplex, Handshake>();
  /**
   * On a TLS listener, the TCP sockets accepted and still in their TLS handshake, by
   * {@link connectionKey}: pending too, with `handshakes`, for `maxPendingHandshakes`.
   */
  private readonly inTls = new Map<string, Socket>();
  private readonly wss: WebSocketServer;
  private acceptor: Acceptor | undefined;
  private closed = false;
  /** Upgraded connections handed to the core and not closed yet, for `maxConnections`. */
  private live = 0;
  /** True on the application's server (the `server` option). */
  private readonly attached: boolean;
  /** Attached: reports the server's close to the core. */
  private serverClosed: (() => void) | undefined;
  /** The connections accepted on their handle and not upgraded yet, when this listener takes them so ({@link serveHandles}). */
  private handleHandshakes: HandleHandshakes | undefined;

  /** `maxConnections`: `Infinity` for no limit; past it a handshake is answered 503 before the upgrade. */
  constructor(
    private readonly server: Server,
    private readonly settings: WsListenSettings,
    private readonly cap: number,
    private readonly maxConnections: number = Infinity,
  ) {
    const needsVerify = settings.path !== undefined || settings.origins !== undefined || settings.authenticate !== undefined || maxConnections !== Infinity;
    // `closeTimeout` is a ws 8.23 option that its type definitions lack.
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: settings.maxPayload,
      perMessageDeflate: settings.perMessageDeflate,
      skipUTF8Validation: false,
      closeTimeout: settings.closeTimeout,
      ...(needsVerify && { verifyClient: this.verify }),
      ...(settings.selectProtocol !== undefined && { handleProtocols: this.chooseProtocol }),
    } as ConstructorParameters<typeof WebSocketServer>[0]);
    this.wss.on('error', () => undefined);
    // A request `ws` finds malformed (not GET, a bad key or version): answered here, so that it is counted.
    this.wss.on('wsClientError', this.malformed);
    this.attached = settings.server !== undefined;
    if (this.attached) {
      attach(server, this);
      return;
    }
    server.on('connection', this.admit);
    if (settings.tls !== undefined) server.on('secureConnection', this.secured);
    server.on('request', this.refuseRequest);
    server.on('upgrade', this.upgrade);
  }

  source(watch: LocalWatch): void {
    if (!this.attached) {
      this.server.on('error', (error) => watch.closed(error));
      return;
    }
    this.serverClosed = () => watch.closed();
    this.server.once('close', this.serverClosed);
  }

  /** Attached: true when this listener takes `request` (its `path` accepts it, or it has none). */
  takes(request: IncomingMessage): boolean {
    const path = this.settings.path;
    return path === undefined || path(pathOf(request));
  }

  /** Attached: an upgrade request this listener takes. Its handshake starts now, within `maxPendingHandshakes`. */
  upgradeAttached(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed || this.pendingCount() >= this.settings.maxPendingHandshakes) {
      this.refuse(socket, 'limit', `maxPendingHandshakes (${this.settings.maxPendingHandshakes})`);
      socket.destroy();
      return;
    }
    this.startHandshake(socket);
    this.upgrade(request, socket, head);
  }

  /**
   * Called once our own server listens: a listener without TLS or `perMessageDeflate` takes its
   * connections on their libuv handle (node-net's `acceptHandles`, design note 0020), and reads
   * their upgrade request itself, where this Node allows it. Otherwise (or if it cannot) Node's
   * HTTP server reads them.
   */
  serveHandles(): void {
    const { tls, perMessageDeflate, handshakeTimeout, reuseReceiveBuffer } = this.settings;
    if (this.attached || this.closed || tls !== undefined || perMessageDeflate) return;
    const handshakes = new HandleHandshakes(handshakeTimeout, this.handshakeEvents);
    if (acceptHandles(this.server, handleOnReadFor(reuseReceiveBuffer), getDefaultHighWaterMark(false), this.admitHandle, WsHandleSocket)) {
      this.handleHandshakes = handshakes;
    }
  }

  accept(acceptor: Acceptor): void {
    this.acceptor = acceptor;
    if (this.settings.tls !== undefined && !this.attached) reportTlsFailures(this.server, acceptor);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.attached) {
      detach(this.server, this);
      if (this.serverClosed !== undefined) this.server.off('close', this.serverClosed);
    } else this.server.close();
    this.wss.close();
    for (const [socket, { timer }] of this.handshakes) {
      clearTimeout(timer);
      socket.destroy();
    }
    this.handshakes.clear();
    this.handleHandshakes?.closeAll();
    for (const socket of this.inTls.values()) socket.destroy();
    this.inTls.clear();
  }

  /**
   * A TCP socket was accepted. With `maxPendingHandshakes` sockets pending already, it is destroyed
   * at once. Else its upgrade starts (plain), or it counts as pending until its TLS handshake ends
   * (TLS: Node's own `handshakeTimeout` bounds that, then {@link secured} takes over).
   */
  private readonly admit = (socket: Socket): void => {
    if (this.closed || this.pendingCount() >= this.settings.maxPendingHandshakes) {
      this.refuse(socket, 'limit', `maxPendingHandshakes (${this.settings.maxPendingHandshakes})`);
      socket.destroy();
      return;
    }
    if (this.settings.tls === undefined) {
      this.startHandshake(socket);
      return;
    }
    const key = connectionKey(socket);
    if (key === undefined) {
      socket.destroy();
      return;
    }
    this.inTls.set(key, socket);
    socket.once('close', () => {
      if (this.inTls.get(key) === socket) this.inTls.delete(key);
    });
  };

  /** Connections accepted and not upgraded yet: in their TLS handshake, or before or in their upgrade request. */
  private pendingCount(): number {
    return this.handshakes.size + this.inTls.size + (this.handleHandshakes?.size ?? 0);
  }

  /** A connection accepted on its handle: pending until upgraded, or destroyed at once past `maxPendingHandshakes`. */
  private readonly admitHandle = (socket: WsHandleSocket): void => {
    if (this.closed || this.pendingCount() >= this.settings.maxPendingHandshakes) {
      this.refuse(socket, 'limit', `maxPendingHandshakes (${this.settings.maxPendingHandshakes})`);
      socket.destroy();
      return;
    }
    this.handleHandshakes!.add(socket);
  };

  /** What the handshakes of connections accepted on their handle tell this listener. */
  private readonly handshakeEvents = {
    /** A whole request: a plain one is answered 426; an upgrade request goes to `ws` (which checks it, then our `verify`). */
    requested: (socket: WsHandleSocket, request: HandleRequest, rest: Buffer): void => {
      if (this.closed) return void socket.destroy();
      if (!asksUpgrade(request)) {
        this.refuse(socket, 'protocol', 'HTTP 426: a plain HTTP request');
        const headers = `Connection: close\r\nUpgrade: websocket\r\nContent-Type: text/plain\r\nContent-Length: ${PLAIN_REQUEST_BODY.length}`;
        answerAndClose(socket, `HTTP/1.1 426 Upgrade Required\r\n${headers}\r\n\r\n${PLAIN_REQUEST_BODY}`);
        return;
      }
      // `ws` reads `method`, `url`, `headers` and `socket` of a request, and answers a bad one
      // through `malformed`; the hooks are handed Node's request object, made for them.
      const { authenticate, selectProtocol } = this.settings;
      const forWs = authenticate === undefined && selectProtocol === undefined ? (request as unknown as IncomingMessage) : incomingMessage(request);
      this.wss.handleUpgrade(forWs, socket as unknown as Duplex, EMPTY, (ws: WebSocket) => this.upgradedHandle(ws, socket, rest));
    },
    /** A request that cannot be read: answered as Node's HTTP server answers it, and counted. */
    malformed: (socket: WsHandleSocket, status: 400 | 431, detail: string): void => {
      this.refuse(socket, 'protocol', `HTTP ${status}: ${detail}`);
      answerAndClose(socket, `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : 'Request Header Fields Too Large'}\r\nConnection: close\r\n\r\n`);
    },
    /** Not upgraded within `handshakeTimeout`. */
    expired: (socket: WsHandleSocket): void => {
      this.refuse(socket, 'timeout', `handshakeTimeout (${this.settings.handshakeTimeout} ms)`);
    },
  };

  /**
   * `ws` upgraded a connection accepted on its handle: it reads into the shared buffer from the
   * start; `rest` (bytes that came with the request) goes to it first.
   */
  private upgradedHandle(ws: WebSocket, socket: WsHandleSocket, rest: Buffer): void {
    const acceptor = this.acceptor;
    // A WsHandleSocket has what a WsRemote uses of a Duplex (write, cork, pause, `readableLength`, events).
    const remote = new WsRemote(ws, this.settings, this.cap, socket as unknown as Duplex, true, this.settings.reuseReceiveBuffer);
    if (this.handleHandshakes?.done(socket) !== true || this.closed || acceptor === undefined) {
      ws.terminate();
      return;
    }
    this.countLive(ws);
    acceptor.remote(remote, { host: socket.remoteAddress, port: socket.remotePort });
    if (rest.length > 0 && !remote.take(socket, rest)) socket.emit('data', rest);
  }

  /** A client completed its TLS handshake: it leaves `inTls`, and its upgrade starts. */
  private readonly secured = (socket: TLSSocket): void => {
    const key = connectionKey(socket);
    if (key !== undefined) this.inTls.delete(key);
    this.startHandshake(socket);
  };

  private readonly startHandshake = (socket: Duplex): void => {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.on('error', ignoreError);
    const handshake: Handshake = {
      socket,
      timer: setTimeout(() => {
        this.refuse(handshake.socket, 'timeout', `handshakeTimeout (${this.settings.handshakeTimeout} ms)`);
        handshake.socket.destroy();
      }, this.settings.handshakeTimeout),
      onClose: () => void this.endHandshake(handshake.socket),
    };
    handshake.timer.unref();
    this.handshakes.set(socket, handshake);
    socket.once('close', handshake.onClose);
  };

  /**
   * Ends a socket's handshake: its timer and listeners go (past the upgrade, `ws` listens to the
   * socket's errors). False when it had ended already.
   */
  private endHandshake(socket: Duplex): boolean {
    const handshake = this.handshakes.get(socket);
    if (handshake === undefined) return false;
    clearTimeout(handshake.timer);
    this.handshakes.delete(socket);
    socket.removeListener('close', handshake.onClose);
    socket.removeListener('error', ignoreError);
    return true;
  }

  private readonly upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (this.closed || !this.handshakes.has(socket)) {
      socket.destroy();
      return;
    }
    const reading = this.readShared(socket);
    const upgraded = reading ?? socket;
    const readsShared = reading !== undefined;
    this.wss.handleUpgrade(request, upgraded, head, (ws: WebSocket) => this.upgraded(ws, upgraded, request, readsShared));
  };

  /**
   * Makes a plain (not TLS) socket whose HTTP request was just read read into the receive buffer
   * shared by Ws connections: in place (node-net's `readUpgradedInPlace`), or else by moving its
   * stream into a socket that does (`takeOverSocket`, design note 0008), keeping its handshake
   * deadline. Undefined, changing nothing, when it cannot.
   */
  private readShared(socket: Duplex): Socket | undefined {
    if (this.settings.tls !== undefined || !(socket instanceof Socket) || (socket as Partial<TLSSocket>).encrypted === true || socket.readableLength !== 0) {
      return undefined;
    }
    const onread = onReadFor(this.settings.reuseReceiveBuffer);
    if (readUpgradedInPlace(socket, { onread })) return socket;
    // Read now, so that Node caches them: past the move the old socket (still the request's) has no
    // stream to ask, and `upgraded` and `authenticate` read them from the request.
    if (socket.remoteAddress === undefined) return undefined;
    const reading = takeOverSocket(socket, { onread });
    const handshake = this.handshakes.get(socket);
    if (reading === undefined || handshake === undefined) return reading;
    this.handshakes.delete(socket);
    socket.removeListener('close', handshake.onClose);
    socket.removeListener('error', ignoreError);
    handshake.socket = reading;
    this.handshakes.set(reading, handshake);
    reading.on('error', ignoreError);
    reading.once('close', handshake.onClose);
    return reading;
  }

  private upgraded(ws: WebSocket, socket: Duplex, request: IncomingMessage, readsShared: boolean): void {
    const { remoteAddress: host, remotePort: port } = request.socket;
    // The endpoint keeps the address: the copy Node cached on the socket is not needed (~90 bytes).
    if (request.socket instanceof Socket) forgetCachedPeer(request.socket);
    const acceptor = this.acceptor;
    const remote = new WsRemote(ws, this.settings, this.cap, socket, readsShared, readsShared && this.settings.reuseReceiveBuffer);
    if (this.settings.tls?.requestCert === true || this.attached) remote.verifiedPeer(peerCertificateOf(request.socket));
    if (!this.endHandshake(socket) || this.closed || acceptor === undefined || host === undefined || port === undefined) {
      ws.terminate();
      return;
    }
    this.countLive(ws);
    acceptor.remote(remote, { host, port });
  }

  /** Under `maxConnections`: `ws` is one more live connection until it closes. */
  private countLive(ws: WebSocket): void {
    if (this.maxConnections === Infinity) return;
    this.live++;
    ws.once('close', () => this.live--);
  }

  /** `selectProtocol` (through `ws`'s `handleProtocols`): its choice if it is one offered; else, or on a throw, none. */
  private readonly chooseProtocol = (offered: Set<string>, request: IncomingMessage): string | false => {
    try {
      const secure = (request.socket as Partial<TLSSocket>).encrypted === true;
      const chosen: unknown = this.settings.selectProtocol?.([...offered], handshakeOf(request, request.url ?? '/', secure));
      return typeof chosen === 'string' && offered.has(chosen) ? chosen : false;
    } catch {
      return false;
    }
  };

  private readonly verify = (info: { req: IncomingMessage; secure: boolean }, done: Verify): void => {
    let answer: boolean | number | Promise<boolean>;
    try {
      answer = this.decide(info.req, info.secure);
    } catch {
      answer = 500;
    }
    const refused = (status: number): void => {
      this.refuse(info.req.socket, reasonOf(status), `HTTP ${status}`);
      done(false, status);
    };
    if (typeof answer === 'number') return refused(answer);
    if (answer === true) return done(true);
    Promise.resolve(answer).then(
      // Only `true` accepts and only `false` is a 401: any other value is the hook's mistake.
      (accepted) => (accepted === true ? done(true) : refused(accepted === false ? 401 : 500)),
      () => refused(500),
    );
  };

  /** Tells the core of a peer turned away (nothing once the listener closed). */
  private refuse(socket: Duplex | WsHandleSocket, reason: RefuseReason, detail: string): void {
    if (!this.closed) this.acceptor?.refused({ reason, ...peerOf(socket as Partial<Socket>), detail });
  }

  /** A plain HTTP request to a listener of its own: answered 426, and counted. */
  private readonly refuseRequest = (request: IncomingMessage, response: ServerResponse): void => {
    this.refuse(request.socket, 'protocol', 'HTTP 426: a plain HTTP request');
    const body = PLAIN_REQUEST_BODY;
    response.writeHead(426, { Connection: 'close', Upgrade: 'websocket', 'Content-Type': 'text/plain', 'Content-Length': body.length });
    response.end(body);
  };

  /** An upgrade request `ws` found malformed: 405 for a method other than GET, else 400, as `ws` itself answers. */
  private readonly malformed = (error: Error, socket: Duplex, request: IncomingMessage): void => {
    const status = request.method === 'GET' ? 400 : 405;
    this.refuse(socket, 'protocol', `HTTP ${status}: ${error.message}`);
    const body = `${error.message}\n`;
    answerAndClose(
      socket,
      `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : 'Method Not Allowed'}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };

  /**
   * 404 for a path the filter refuses, 403 for an Origin that `origins` does not list, else the
   * `authenticate` hook's answer (true without one).
   */
  private decide(request: IncomingMessage, secure: boolean): boolean | number | Promise<boolean> {
    const { path, origins, authenticate } = this.settings;
    // Full: 503 before anything else is looked at (the core would close the connection anyway).
    if (this.live >= this.maxConnections) return 503;
    const target = request.url ?? '/';
    if (path !== undefined && !path(pathOf(request))) return 404;
    if (origins !== undefined && !originAllowed(origins, request.headers.origin)) return 403;
    if (authenticate === undefined) return true;
    const answer: unknown = authenticate(handshakeOf(request, target, secure));
    // A hook written in JavaScript may return anything: a number must not become the HTTP status
    // (`ws` throws on some and sends a success line for others). Only booleans and promises pass.
    if (typeof answer === 'boolean') return answer;
    if (typeof (answer as PromiseLike<unknown> | null)?.then === 'function') return answer as Promise<boolean>;
    return 500;
  }
}
