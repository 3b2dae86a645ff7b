// The message-io adapter conformance suite, run against Nats on a real nats-server (started here on
// 127.0.0.1 and a free port; skipped with a printed reason where nats-server is missing, outside CI).
import { afterAll, beforeAll, describe } from 'vitest';
import { registerConformanceTests } from '@message-io/adapter-testkit';
import { Nats } from '@message-io/nats';
import { skipWithout } from '../../../test/support/peers.js';
import { startNatsServer, type NatsServer } from '../../../test/support/nats-server.js';

describe.skipIf(skipWithout('nats-server'))('Nats on a nats-server', () => {
  let server: NatsServer | undefined;
  let subjects = 0;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server?.stop());

  registerConformanceTests({
    transport: Nats,
    // A subject of its own for every listener, so that cases never hear each other.
    bindAddr: () => server!.url(`conformance.${++subjects}`),
    // Nats has no per-connection size option: the limit is the server's max_payload.
    limitOption: false,
  });
});
