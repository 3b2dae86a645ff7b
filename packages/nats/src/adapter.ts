import {
  ListenError,
  refuseUnknownOptions,
  type Adapter,
  type ListenContext,
  type Listening,
  type RemoteAddr,
  type RemoteContext,
} from '@message-io/core/adapter';
import { parseTarget, subjectUrl } from './address.js';
import { openClient, type Client } from './client.js';
import { NatsLocal } from './listener.js';
import { connectOptionKeys, listenOptionKeys, resolveClientSettings, resolveQueue, type NatsConnectOptions, type NatsListenOptions } from './options.js';
import { NatsRemote } from './remote.js';

/** NATS's default `max_payload`: the limit before the server told its own. */
export const DEFAULT_MAX_PAYLOAD: number = 1024 * 1024;

/** The Nats adapter: subjects on a NATS server, through the official client. */
export const natsAdapter: Adapter<NatsConnectOptions, NatsListenOptions> = {
  /**
   * #2. Called by the core on `network().connect()`. Checks the URL and the options, and returns
   * the Remote at once; it opens its client and subscribes its inbox in the background and tells
   * the core when it is ready (or why it failed) through the watch.
   */
  connect(addr: RemoteAddr, options: NatsConnectOptions | undefined, context: RemoteContext) {
    const target = parseTarget(addr, false);
    refuseUnknownOptions(options, connectOptionKeys, 'Nats connect');
    return new NatsRemote(target, resolveClientSettings(options), context, DEFAULT_MAX_PAYLOAD);
  },

  /**
   * #7. Called by the core on `network().listen()`. Opens a client (or takes the application's),
   * subscribes to the subject, in the queue group when given, and resolves once the server
   * confirmed the subscription: from then on no message published to the subject is missed.
   * Rejects with `ListenError` when the server cannot be reached.
   */
  async listen(addr: RemoteAddr, options: NatsListenOptions | undefined, context: ListenContext): Promise<Listening> {
    const target = parseTarget(addr, true);
    refuseUnknownOptions(options, listenOptionKeys, 'Nats listen');
    const settings = resolveClientSettings(options);
    const queue = resolveQueue(options);
    let client: Client;
    try {
      client = await openClient(target, settings);
    } catch (cause) {
      throw new ListenError(`cannot reach the NATS server ${target.server}: ${(cause as Error).message}`, { cause });
    }
    const local = new NatsLocal(client, target, queue, context.maxBufferedBytes, context.linger);
    try {
      await client.nc.flush();
    } catch (cause) {
      local.close();
      throw new ListenError(`the NATS server ${target.server} did not confirm the subscription to ${target.subject}`, { cause });
    }
    return { local, addr: { url: subjectUrl(target.base, target.subject) } };
  },
};
