import type { Transport } from '@message-io/core/adapter';
import { tcpAdapter } from './adapter.js';
import { DEFAULT_MAX_MESSAGE_SIZE, type FramedTcpConnectOptions, type FramedTcpListenOptions } from './options.js';

/**
 * FramedTcp: TCP with each message behind an unsigned LEB128 length prefix, wire-compatible with
 * the Rust message-io. Every message arrives whole and in order. Connection-oriented,
 * packet-based, 64 MiB per message by default (`maxMessageSize` option).
 */
export const FramedTcp: Transport<FramedTcpConnectOptions, FramedTcpListenOptions> = {
  name: 'FramedTcp',
  connectionOriented: true,
  packetBased: true,
  maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
  adapter: tcpAdapter(true),
};
