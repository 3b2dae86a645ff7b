import type { Msg, NatsConnection, NodeConnectionOptions, Status, Subscription } from '@nats-io/transport-node';
import type { NatsTarget } from './address.js';
import type { ClientSettings } from './options.js';

type NatsModule = typeof import('@nats-io/transport-node');

/**
 * The NATS client's module, loaded when this transport is first used, not when the package is
 * imported: the `message-io` package brings every transport, and a program that never uses Nats
 * does not pay for the client (about 1.5 MB of heap, and its start-up).
 */
let natsModule: Promise<NatsModule> | undefined;
let loaded: NatsModule | undefined;

async function loadNats(): Promise<NatsModule> {
  natsModule ??= import('@nats-io/transport-node').then((module) => (loaded = module));
  return natsModule;
}

/** A new inbox subject (`_INBOX.…`); call it once {@link openClient} has resolved (the client's module is loaded then). */
export function newInbox(): string {
  if (loaded === undefined) throw new Error('the NATS client is not loaded yet');
  return loaded.createInbox();
}

/** A connection to the server for one resource, and whether message-io closes it at the end. */
export interface Client {
  readonly nc: NatsConnection;
  /** True when message-io opened it (and closes it); false for the application's `connection`. */
  readonly owned: boolean;
}

/**
 * Opens the connection one `connect` or `listen` uses, or takes the application's. Rejects when the
 * server cannot be reached (no retry for a first connection: the core's `connectTimeout` and the
 * application decide what comes next).
 */
export async function openClient(target: NatsTarget, settings: ClientSettings): Promise<Client> {
  const { connect } = await loadNats();
  if (settings.connection !== undefined) return { nc: settings.connection, owned: false };
  const options: NodeConnectionOptions = {
    servers: target.server,
    name: settings.name,
    user: settings.user ?? target.user,
    pass: settings.pass ?? target.pass,
    token: settings.token,
    maxReconnectAttempts: settings.maxReconnectAttempts,
    reconnectTimeWait: settings.reconnectTimeWait,
    // Messages sent from this connection never come back to it.
    noEcho: true,
  };
  if (settings.tls !== undefined) options.tls = settings.tls;
  return { nc: await connect(options), owned: true };
}

/** What {@link watchClient} tells about a client's link to the server. */
export interface ClientEvents {
  /** The client lost the server and tries again by itself. */
  down(): void;
  /** The client is back. */
  up(): void;
  /** The client closed for good (it gave up, or its owner closed it), with the reason if any. */
  closed(error: Error | undefined): void;
}

/**
 * Follows a client's link to the server through its status iterator, until the client closes or
 * the returned function is called (a removed resource on the application's shared connection
 * must leave nothing behind on it).
 */
export function watchClient(nc: NatsConnection, events: ClientEvents): () => void {
  const statuses = nc.status() as AsyncIterable<Status> & { stop?(): void };
  let stopped = false;
  void (async () => {
    try {
      for await (const status of statuses) {
        if (stopped) return;
        if (status.type === 'disconnect') events.down();
        else if (status.type === 'reconnect') events.up();
      }
    } catch {
      // The iterator ends with the client; what ended it is asked below.
    }
    if (stopped) return;
    const error = await nc.closed();
    if (!stopped) events.closed(error instanceof Error ? error : undefined);
  })();
  return () => {
    stopped = true;
    statuses.stop?.();
  };
}

/**
 * True for a notice of the server rather than a message: an empty message whose header carries an
 * error status, such as `503` ("no responders": a message sent with a reply subject to a subject
 * nobody listened on, which the server answers on the reply subject). Not handed to the application:
 * a message nobody listens to is lost, as NATS publishes are.
 */
export function isStatusNotice(msg: Msg): boolean {
  return msg.data.length === 0 && msg.headers?.hasError === true;
}

/** Ends a subscription; never throws (a close must not), whatever state its client is in. */
export function unsubscribe(subscription: Subscription | undefined): void {
  try {
    subscription?.unsubscribe();
  } catch {
    // The client is closed or closing: the subscription ends with it.
  }
}

/** Closes a connection message-io opened: flushes within `linger` milliseconds, else drops it. */
export function closeClient(nc: NatsConnection, linger: number): void {
  if (nc.isClosed()) return;
  const timer = setTimeout(() => void nc.close(), linger);
  timer.unref?.();
  nc.flush()
    .catch(() => undefined)
    .finally(() => {
      clearTimeout(timer);
      void nc.close();
    });
}
