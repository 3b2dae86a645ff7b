import { createServer, type LookupFunction, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type ConnectionOptions, type TlsOptions } from 'node:tls';
import { readingSocket, type StreamSocket } from '@message-io/node-net';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  IdleTimeoutError,
  InvalidAddressError,
  InvalidOptionError,
  ListenError,
  isUrlAddr,
  optionReader,
  refuseUnknownOptions,
  type Adapter,
  type ListenContext,
  type Listening,
  type RemoteAddr,
  type RemoteContext,
  type SocketAddr,
} from '@message-io/core/adapter';
import { TcpLocal } from './listener.js';
import { framedTcpConnectKeys, framedTcpListenKeys, tcpConnectKeys, tcpListenKeys } from './option-keys.js';
import { resolveSocketSettings, resolveSourceAddress, type FramedTcpConnectOptions, type FramedTcpListenOptions, type SocketSettings } from './options.js';
import { FramedTcpRemote, onReadFor, TcpRemote, type RemoteSettings } from './remote.js';
import { resolveTlsConnect, resolveTlsListen } from './tls.js';

/**
 * A socket's high-water mark: at most the cap, so that a queue reaching the cap has made `write`
 * return false and a `'drain'` will follow; at most 64 KiB, so that a paused socket holds little.
 */
function highWaterMark(context: RemoteContext): number {
  return Math.min(context.maxBufferedBytes, 64 * 1024);
}

function configure(socket: StreamSocket, settings: SocketSettings): void {
  socket.setNoDelay(settings.noDelay);
  if (settings.keepAlive) socket.setKeepAlive(true, settings.keepAliveDelay);
  if (settings.idleTimeout > 0) {
    socket.setTimeout(settings.idleTimeout, () => {
      socket.destroy(new IdleTimeoutError(`no byte read or written for ${settings.idleTimeout} ms`));
    });
  }
}

async function resolveHost(host: string, lookup: LookupFunction | undefined): Promise<string> {
  if (isIP(host) !== 0) return host;
  if (lookup === undefined) return (await dnsLookup(host)).address;
  return new Promise((resolve, reject) => {
    lookup(host, {}, (error, address) => {
      if (error) reject(error);
      else if (typeof address === 'string') resolve(address);
      else reject(new Error(`no address for ${host}`));
    });
  });
}

interface BindSettings {
  readonly backlog: number;
  readonly ipv6Only: boolean;
}

/** A plain server, or a TLS one (which throws InvalidOptionError for TLS material Node refuses). */
function makeServer(settings: SocketSettings, tls: TlsOptions | undefined, context: RemoteContext): Server {
  if (tls === undefined) {
    // Accepted sockets wait, unread, for the listener to re-wrap them (TcpLocal) or for `receive`.
    return createServer({ highWaterMark: highWaterMark(context), noDelay: settings.noDelay, pauseOnConnect: true });
  }
  try {
    return createTlsServer({ ...tls, highWaterMark: highWaterMark(context), noDelay: settings.noDelay });
  } catch (cause) {
    throw new InvalidOptionError(`option tls does not make a TLS server: ${(cause as Error).message}`, { cause });
  }
}

function bind(server: Server, bindSettings: BindSettings, host: string, port: number) {
  const { backlog, ipv6Only } = bindSettings;
  return new Promise<Server>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog, ipv6Only }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Builds the adapter of Tcp (`framed = false`) or FramedTcp (`framed = true`). */
export function tcpAdapter(framed: boolean): Adapter<FramedTcpConnectOptions, FramedTcpListenOptions> {
  const Connection = framed ? FramedTcpRemote : TcpRemote;
  const name = framed ? 'FramedTcp' : 'Tcp';
  const connectKeys = framed ? framedTcpConnectKeys : tcpConnectKeys;
  const listenKeys = framed ? framedTcpListenKeys : tcpListenKeys;
  // The settings of the last outgoing connection, shared by the next ones alike.
  let clientSettings: RemoteSettings | undefined;
  const clientSettingsFor = (settings: SocketSettings, context: RemoteContext): RemoteSettings => {
    const { maxMessageSize, reuseReceiveBuffer: lend, messageTimeout } = settings;
    const { linger } = context;
    const same =
      clientSettings?.maxMessageSize === maxMessageSize &&
      clientSettings.linger === linger &&
      clientSettings.lend === lend &&
      clientSettings.messageTimeout === messageTimeout;
    if (!same) clientSettings = { maxMessageSize, linger, readsShared: true, lend, messageTimeout };
    return clientSettings!;
  };

  /** An outgoing TLS connection: ready once its handshake is done; its messages always own their bytes. */
  const connectTls = (addr: SocketAddr, tls: ConnectionOptions, source: SocketAddr | undefined, settings: SocketSettings, context: RemoteContext) => {
    let socket: Socket;
    try {
      socket = tlsConnect({
        ...tls,
        host: addr.host,
        port: addr.port,
        highWaterMark: highWaterMark(context),
        ...(source !== undefined && { localAddress: source.host, localPort: source.port }),
        ...(settings.lookup !== undefined && { lookup: settings.lookup }),
      } as ConnectionOptions); // Node passes highWaterMark to the socket; its types leave it out
    } catch (cause) {
      throw new InvalidOptionError(`option tls does not make a TLS connection: ${(cause as Error).message}`, { cause });
    }
    const remoteSettings: RemoteSettings = {
      maxMessageSize: settings.maxMessageSize,
      messageTimeout: settings.messageTimeout,
      linger: context.linger,
      readsShared: false,
      lend: false,
      writableAt: context.maxBufferedBytes,
    };
    const remote = new Connection(socket, remoteSettings, true);
    configure(socket, settings);
    return remote;
  };

  return {
    connect(addr: RemoteAddr, options: FramedTcpConnectOptions | undefined, context: RemoteContext) {
      if (isUrlAddr(addr)) throw new InvalidAddressError(`Tcp connects to host:port addresses, not URLs (${addr.url})`);
      // Settings first: they refuse maxMessageSize on Tcp with a message of their own.
      const settings = resolveSocketSettings(options, framed);
      refuseUnknownOptions(options, connectKeys, `${name} connect`);
      const source = resolveSourceAddress(options);
      const tls = resolveTlsConnect(options);
      if (tls !== undefined) return connectTls(addr, tls, source, settings, context);
      // The socket reads into the receive buffer shared by every connection (`onread`).
      const socket = readingSocket({ writableHighWaterMark: highWaterMark(context), onread: onReadFor(settings.reuseReceiveBuffer) });
      const remote = new Connection(socket, clientSettingsFor(settings, context));
      socket.connect({
        host: addr.host,
        port: addr.port,
        ...(source !== undefined && { localAddress: source.host, localPort: source.port }),
        ...(settings.lookup !== undefined && { lookup: settings.lookup }),
      });
      configure(socket, settings);
      return remote;
    },

    async listen(addr: SocketAddr, options: FramedTcpListenOptions | undefined, context: ListenContext): Promise<Listening> {
      const settings = resolveSocketSettings(options, framed);
      const lend = settings.reuseReceiveBuffer;
      refuseUnknownOptions(options, listenKeys, `${name} listen`);
      const bindSettings: BindSettings = {
        backlog: optionReader.integer(options, 'backlog', 511, 0, 65535),
        ipv6Only: optionReader.boolean(options, 'ipv6Only', false),
      };
      const tls = resolveTlsListen(options);
      const server = makeServer(settings, tls, context);
      // A TLS socket reads through Node's TLS layer: it cannot read into the shared buffer.
      const reading = tls === undefined ? { onread: onReadFor(lend), writableHighWaterMark: highWaterMark(context) } : undefined;
      // Past maxConnections a server of sockets closes a new connection before it builds a socket
      // for it (taken-over sockets keep Node's count, node-net). Connections served on their
      // handle (node-net's HandleSocket, cheap to build) are refused by the core, which counts
      // them too: it closes one past the limit as it arrives, with the same refusal.
      const maxConnections = context.maxConnections ?? Infinity;
      if (maxConnections !== Infinity && reading === undefined) server.maxConnections = maxConnections;
      let host: string;
      try {
        host = await resolveHost(addr.host, settings.lookup);
      } catch (cause) {
        throw new ListenError(`cannot resolve ${addr.host}`, { cause });
      }
      try {
        await bind(server, bindSettings, host, addr.port);
      } catch (cause) {
        throw new ListenError(`cannot listen on ${host}:${addr.port}: ${(cause as Error).message}`, { cause });
      }
      const bound = server.address();
      // Shared by the listener's connections: one for those that read into the shared buffer, one
      // for those that cannot (a Node that does not allow it: they read `'data'` chunks, the user's).
      const { maxMessageSize, messageTimeout } = settings;
      const readingShared: RemoteSettings = { maxMessageSize, linger: context.linger, readsShared: true, lend, messageTimeout };
      const readingData: RemoteSettings = {
        maxMessageSize,
        messageTimeout,
        linger: context.linger,
        readsShared: false,
        lend: false,
        ...(tls !== undefined && { writableAt: context.maxBufferedBytes }),
      };
      const local = new TcpLocal(
        server,
        reading,
        (socket, readsShared) => {
          configure(socket, settings);
          return new Connection(socket, readsShared ? readingShared : readingData);
        },
        tls !== undefined,
        // Plain connections are served on their handle (node-net's HandleSocket, design note 0019).
        reading !== undefined,
      );
      if (bound === null || typeof bound === 'string') throw new ListenError('the server has no address');
      return { local, addr: { host: bound.address, port: bound.port } };
    },
  };
}
