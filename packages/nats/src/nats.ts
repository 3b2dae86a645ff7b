import type { Transport } from '@message-io/core/adapter';
import { DEFAULT_MAX_PAYLOAD, natsAdapter } from './adapter.js';
import type { NatsConnectOptions, NatsListenOptions } from './options.js';

/**
 * Nats: message-io on a NATS server. Addresses are `nats://host:port/subject`.
 *
 * `listen` subscribes to the subject (wildcards allowed; listeners with the same `queue` share its
 * messages); each message comes from an endpoint that answers its sender (its reply subject).
 * `connect` gives an endpoint that publishes to the subject, and receives the answers.
 *
 * Not connection-oriented: the server tells nobody when a peer comes or goes, so a listener sees
 * no `accepted` or `disconnected`; `connected` means the client reached the server and
 * `disconnected` that it gave up on it. Packet-based: each send is one message, delivered at most
 * once, in order from one sender. Largest message: the server's `max_payload` (1 MiB unless the
 * server says otherwise).
 */
export const Nats: Transport<NatsConnectOptions, NatsListenOptions> = {
  name: 'Nats',
  connectionOriented: false,
  packetBased: true,
  maxMessageSize: DEFAULT_MAX_PAYLOAD,
  urlSchemes: ['nats'],
  adapter: natsAdapter,
};
