import { BlockList, isIP } from 'node:net';

/** Largest UDP payload over IPv4: 65,535 minus a 20-byte IP header and an 8-byte UDP header. */
export const MAX_UDP_PAYLOAD_IPV4: number = 65_507;
/** Largest UDP payload over IPv6 (no jumbograms): 65,535 minus the 8-byte UDP header. */
export const MAX_UDP_PAYLOAD_IPV6: number = 65_527;
/** Payload that fits a typical internet path (MTU 1,500) without IP fragmentation, as the Rust message-io names it. */
export const MAX_INTERNET_PAYLOAD: number = 1_472;

/** 4 or 6 for an IP literal, 0 for a host name. */
export type IpFamily = 0 | 4 | 6;

const multicastV4 = new BlockList();
multicastV4.addSubnet('224.0.0.0', 4, 'ipv4');
const multicastV6 = new BlockList();
multicastV6.addSubnet('ff00::', 8, 'ipv6');
const mappedV4 = new BlockList();
mappedV4.addSubnet('::ffff:0:0', 96, 'ipv6');

/** The family of an IP literal (IPv6 with or without a `%zone`), or 0 for a name. */
export function ipFamily(host: string): IpFamily {
  return isIP(host) as IpFamily;
}

/** True for an IPv4 multicast address: 224.0.0.0 to 239.255.255.255. */
export function isIPv4Multicast(host: string): boolean {
  return isIP(host) === 4 && multicastV4.check(host, 'ipv4');
}

/** True for an IPv6 multicast address (ff00::/8). */
export function isIPv6Multicast(host: string): boolean {
  return isIP(host) === 6 && multicastV6.check(host, 'ipv6');
}

/** True for an IPv4-mapped IPv6 address such as `::ffff:127.0.0.1`: it travels as IPv4. */
export function isMappedIPv4(host: string): boolean {
  return isIP(host) === 6 && mappedV4.check(host, 'ipv6');
}

/**
 * The largest datagram that a socket of `socketFamily` can send to `host`: 65,507 bytes to IPv4
 * (and IPv4-mapped IPv6) destinations, 65,527 to IPv6 ones. A name takes its socket's limit.
 */
export function payloadLimit(host: string, socketFamily: 4 | 6): number {
  if (socketFamily === 4 || isMappedIPv4(host)) return MAX_UDP_PAYLOAD_IPV4;
  return MAX_UDP_PAYLOAD_IPV6;
}
