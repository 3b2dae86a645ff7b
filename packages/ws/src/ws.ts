import type { Transport } from '@message-io/core/adapter';
import { wsAdapter } from './adapter.js';
import { DEFAULT_MAX_PAYLOAD, type WsConnectOptions, type WsListenOptions } from './options.js';

/**
 * Ws: WebSocket, client (`ws://`, `wss://`) and server (plain or TLS), wire-compatible with the
 * Rust message-io: one binary message per send; text messages from peers arrive as their bytes.
 * Connection-oriented, packet-based, 64 MiB per message by default (`maxPayload` option).
 */
export const Ws: Transport<WsConnectOptions, WsListenOptions> = {
  name: 'Ws',
  connectionOriented: true,
  packetBased: true,
  maxMessageSize: DEFAULT_MAX_PAYLOAD,
  adapter: wsAdapter,
};
