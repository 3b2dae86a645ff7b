import { InvalidOptionError, commonOptionKeys, optionReader, type ConnectOptions, type ListenOptions } from '@message-io/core/adapter';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * How each `connect` or `listen` reaches the NATS server: the client's own settings. The server's
 * address is in the URL (`nats://host:port/subject`); these are the rest.
 */
export interface NatsClientOptions {
  /**
   * A connection to the NATS server that the application made (with `connect` of
   * `@nats-io/transport-node`) and owns: used as it is, never closed by message-io, its settings
   * being the application's. The host and port of the URL are then only names. Without it, each
   * `connect` and each `listen` opens a connection of its own and closes it when it is removed.
   */
  connection?: NatsConnection;
  /** Client name shown by the server's monitoring. Default: none. */
  name?: string;
  /** User name, with `pass` (or in the URL: `nats://user:pass@host:port/subject`). */
  user?: string;
  /** Password, with `user`. */
  pass?: string;
  /** Authentication token. */
  token?: string;
  /**
   * Require TLS to the server: `true`, or the options of `@nats-io/transport-node` (`ca`, `cert`,
   * `key`, `caFile`, …, as for `tls.connect`). Default: plain, unless the server requires TLS.
   */
  tls?: boolean | Record<string, unknown>;
  /**
   * Attempts to reach the server again after the connection to it is lost, before giving up:
   * `-1` for no limit. While the client is away, sends answer `ResourceNotAvailable`; when it
   * gives up, a connection ends (`disconnected`) and a listener is removed. Default 10.
   */
  maxReconnectAttempts?: number;
  /** Milliseconds between two of those attempts (the client adds up to 100 ms at random). Default 2,000. */
  reconnectTimeWait?: number;
}

/** Options of `connect` with Nats. The core's own (`maxBufferedBytes`, `connectTimeout`, `linger`) come with `ConnectOptions`. */
export interface NatsConnectOptions extends ConnectOptions, NatsClientOptions {}

/** Options of `listen` with Nats. */
export interface NatsListenOptions extends ListenOptions, NatsClientOptions {
  /**
   * Queue group: listeners on the same subject with the same `queue` share its messages, each
   * message going to one of them, chosen by the server. Without it, every listener on the subject
   * gets every message. A NATS token: letters, digits, `-`, `_`, `.`. Default: none.
   */
  queue?: string;
}

const clientKeys: Readonly<Record<keyof NatsClientOptions, true>> = {
  connection: true,
  name: true,
  user: true,
  pass: true,
  token: true,
  tls: true,
  maxReconnectAttempts: true,
  reconnectTimeWait: true,
};

// The options each side takes, for `refuseUnknownOptions`. Typed against the interfaces above: an
// option added to one of them without being listed here does not compile.

/** The options `connect` takes: the core's and ours. */
export const connectOptionKeys: Readonly<Record<keyof NatsConnectOptions, true>> = { ...commonOptionKeys, ...clientKeys };

/** The options `listen` takes: the core's and ours. */
export const listenOptionKeys: Readonly<Record<keyof NatsListenOptions, true>> = { ...commonOptionKeys, ...clientKeys, queue: true };

/** The client settings read from the options, checked. */
export interface ClientSettings {
  readonly connection: NatsConnection | undefined;
  readonly name: string | undefined;
  readonly user: string | undefined;
  readonly pass: string | undefined;
  readonly token: string | undefined;
  readonly tls: Record<string, unknown> | undefined;
  readonly maxReconnectAttempts: number;
  readonly reconnectTimeWait: number;
}

function optionalString(options: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = options?.[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidOptionError(`${key} must be a string, got ${typeof value}`);
  return value;
}

/** Reads and checks the client options. @throws InvalidOptionError */
export function resolveClientSettings(options: NatsClientOptions | undefined): ClientSettings {
  const record = options as Record<string, unknown> | undefined;
  const connection = options?.connection;
  if (connection !== undefined && (typeof connection !== 'object' || connection === null || typeof connection.publish !== 'function')) {
    throw new InvalidOptionError('connection must be a NatsConnection made by connect() of @nats-io/transport-node');
  }
  const tls = options?.tls;
  if (tls !== undefined && typeof tls !== 'boolean' && (typeof tls !== 'object' || tls === null)) {
    throw new InvalidOptionError('tls must be true, false or an object of TLS options');
  }
  const maxReconnectAttempts = optionReader.integer(options, 'maxReconnectAttempts', 10, -1, 2 ** 31 - 1);
  return {
    connection,
    name: optionalString(record, 'name'),
    user: optionalString(record, 'user'),
    pass: optionalString(record, 'pass'),
    token: optionalString(record, 'token'),
    tls: tls === true ? {} : tls === false || tls === undefined ? undefined : tls,
    maxReconnectAttempts,
    reconnectTimeWait: optionReader.integer(options, 'reconnectTimeWait', 2_000, 0, 2 ** 31 - 1),
  };
}

/** A queue group name: a NATS token, or several joined by dots. */
const QUEUE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Reads `queue`. @throws InvalidOptionError */
export function resolveQueue(options: NatsListenOptions | undefined): string | undefined {
  const queue = optionalString(options as Record<string, unknown> | undefined, 'queue');
  if (queue !== undefined && !QUEUE.test(queue)) {
    throw new InvalidOptionError(`queue must be a NATS token (letters, digits, -, _, dots between), got ${JSON.stringify(queue)}`);
  }
  return queue;
}
