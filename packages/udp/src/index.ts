/**
 * @message-io/udp: the Udp transport (unicast, broadcast, multicast), on `node:dgram`.
 */
export { Udp } from './udp.js';
export { MAX_INTERNET_PAYLOAD, MAX_UDP_PAYLOAD_IPV4, MAX_UDP_PAYLOAD_IPV6 } from './limits.js';
export { REUSE_PORT_SUPPORTED, type UdpConnectOptions, type UdpListenOptions, type UdpSocketOptions } from './options.js';
