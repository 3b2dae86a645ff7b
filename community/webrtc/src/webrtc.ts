import type { Transport } from '@message-io/core/adapter';
import { webRtcAdapter } from './adapter.js';
import { MAX_MESSAGE_SIZE, type WebRtcConnectOptions, type WebRtcListenOptions } from './options.js';

/**
 * WebRtc: messages over a WebRTC data channel (werift), set up through a TCP signalling socket
 * that the listener runs. Connection-oriented, packet-based: each message is one data-channel
 * message (or part of a batch of small ones) on an ordered, reliable channel, with a flow control of
 * its own; at most 65535 bytes (the SCTP limit less the byte that says what a data-channel message holds).
 */
export const WebRtc: Transport<WebRtcConnectOptions, WebRtcListenOptions> = {
  name: 'WebRtc',
  connectionOriented: true,
  packetBased: true,
  maxMessageSize: MAX_MESSAGE_SIZE,
  adapter: webRtcAdapter,
};
