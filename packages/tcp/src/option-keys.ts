import { commonOptionKeys, connectionLimitKeys, reconnectKeys } from '@message-io/core/adapter';
import type { FramedTcpConnectOptions, FramedTcpListenOptions, TcpConnectOptions, TcpListenOptions } from './options.js';

// Typed against the option interfaces: an option added to one of them without being listed here
// does not compile, so the runtime lists cannot drift from the types.

/** The options `connect` takes with Tcp. */
export const tcpConnectKeys: Readonly<Record<keyof TcpConnectOptions, true>> = {
  ...commonOptionKeys,
  ...reconnectKeys,
  noDelay: true,
  keepAlive: true,
  sourceAddress: true,
  lookup: true,
  idleTimeout: true,
  reuseReceiveBuffer: true,
  tls: true,
};

/** The options `listen` takes with Tcp. */
export const tcpListenKeys: Readonly<Record<keyof TcpListenOptions, true>> = {
  ...commonOptionKeys,
  ...connectionLimitKeys,
  noDelay: true,
  keepAlive: true,
  backlog: true,
  ipv6Only: true,
  lookup: true,
  idleTimeout: true,
  reuseReceiveBuffer: true,
  tls: true,
};

/** The options `connect` takes with FramedTcp. */
export const framedTcpConnectKeys: Readonly<Record<keyof FramedTcpConnectOptions, true>> = { ...tcpConnectKeys, maxMessageSize: true, messageTimeout: true };

/** The options `listen` takes with FramedTcp. */
export const framedTcpListenKeys: Readonly<Record<keyof FramedTcpListenOptions, true>> = { ...tcpListenKeys, maxMessageSize: true, messageTimeout: true };
