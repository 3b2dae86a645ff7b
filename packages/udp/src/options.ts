import type { LookupFunction } from 'node:net';
import {
  InvalidOptionError,
  optionReader,
  parseSocketAddr,
  type AddressInput,
  type ConnectOptions,
  type ListenOptions,
  type SocketAddr,
} from '@message-io/core/adapter';
import { ipFamily, MAX_UDP_PAYLOAD_IPV6 } from './limits.js';

/** Options of both `connect` and `listen` with Udp. */
export interface UdpSocketOptions {
  /** `SO_REUSEADDR`: several sockets may bind one address and port. Default `false`; `true` for a multicast listener. */
  reuseAddr?: boolean;
  /** `SO_REUSEPORT`. Only on Node.js 22.12 or later (Node 20 ignores it, so we refuse it there with `InvalidOptionError`). Default `false`. */
  reusePort?: boolean;
  /** `SO_BROADCAST`: allow sending to broadcast addresses. Default `false`. */
  broadcast?: boolean;
  /**
   * The interface for multicast: a listener joins its group there, and multicast leaves through
   * it. For IPv4, the interface's address (`'127.0.0.1'`); for IPv6, its name (`'eth0'`, or
   * `'::%eth0'`). Default: the system's choice (the default route's interface).
   */
  multicastInterface?: string;
  /** Hops a multicast datagram may travel (`IP_MULTICAST_TTL`, `IPV6_MULTICAST_HOPS`), 0 to 255. Default 1 (the system's). */
  multicastTtl?: number;
  /** Deliver our own multicast datagrams to the sockets of this host (`IP_MULTICAST_LOOP`, `IPV6_MULTICAST_LOOP`). Default `true` (the system's). */
  multicastLoopback?: boolean;
  /** `SO_SNDBUF` in bytes (Linux doubles it and caps it at `net.core.wmem_max`). Default: the system's. */
  sendBufferSize?: number;
  /** `SO_RCVBUF` in bytes (Linux doubles it and caps it at `net.core.rmem_max`). Default: the system's. */
  recvBufferSize?: number;
  /** Largest datagram `send` accepts, 0 to 65,527 bytes. Default: the family's maximum (65,507 over IPv4, 65,527 over IPv6). Applies to sending only. */
  maxMessageSize?: number;
  /** Resolves host names instead of `dns.lookup` (the signature of the `lookup` option of Node's `net`). */
  lookup?: LookupFunction;
  /**
   * Told about errors that the system reports after `send` returned `Sent` (that datagram is lost),
   * such as `EACCES` for a broadcast without `broadcast: true`, and about errors reported by
   * receiving, such as `ECONNREFUSED` (ICMP port unreachable) on a connected socket. Runs outside
   * the node's callback; a throw from it is ignored. Default: none (the errors are dropped).
   */
  onError?: (error: Error) => void;
}

/** Options of `connect` with Udp. */
export interface UdpConnectOptions extends ConnectOptions, UdpSocketOptions {
  /** Local IP address and port to send from, such as `'127.0.0.1:0'`. Default: the unspecified address of the peer's family, port 0. */
  sourceAddress?: AddressInput;
}

/** Options of `listen` with Udp. `maxBufferedBytes` and `linger` apply to the listener's own sends (`Endpoint.fromListener`). */
export interface UdpListenOptions extends ListenOptions, UdpSocketOptions {
  /** On `[::]`, receive IPv6 only (no IPv4-mapped peers). Default `false`. */
  ipv6Only?: boolean;
}

/** True on the Node.js versions whose `dgram` has `reusePort` (22.12 and later, 23.1 and later). */
export const REUSE_PORT_SUPPORTED: boolean = supportsReusePort(process.versions.node);

/** Whether `dgram.createSocket` honours `reusePort` on this Node.js version (`'22.12.0'`). */
export function supportsReusePort(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** Validated options of one socket. */
export interface UdpSettings {
  readonly reuseAddr: boolean | undefined;
  readonly reusePort: boolean;
  readonly broadcast: boolean;
  readonly multicastInterface: string | undefined;
  readonly multicastTtl: number | undefined;
  readonly multicastLoopback: boolean | undefined;
  readonly sendBufferSize: number | undefined;
  readonly recvBufferSize: number | undefined;
  readonly maxMessageSize: number;
  readonly ipv6Only: boolean;
  readonly lookup: LookupFunction | undefined;
  readonly onError: ((error: Error) => void) | undefined;
}

const MAX_BUFFER = 2 ** 31 - 1;

function optionalInteger(options: object | undefined, key: string, min: number, max: number): number | undefined {
  const value = optionReader.integer(options, key, -1, min, max);
  return value === -1 ? undefined : value;
}

function optionalBoolean(options: object | undefined, key: string): boolean | undefined {
  return optionReader.own(options, key) === undefined ? undefined : optionReader.boolean(options, key, false);
}

/** A network interface's name as Linux allows it: up to 15 characters, no slash, colon or white space. */
const INTERFACE_NAME = /^[A-Za-z0-9_.@-]{1,15}$/;

function multicastInterface(options: UdpSocketOptions | undefined): string | undefined {
  const value = optionReader.own(options, 'multicastInterface');
  if (value === undefined) return undefined;
  const name = typeof value === 'string' && value.startsWith('::%') ? value.slice(3) : value;
  if (typeof value !== 'string' || (ipFamily(value) !== 4 && !INTERFACE_NAME.test(name as string))) {
    throw new InvalidOptionError(
      `option multicastInterface must be an interface's IPv4 address (such as '127.0.0.1') or, for IPv6, its name (such as 'eth0'), got ${String(value)}`,
    );
  }
  return value;
}

/**
 * The multicast interface in the form a socket of `family` takes (`setMulticastInterface`,
 * `addMembership`): an IPv4 address, or `::%<name>` for IPv6; `undefined` for the system's choice.
 * @throws InvalidOptionError when the option is of the other family's form.
 */
export function interfaceFor(settings: UdpSettings, family: 4 | 6): string | undefined {
  const value = settings.multicastInterface;
  if (value === undefined) return undefined;
  const isAddress = ipFamily(value) === 4;
  if (family === 4 && !isAddress) {
    throw new InvalidOptionError(`option multicastInterface: an IPv4 socket takes the interface's IPv4 address, not a name (${value})`);
  }
  if (family === 6 && isAddress) {
    throw new InvalidOptionError(`option multicastInterface: an IPv6 socket takes the interface's name (such as 'eth0'), not an IPv4 address (${value})`);
  }
  return family === 4 || value.startsWith('::%') ? value : `::%${value}`;
}

/** Validates the options of a Udp socket. @throws InvalidOptionError */
export function resolveSettings(options: (UdpConnectOptions & UdpListenOptions) | undefined): UdpSettings {
  const reusePort = optionReader.boolean(options, 'reusePort', false);
  if (reusePort && !REUSE_PORT_SUPPORTED) {
    throw new InvalidOptionError(`option reusePort needs Node.js 22.12 or later; this is ${process.versions.node}, whose dgram ignores it`);
  }
  return {
    reuseAddr: optionalBoolean(options, 'reuseAddr'),
    reusePort,
    broadcast: optionReader.boolean(options, 'broadcast', false),
    multicastInterface: multicastInterface(options),
    multicastTtl: optionalInteger(options, 'multicastTtl', 0, 255),
    multicastLoopback: optionalBoolean(options, 'multicastLoopback'),
    sendBufferSize: optionalInteger(options, 'sendBufferSize', 1, MAX_BUFFER),
    recvBufferSize: optionalInteger(options, 'recvBufferSize', 1, MAX_BUFFER),
    maxMessageSize: optionReader.integer(options, 'maxMessageSize', MAX_UDP_PAYLOAD_IPV6, 0, MAX_UDP_PAYLOAD_IPV6),
    ipv6Only: optionReader.boolean(options, 'ipv6Only', false),
    lookup: optionReader.func<LookupFunction>(options, 'lookup'),
    onError: optionReader.func<(error: Error) => void>(options, 'onError'),
  };
}

/** Parses `sourceAddress` (an IP literal and a port). @throws InvalidOptionError */
export function resolveSourceAddress(options: UdpConnectOptions | undefined): SocketAddr | undefined {
  const sourceAddress = optionReader.own(options, 'sourceAddress') as AddressInput | undefined;
  if (sourceAddress === undefined) return undefined;
  let addr: SocketAddr;
  try {
    addr = parseSocketAddr(sourceAddress);
  } catch (cause) {
    throw new InvalidOptionError('option sourceAddress must be an address such as 127.0.0.1:0', { cause });
  }
  if (ipFamily(addr.host) === 0) throw new InvalidOptionError(`option sourceAddress needs an IP address, not a name (${addr.host})`);
  return addr;
}
