import type { LookupFunction } from 'node:net';
import { constants } from 'node:buffer';
import type { TcpTlsConnectOptions, TcpTlsListenOptions } from './tls.js';
import {
  InvalidOptionError,
  isIPv4,
  isIPv6,
  optionReader,
  parseSocketAddr,
  type AddressInput,
  type ConnectOptions,
  type ConnectionLimitOptions,
  type ListenOptions,
  type ReconnectOptions,
  type SocketAddr,
} from '@message-io/core/adapter';

/** Options of `connect` with Tcp. */
export interface TcpConnectOptions extends ConnectOptions, ReconnectOptions {
  /** Disable Nagle's algorithm. Default `true`: small messages leave at once (sends in one event-loop turn are batched anyway). */
  noDelay?: boolean;
  /** TCP keep-alive: `false` (default), `true`, or the idle time in milliseconds before the first probe. */
  keepAlive?: boolean | number;
  /** Local IP address (and port, 0 for any) to connect from, such as `'127.0.0.1:0'`. */
  sourceAddress?: AddressInput;
  /** Resolves host names instead of `dns.lookup` (same signature as Node's `net` `lookup` option). */
  lookup?: LookupFunction;
  /**
   * Milliseconds without any byte read or written after which the connection is closed, with
   * `disconnected` carrying an `IdleTimeoutError`. Default 0: off (there is no wire heartbeat, to
   * stay compatible with the Rust message-io).
   */
  idleTimeout?: number;
  /**
   * Opt-in zero-copy receiving. `true`: read into the one receive buffer shared by every Tcp and
   * FramedTcp connection of the process (64 KiB, growing once to 1 MiB for bulk), and hand messages
   * over as `BorrowedBytes`, valid only until the callback returns (copy what you keep).
   * Default `false`: every message owns its bytes (a view of a buffer that is never read into
   * again), so it may be stored or read after an `await`.
   */
  reuseReceiveBuffer?: boolean;
  /**
   * TLS (`node:tls`): the connection is ready (`connected`) once the handshake is done; a failed
   * handshake gives `connected` with `ok: false` and the reason. `true` for Node's defaults.
   * Messages received over TLS always own their bytes (`reuseReceiveBuffer` has no effect).
   */
  tls?: TcpTlsConnectOptions | true;
}

/** Options of `listen` with Tcp. */
export interface TcpListenOptions extends ListenOptions, ConnectionLimitOptions {
  /** As {@link TcpConnectOptions.noDelay}, for accepted connections. Default `true`. */
  noDelay?: boolean;
  /** As {@link TcpConnectOptions.keepAlive}, for accepted connections. Default `false`. */
  keepAlive?: boolean | number;
  /** Length of the queue of connections not yet accepted. Default 511. */
  backlog?: number;
  /** On `[::]`, accept IPv6 only (no IPv4-mapped connections). Default `false`. */
  ipv6Only?: boolean;
  /** Resolves a host name to bind to, instead of `dns.lookup`. */
  lookup?: LookupFunction;
  /** As {@link TcpConnectOptions.idleTimeout}, for accepted connections. Default 0: off. */
  idleTimeout?: number;
  /** As {@link TcpConnectOptions.reuseReceiveBuffer}, for accepted connections. Default `false`. */
  reuseReceiveBuffer?: boolean;
  /**
   * TLS (`node:tls`): a connection is `accepted` once its handshake is done; one whose handshake
   * fails (plaintext, a refused client certificate, too slow) is closed and never seen.
   */
  tls?: TcpTlsListenOptions;
}

/** Options of `connect` with FramedTcp. */
export interface FramedTcpConnectOptions extends TcpConnectOptions {
  /** Largest message sent or accepted, in bytes. Default 64 MiB. A peer announcing more is disconnected. */
  maxMessageSize?: number;
  /**
   * Milliseconds a message may take to arrive, from its first byte to its last: past it the
   * connection is closed, with `disconnected` carrying a `MessageTimeoutError` (checked at this
   * interval: a message is cut off between once and twice this after it began). Time while the
   * node itself stopped reading (its consumer behind) does not count. Default 0: off.
   */
  messageTimeout?: number;
}

/** Options of `listen` with FramedTcp. */
export interface FramedTcpListenOptions extends TcpListenOptions {
  /** As {@link FramedTcpConnectOptions.maxMessageSize}, for accepted connections. Default 64 MiB. */
  maxMessageSize?: number;
  /** As {@link FramedTcpConnectOptions.messageTimeout}, for accepted connections. Default 0: off. */
  messageTimeout?: number;
}

/** FramedTcp's default largest message: 64 MiB, the Rust peer's (tungstenite-like) message cap. */
export const DEFAULT_MAX_MESSAGE_SIZE: number = 64 * 1024 * 1024;

/** Socket settings shared by both sides, resolved. */
export interface SocketSettings {
  readonly noDelay: boolean;
  readonly keepAlive: boolean;
  readonly keepAliveDelay: number;
  readonly maxMessageSize: number;
  readonly lookup: LookupFunction | undefined;
  readonly idleTimeout: number;
  readonly reuseReceiveBuffer: boolean;
  /** FramedTcp: milliseconds a message may take to arrive (0: off). */
  readonly messageTimeout: number;
}

type AnyOptions = Omit<FramedTcpConnectOptions, 'tls'> & Omit<FramedTcpListenOptions, 'tls'>;

/** Validates the options both sides share. @throws InvalidOptionError */
export function resolveSocketSettings(options: AnyOptions | undefined, framed: boolean): SocketSettings {
  const keepAlive = optionReader.own(options, 'keepAlive') as AnyOptions['keepAlive'];
  if (keepAlive !== undefined && typeof keepAlive !== 'boolean' && !(Number.isInteger(keepAlive) && keepAlive >= 0)) {
    throw new InvalidOptionError(`option keepAlive must be a boolean or a delay in milliseconds, got ${String(keepAlive)}`);
  }
  for (const key of ['maxMessageSize', 'messageTimeout']) {
    if (!framed && optionReader.own(options, key) !== undefined) {
      throw new InvalidOptionError(`option ${key} applies to FramedTcp; Tcp is a byte stream`);
    }
  }
  return {
    noDelay: optionReader.boolean(options, 'noDelay', true),
    keepAlive: keepAlive !== undefined && keepAlive !== false,
    keepAliveDelay: typeof keepAlive === 'number' ? keepAlive : 0,
    maxMessageSize: framed ? optionReader.integer(options, 'maxMessageSize', DEFAULT_MAX_MESSAGE_SIZE, 0, constants.MAX_LENGTH) : Infinity,
    lookup: optionReader.func<LookupFunction>(options, 'lookup'),
    idleTimeout: optionReader.integer(options, 'idleTimeout', 0, 0, 2 ** 31 - 1),
    reuseReceiveBuffer: optionReader.boolean(options, 'reuseReceiveBuffer', false),
    messageTimeout: framed ? optionReader.integer(options, 'messageTimeout', 0, 0, 2 ** 31 - 1) : 0,
  };
}

/** Parses `sourceAddress`. @throws InvalidOptionError */
export function resolveSourceAddress(options: TcpConnectOptions | undefined): SocketAddr | undefined {
  const sourceAddress = optionReader.own(options, 'sourceAddress') as AddressInput | undefined;
  if (sourceAddress === undefined) return undefined;
  let addr: SocketAddr;
  try {
    addr = parseSocketAddr(sourceAddress);
  } catch (cause) {
    throw new InvalidOptionError('option sourceAddress must be an address such as 127.0.0.1:0', { cause });
  }
  if (!isIPv4(addr.host) && !isIPv6(addr.host)) {
    throw new InvalidOptionError(`option sourceAddress needs an IP address, not a name (${addr.host})`);
  }
  return addr;
}
