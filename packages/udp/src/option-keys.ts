import { commonOptionKeys } from '@message-io/core/adapter';
import type { UdpConnectOptions, UdpListenOptions, UdpSocketOptions } from './options.js';

// Typed against the option interfaces: an option added to one of them without being listed here
// does not compile, so the runtime lists cannot drift from the types.

const socketKeys: Record<keyof UdpSocketOptions, true> = {
  reuseAddr: true,
  reusePort: true,
  broadcast: true,
  multicastInterface: true,
  multicastTtl: true,
  multicastLoopback: true,
  sendBufferSize: true,
  recvBufferSize: true,
  maxMessageSize: true,
  lookup: true,
  onError: true,
};

/** The options `connect` takes with Udp. */
export const udpConnectKeys: Readonly<Record<keyof UdpConnectOptions, true>> = { ...commonOptionKeys, ...socketKeys, sourceAddress: true };

/** The options `listen` takes with Udp. */
export const udpListenKeys: Readonly<Record<keyof UdpListenOptions, true>> = { ...commonOptionKeys, ...socketKeys, ipv6Only: true };
