/**
 * @message-io/ws for browsers (the `browser` condition of the package's exports): the Ws client on
 * the browser's own `WebSocket`. No `ws`, no Node built-ins. `connect` dials `ws://` and `wss://`
 * URLs (a socket address becomes `ws://{addr}/message-io-default`); `listen` rejects with
 * `UnsupportedError`, since a page cannot accept connections.
 */
import type { Transport } from '@message-io/core/adapter';
import { browserWsAdapter } from './browser-adapter.js';
import { DEFAULT_MAX_PAYLOAD } from './defaults.js';
import type { WsConnectOptions, WsListenOptions } from './options.js';

export { DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_PENDING_HANDSHAKES, DEFAULT_PATH } from './defaults.js';
export type { WsCommonOptions, WsConnectOptions, WsHandshake, WsListenOptions } from './options.js';

/**
 * Ws in a browser: a WebSocket client, connection-oriented and packet-based, 64 MiB per message
 * by default (`maxPayload`). One send is one binary message; text from the server arrives as its
 * UTF-8 bytes. The same value as Node's `Ws` to the code that uses it.
 */
export const Ws: Transport<WsConnectOptions, WsListenOptions> = {
  name: 'Ws',
  connectionOriented: true,
  packetBased: true,
  maxMessageSize: DEFAULT_MAX_PAYLOAD,
  adapter: browserWsAdapter,
};
