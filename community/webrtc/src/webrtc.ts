import type { Transport } from '@message-io/core/adapter';
import { webRtcAdapter } from './adapter.js';
import { MAX_MESSAGE_SIZE, type WebRtcConnectOptions, type WebRtcListenOptions } from './options.js';

/**
 * WebRtc: messages over a WebRTC data channel (werift), set up through a TCP signalling socket
 * that the listener runs. Connection-oriented, packet-based: each message is one data-channel
 * message on an ordered, reliable channel; at most 65535 bytes (the SCTP limit less a header byte).
 */
export const WebRtc: Transport<WebRtcConnectOptions, WebRtcListenOptions> = {
  name: 'WebRtc',
  connectionOriented: true,
  packetBased: true,
  maxMessageSize: MAX_MESSAGE_SIZE,
  adapter: webRtcAdapter,
};
