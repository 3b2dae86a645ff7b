import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { WebSocket, type ClientOptions } from 'ws';
import {
  formatSocketAddr,
  InvalidAddressError,
  InvalidOptionError,
  isUrlAddr,
  ListenError,
  refuseUnknownOptions,
  type Adapter,
  type ListenContext,
  type Listening,
  type RemoteAddr,
  type RemoteContext,
  type SocketAddr,
} from '@message-io/core/adapter';
import { WsLocal } from './listener.js';
import { wsConnectKeys, wsListenKeys } from './option-keys.js';
import {
  resolveConnectSettings,
  resolveListenSettings,
  type WsConnectOptions,
  type WsConnectSettings,
  type WsListenOptions,
  type WsListenSettings,
} from './options.js';
import { WsRemote } from './remote.js';
import { peerCertificateOf } from '@message-io/node-net';
import { dialUrl } from './dial-url.js';

export { DEFAULT_PATH } from './defaults.js';
export { dialUrl } from './dial-url.js';

function clientOptions(settings: WsConnectSettings): ClientOptions {
  // `closeTimeout` is a ws 8.23 option that its type definitions lack.
  return {
    maxPayload: settings.maxPayload,
    perMessageDeflate: settings.perMessageDeflate,
    followRedirects: false,
    skipUTF8Validation: false,
    closeTimeout: settings.closeTimeout,
    rejectUnauthorized: settings.rejectUnauthorized,
    ...(settings.headers !== undefined && { headers: { ...settings.headers } }),
    ...(settings.ca !== undefined && { ca: settings.ca }),
    ...(settings.servername !== undefined && { servername: settings.servername }),
    ...(settings.cert !== undefined && { cert: settings.cert, key: settings.key }),
    ...(settings.passphrase !== undefined && { passphrase: settings.passphrase }),
  } as ClientOptions;
}

function createServer(settings: WsListenSettings): Server {
  const tls = settings.tls;
  if (tls === undefined) return createHttpServer();
  try {
    return createHttpsServer({
      cert: tls.cert,
      key: tls.key,
      passphrase: tls.passphrase,
      handshakeTimeout: settings.handshakeTimeout,
      requestCert: tls.requestCert,
      rejectUnauthorized: tls.requestCert,
      ...(tls.ca !== undefined && { ca: tls.ca }),
    });
  } catch (cause) {
    throw new InvalidOptionError(`options cert and key do not make a TLS server: ${(cause as Error).message}`, { cause });
  }
}

function bind(server: Server, addr: SocketAddr, backlog: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error): void => reject(new ListenError(`cannot listen on ${formatSocketAddr(addr)}: ${error.message}`, { cause: error }));
    server.once('error', failed);
    server.listen({ host: addr.host, port: addr.port, backlog }, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/**
 * Listens on the application's server (the `server` option): no port of our own. The server must
 * be listening on TCP, on the port of `addr` (or `addr` has port 0).
 */
function attach(server: Server, addr: SocketAddr, settings: WsListenSettings, context: ListenContext): Listening {
  const bound = server.address();
  if (!server.listening || bound === null) {
    throw new ListenError('the server given as option server is not listening: call server.listen() and wait for its listening event first');
  }
  if (typeof bound === 'string') throw new ListenError(`the server given as option server listens on ${bound}; Ws attaches to servers listening on TCP`);
  if (addr.port !== 0 && addr.port !== bound.port) {
    throw new InvalidAddressError(`the server given as option server listens on port ${bound.port}, not ${addr.port} (give its address, or port 0)`);
  }
  const local = new WsLocal(server, settings, context.maxBufferedBytes, context.maxConnections ?? Infinity);
  return { local, addr: { host: bound.address, port: bound.port } };
}

/** The Ws adapter: `ws` clients, and `ws` on an HTTP or HTTPS server for listeners. */
export const wsAdapter: Adapter<WsConnectOptions, WsListenOptions> = {
  connect(addr: RemoteAddr, options: WsConnectOptions | undefined, context: RemoteContext): WsRemote {
    refuseUnknownOptions(options, wsConnectKeys, 'Ws connect');
    const settings = resolveConnectSettings(options, context);
    const url = dialUrl(addr);
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, settings.protocols === undefined ? undefined : [...settings.protocols], clientOptions(settings));
    } catch (cause) {
      // `ws` throws a SyntaxError for the URL; Node throws for bad headers or TLS material.
      const message = `cannot dial ${url}: ${(cause as Error).message}`;
      throw cause instanceof SyntaxError ? new InvalidAddressError(message, { cause }) : new InvalidOptionError(message, { cause });
    }
    const remote = new WsRemote(ws, settings, context.maxBufferedBytes);
    // wss: the server's certificate, once the upgrade answered (its socket is the TLS one).
    if (url.startsWith('wss:')) ws.once('upgrade', (response) => remote.verifiedPeer(peerCertificateOf(response.socket)));
    return remote;
  },

  async listen(addr: RemoteAddr, options: WsListenOptions | undefined, context: ListenContext): Promise<Listening> {
    // Ws lists no URL schemes, so the core hands `listen` socket addresses only.
    if (isUrlAddr(addr)) throw new InvalidAddressError(`Ws listens on host:port addresses, not URLs (${addr.url})`);
    refuseUnknownOptions(options, wsListenKeys, 'Ws listen');
    const settings = resolveListenSettings(options, context);
    if (settings.server !== undefined) return attach(settings.server, addr, settings, context);
    const server = createServer(settings);
    const local = new WsLocal(server, settings, context.maxBufferedBytes, context.maxConnections ?? Infinity);
    try {
      await bind(server, addr, settings.backlog);
    } catch (error) {
      local.close();
      throw error;
    }
    const bound = server.address();
    if (bound === null || typeof bound === 'string') {
      local.close();
      throw new ListenError('the server has no address');
    }
    local.serveHandles();
    return { local, addr: { host: bound.address, port: bound.port } };
  },
};
