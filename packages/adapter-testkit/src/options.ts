import type { AddressInput, Transport } from '@message-io/core';

/** Names of the conformance cases, for {@link ConformanceOptions.skip}. */
export type CaseName =
  | 'echo with 1 client'
  | 'echo with many clients'
  | 'ordered burst'
  | 'largest message'
  | 'connect refused'
  | 'remove a connection'
  | 'nothing queued is delivered after remove'
  | 'remove a listener'
  | 'stop'
  | 'no re-entrant callback'
  | 'events before forEach'
  | 'event order per connection'
  | 'nothing after remove'
  | 'nothing after stop'
  | 'oversize send'
  | 'send before ready'
  | 'send after remove'
  | 'a consumer behind: events before forEach are bounded'
  | 'a consumer behind: an iteration that does not pull is bounded'
  | 'kept messages stay intact'
  | 'messages read after an await stay intact'
  | 'send takes the bytes when called'
  | 'unknown option'
  | 'backpressure and writable'
  | 'inbound size limit'
  | 'whole messages in order under a slow reader'
  | 'remove delivers what was queued within linger'
  | 'maxConnections'
  | 'reconnect'
  | 'idle timeout'
  | 'a group send reaches every member, in order, before later direct sends'
  | 'group members leave when they end'
  | 'a group send reports backpressure';

/** What {@link registerConformanceTests} needs to know about the transport under test. */
export interface ConformanceOptions<C = unknown, L = unknown> {
  /** The transport value under test. Cases are chosen by its capabilities, never by its name. */
  readonly transport: Transport<C, L>;
  /** Title of the `describe` block. Default: `<transport name> conformance`. */
  readonly name?: string;
  /**
   * Where listeners bind: an address, or a function called for every `listen` (for transports whose
   * addresses cannot be reused, such as socket paths). Default `'127.0.0.1:0'`.
   */
  readonly bindAddr?: AddressInput | (() => AddressInput);
  /** Options passed to every `connect`. */
  readonly connectOptions?: C;
  /** Options passed to every `listen`. */
  readonly listenOptions?: L;
  /**
   * Largest message with the options above, when they change it. Default: the transport's
   * `maxMessageSize` capability.
   */
  readonly maxMessageSize?: number;
  /**
   * The `connect`/`listen` option that sets a connection's largest message, for the "inbound size
   * limit" case (which listens with 1 KiB and connects with 64 KiB); `false` when the transport
   * takes none (the case is then skipped with that reason). Default `'maxMessageSize'`.
   */
  readonly limitOption?: string | false;
  /**
   * The `listen` option, in milliseconds, after which a connection with no traffic is closed with
   * an `IdleTimeoutError`, for the "idle timeout" case (such as `'idleTimeout'`). Default: none,
   * and the case is skipped saying so.
   */
  readonly idleTimeoutOption?: string;
  /**
   * Size of the message of the "largest message" case when the largest is unbounded or above
   * 16 MiB (too big to echo in a unit test). Default 8 MiB.
   */
  readonly largeMessageSize?: number;
  /** Messages in the ordered burst. Default 20,000; 200 when not connection-oriented (sent 20 per event-loop turn). */
  readonly burstCount?: number;
  /** Clients in the many-clients echo. Default 100. */
  readonly clients?: number;
  /** Timeout of each case, in milliseconds. Default 15,000. */
  readonly timeout?: number;
  /** Cases to skip, each with the reason (printed in the case's title). */
  readonly skip?: Partial<Record<CaseName, string>>;
}

/** The options with every default applied. */
export interface Settings {
  readonly transport: Transport<never, never>;
  readonly name: string;
  readonly bindAddr: () => AddressInput;
  readonly connectOptions: unknown;
  readonly listenOptions: unknown;
  readonly maxMessageSize: number;
  readonly limitOption: string | false;
  readonly idleTimeoutOption: string | undefined;
  readonly largeMessageSize: number;
  readonly burstCount: number;
  readonly clients: number;
  readonly timeout: number;
  /** How long a case waits for one thing: a little less than `timeout`, so that the wait names what never came. */
  readonly wait: number;
  readonly skip: Partial<Record<CaseName, string>>;
}

/** Largest message the "largest message" case sends as is; above it, `largeMessageSize` is used. */
const ECHO_LIMIT = 16 * 1024 * 1024;

/** Applies the defaults. @throws TypeError when `transport` is missing. */
export function resolveSettings<C, L>(options: ConformanceOptions<C, L>): Settings {
  const transport = options.transport as unknown as Transport<never, never>;
  if (typeof transport !== 'object' || transport === null || typeof transport.adapter !== 'object') {
    throw new TypeError('registerConformanceTests needs { transport }, a transport value');
  }
  const bindAddr = options.bindAddr ?? '127.0.0.1:0';
  const timeout = options.timeout ?? 15_000;
  return {
    transport,
    name: options.name ?? `${transport.name} conformance`,
    bindAddr: typeof bindAddr === 'function' ? bindAddr : () => bindAddr,
    connectOptions: options.connectOptions,
    listenOptions: options.listenOptions,
    maxMessageSize: options.maxMessageSize ?? transport.maxMessageSize,
    limitOption: options.limitOption ?? 'maxMessageSize',
    idleTimeoutOption: options.idleTimeoutOption,
    largeMessageSize: options.largeMessageSize ?? 8 * 1024 * 1024,
    burstCount: options.burstCount ?? (transport.connectionOriented ? 20_000 : 200),
    clients: options.clients ?? 100,
    timeout,
    wait: Math.max(1_000, timeout - 3_000),
    skip: options.skip ?? {},
  };
}

/** Size of the message the "largest message" case sends: the largest allowed, when it is echoable. */
export function largestMessage(settings: Settings): number {
  return settings.maxMessageSize <= ECHO_LIMIT ? settings.maxMessageSize : settings.largeMessageSize;
}
