import type { Transport } from '@message-io/core/adapter';
import { udpAdapter } from './adapter.js';
import { MAX_UDP_PAYLOAD_IPV4 } from './limits.js';
import type { UdpConnectOptions, UdpListenOptions } from './options.js';

/**
 * Udp: one message is one datagram, as in the Rust message-io. Not connection-oriented (a
 * connection is a connected socket: `connected` with `ok: true` once bound and connected, or
 * `ok: false` when resolving, binding or connecting failed; never `disconnected`; a listener emits
 * no `accepted`), packet-based, at most 65,507 bytes per message over IPv4 (65,527 over IPv6).
 */
export const Udp: Transport<UdpConnectOptions, UdpListenOptions> = {
  name: 'Udp',
  connectionOriented: false,
  packetBased: true,
  maxMessageSize: MAX_UDP_PAYLOAD_IPV4,
  adapter: udpAdapter,
};
