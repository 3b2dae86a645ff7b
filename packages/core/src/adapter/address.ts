import { InvalidAddressError } from './errors.js';

/** A host (IP literal or name, IPv6 without brackets) and a port. */
export interface SocketAddr {
  readonly host: string;
  readonly port: number;
}

/** Where to connect: a socket address, or a URL for transports that take one (`ws://`, `wss://`). */
export type RemoteAddr = SocketAddr | { readonly url: string };

/** What users pass as an address: `'127.0.0.1:3042'`, `'[::1]:3042'`, `'localhost:3042'`, a URL, or `{ host, port }`. */
export type AddressInput = string | { readonly host: string; readonly port: number };

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/;

/** True when `host` is an IPv4 literal such as `127.0.0.1`. */
export function isIPv4(host: string): boolean {
  return IPV4.test(host);
}

/** True when `host` looks like an IPv6 literal (without brackets), such as `::1`. */
export function isIPv6(host: string): boolean {
  return host.includes(':') && IPV6.test(host) && (host.match(/::/g) ?? []).length <= 1;
}

function checkPort(port: unknown, input: unknown): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidAddressError(`invalid port in address ${JSON.stringify(input)}: expected an integer from 0 to 65535`);
  }
  return port;
}

function checkHost(host: unknown, input: unknown): string {
  if (typeof host !== 'string' || !(isIPv4(host) || isIPv6(host) || HOSTNAME.test(host))) {
    throw new InvalidAddressError(`invalid host in address ${JSON.stringify(input)}`);
  }
  return host;
}

function parsePortText(text: string, input: string): number {
  if (!/^\d{1,5}$/.test(text)) {
    throw new InvalidAddressError(`invalid port in address ${JSON.stringify(input)}: expected host:port`);
  }
  return checkPort(Number(text), input);
}

/**
 * Parses `'host:port'`, `'[v6]:port'` or `{ host, port }` into a {@link SocketAddr}.
 * @throws InvalidAddressError when the input is not such an address.
 */
export function parseSocketAddr(input: AddressInput): SocketAddr {
  if (typeof input === 'object' && input !== null) {
    const { host, port } = input as { host: unknown; port: unknown };
    const bare = typeof host === 'string' && host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    return { host: checkHost(bare, input), port: checkPort(port, input) };
  }
  if (typeof input !== 'string') {
    throw new InvalidAddressError(`an address must be a string or { host, port }, got ${typeof input}`);
  }
  if (input.startsWith('[')) {
    const close = input.indexOf(']');
    if (close < 0 || input[close + 1] !== ':') {
      throw new InvalidAddressError(`invalid address ${JSON.stringify(input)}: expected [ipv6]:port`);
    }
    const host = input.slice(1, close);
    if (!isIPv6(host)) throw new InvalidAddressError(`invalid IPv6 address in ${JSON.stringify(input)}`);
    return { host, port: parsePortText(input.slice(close + 2), input) };
  }
  const colon = input.lastIndexOf(':');
  if (colon < 0) throw new InvalidAddressError(`invalid address ${JSON.stringify(input)}: missing port (host:port)`);
  const host = input.slice(0, colon);
  if (host.includes(':')) {
    throw new InvalidAddressError(`invalid address ${JSON.stringify(input)}: write IPv6 addresses as [ipv6]:port`);
  }
  return { host: checkHost(host, input), port: parsePortText(input.slice(colon + 1), input) };
}

/**
 * Parses any address a user may pass to `connect`: a string with `://` is a URL (the transport
 * decides whether it takes URLs), anything else goes through {@link parseSocketAddr}.
 * @throws InvalidAddressError
 */
export function parseRemoteAddr(input: AddressInput): RemoteAddr {
  if (typeof input === 'string' && input.includes('://')) {
    try {
      return { url: new URL(input).href };
    } catch (cause) {
      throw new InvalidAddressError(`invalid URL ${JSON.stringify(input)}`, { cause });
    }
  }
  return parseSocketAddr(input);
}

/** True when the address is a URL rather than a socket address. */
export function isUrlAddr(addr: RemoteAddr): addr is { readonly url: string } {
  return 'url' in addr;
}

/** Formats a socket address as `host:port`, with brackets around IPv6: `[::1]:3042`. */
export function formatSocketAddr(addr: SocketAddr): string {
  // Joined, not concatenated: an endpoint keeps this text as long as its connection, and V8 keeps
  // a concatenation as a rope of three strings.
  const port = String(addr.port);
  return addr.host.includes(':') ? ['[', addr.host, ']:', port].join('') : [addr.host, port].join(':');
}

/** Formats what `connect` was given: a URL as is, a socket address with {@link formatSocketAddr}. */
export function formatRemoteAddr(addr: RemoteAddr): string {
  return isUrlAddr(addr) ? addr.url : formatSocketAddr(addr);
}
