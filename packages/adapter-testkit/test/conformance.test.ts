// The suite run against the toy in-memory transport: it checks the testkit itself, with no sockets.
import { registerConformanceTests } from '@message-io/adapter-testkit';
import { memoryTransport } from './memory-transport.js';

registerConformanceTests({ transport: memoryTransport() });
