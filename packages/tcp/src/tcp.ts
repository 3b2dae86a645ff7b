import type { Transport } from '@message-io/core/adapter';
import { tcpAdapter } from './adapter.js';
import type { TcpConnectOptions, TcpListenOptions } from './options.js';

/**
 * Tcp: a raw byte stream, as in the Rust message-io. Each received chunk is one `message`;
 * message boundaries are not kept. Connection-oriented, not packet-based, no size limit.
 */
export const Tcp: Transport<TcpConnectOptions, TcpListenOptions> = {
  name: 'Tcp',
  connectionOriented: true,
  packetBased: false,
  maxMessageSize: Infinity,
  adapter: tcpAdapter(false),
};
