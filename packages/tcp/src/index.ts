/**
 * @message-io/tcp: the Tcp (raw stream) and FramedTcp (length-prefixed messages) transports.
 */
export { FramedTcp } from './framed-tcp.js';
export { Tcp } from './tcp.js';
export { FrameDecoder } from './decoder.js';
export { encodeVarint, varintLength, writeVarint, MAX_VARINT_BYTES } from './varint.js';
export {
  DEFAULT_MAX_MESSAGE_SIZE,
  type FramedTcpConnectOptions,
  type FramedTcpListenOptions,
  type TcpConnectOptions,
  type TcpListenOptions,
} from './options.js';
export { DEFAULT_TLS_HANDSHAKE_TIMEOUT, type Pem, type TcpTlsConnectOptions, type TcpTlsListenOptions, type TlsVersion } from './tls.js';
