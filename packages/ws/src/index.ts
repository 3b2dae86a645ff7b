/**
 * @message-io/ws: the Ws transport (WebSocket client and server, plain and TLS), on `ws`.
 */
export { Ws } from './ws.js';
export { DEFAULT_PATH } from './adapter.js';
export {
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_MAX_PAYLOAD,
  DEFAULT_MAX_PENDING_HANDSHAKES,
  type WsCommonOptions,
  type WsConnectOptions,
  type WsHandshake,
  type WsListenOptions,
} from './options.js';
