import { connect, type Msg, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { NatsTarget } from './address.js';
import type { ClientSettings } from './options.js';

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

/**
 * Follows the client's link to the server: `down` when it is lost (the client tries again by
 * itself), `up` when it is back. Ends with the connection.
 */
export function watchStatus(nc: NatsConnection, down: () => void, up: () => void): void {
  void (async () => {
    try {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') down();
        else if (status.type === 'reconnect') up();
      }
    } catch {
      // The iterator ends with the connection; nothing to report here (closed() does).
    }
  })();
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
