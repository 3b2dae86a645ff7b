// The suite run against the testkit's in-memory transport: it checks the testkit itself, and the
// memory transport against the adapter contract, with no sockets.
import { memoryTransport, registerConformanceTests } from '@message-io/adapter-testkit';

registerConformanceTests({ transport: memoryTransport() });
