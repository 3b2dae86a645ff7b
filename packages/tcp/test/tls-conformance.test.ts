// The adapter conformance suite for Tcp and FramedTcp over TLS: every case that holds for a plain
// connection holds inside TLS (certificates made by openssl when this file loads).
import { afterAll, describe, it } from 'vitest';
import { registerConformanceTests } from '@message-io/adapter-testkit';
import { FramedTcp, Tcp } from '@message-io/tcp';
import { missingPeers, requirePeers, skipWithout } from '../../../test/support/peers.js';
import { makePki } from '../../../test/support/pki.js';

const MiB = 1024 * 1024;

if (missingPeers('openssl').length === 0) {
  const pki = makePki();
  afterAll(() => pki.remove());
  const listenTls = { cert: pki.server.cert, key: pki.server.key };
  registerConformanceTests({
    transport: Tcp,
    bindAddr: '127.0.0.1:0',
    name: 'Tcp conformance over TLS',
    connectOptions: { tls: { ca: pki.ca } },
    listenOptions: { tls: listenTls },
    idleTimeoutOption: 'idleTimeout',
  });
  registerConformanceTests({
    transport: FramedTcp,
    bindAddr: '127.0.0.1:0',
    name: 'FramedTcp conformance over TLS',
    connectOptions: { tls: { ca: pki.ca }, maxMessageSize: MiB },
    listenOptions: { tls: listenTls, maxMessageSize: MiB },
    maxMessageSize: MiB,
    idleTimeoutOption: 'idleTimeout',
  });
} else {
  describe.skipIf(skipWithout('openssl'))('Tcp and FramedTcp conformance over TLS', () => {
    it('needs openssl to make its certificates', () => requirePeers('openssl'));
  });
}
