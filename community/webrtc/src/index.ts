/**
 * message-io-webrtc: the WebRtc transport for message-io, and its option types. Its default
 * largest message is `WebRtc.maxMessageSize`.
 */
export { WebRtc } from './webrtc.js';
export type { WebRtcConnectOptions, WebRtcListenOptions } from './options.js';
