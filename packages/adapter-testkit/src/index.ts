/**
 * @message-io/adapter-testkit: the conformance suite every message-io adapter runs with vitest,
 * and the helpers its cases use, for an adapter's own tests.
 */
export { registerConformanceTests } from './conformance.js';
export type { CaseName, ConformanceOptions } from './options.js';
export {
  memoryTransport,
  MemoryConnectionRefusedError,
  type MemoryConnectOptions,
  type MemoryListenOptions,
  type MemoryTransportOptions,
} from './memory-transport.js';
export {
  bytesOf,
  joinBytes,
  eventsOf,
  messagesOf,
  randomBytes,
  rng,
  sameBytes,
  sleep,
  testNode,
  text,
  until,
  utf8,
  type OnEvent,
  type UntilOptions,
  type TestNode,
} from './support.js';
