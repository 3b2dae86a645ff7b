/**
 * @message-io/nats: the Nats transport for message-io (subjects of a NATS server as addresses,
 * queue groups, replies), and its option types.
 */
export { Nats } from './nats.js';
export type { NatsClientOptions, NatsConnectOptions, NatsListenOptions } from './options.js';
