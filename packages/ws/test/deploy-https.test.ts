// A Ws listener attached to the application's https.Server (certificates made by openssl at test
// time): the endpoint is wss on the server's port, the HTTPS routes keep working, and a client
// certificate the server verified shows in `authenticate` and on the endpoint.
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeEvent, NodeHandler, PeerCertificate } from '@message-io/core';
import { Ws } from '@message-io/ws';
import { skipWithout } from '../../../test/support/peers.js';
import { usePki } from '../../../test/support/pki.js';
import { testNode, until, type TestNode } from './support.js';

const nodes: TestNode[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) n.handler.stop();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function node(onEvent?: (event: NodeEvent<never>, handler: NodeHandler<never>) => void): TestNode {
  const n = testNode(onEvent);
  nodes.push(n);
  return n;
}

describe.skipIf(skipWithout('openssl'))('Ws attached to an https.Server', () => {
  const pki = usePki();

  it('speaks wss on the server’s port beside its HTTPS routes, and sees the verified client certificate', async () => {
    const server = createServer({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca, requestCert: true, rejectUnauthorized: false }, (_req, res) =>
      res.end('secure route'),
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;

    const certificates: (PeerCertificate | undefined)[] = [];
    const listener = node((event, handler) => {
      if (event.type === 'message') handler.network().send(event.endpoint, event.data);
    });
    await listener.handler.network().listen(Ws, `127.0.0.1:${port}`, {
      server,
      path: '/ws',
      authenticate: (handshake) => {
        certificates.push(handshake.peerCertificate);
        return handshake.secure && handshake.peerCertificate !== undefined;
      },
    });

    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', ca: pki.ca, servername: 'localhost' }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('secure route');

    const client = node();
    const url = `wss://localhost:${port}/ws`;
    const endpoint = await client.handler.network().connectAndWait(Ws, url, { ca: pki.ca, cert: pki.client.cert, key: pki.client.key });
    client.handler.network().send(endpoint, new TextEncoder().encode('over wss'));
    await until(() => client.events.some((e) => e.type === 'message'), { what: 'the echo over wss' });
    expect(certificates).toHaveLength(1);
    expect(certificates[0]?.subject.CN).toBe('client-1');
    const accepted = listener.events.find((e) => e.type === 'accepted')!;
    expect(listener.handler.network().peerCertificate(accepted.endpoint)?.subject.CN).toBe('client-1');

    // Without a client certificate the server's rejectUnauthorized: false lets TLS through, and
    // the hook refuses the upgrade with 401.
    const anonymous = client.handler.network().connectAndWait(Ws, url, { ca: pki.ca });
    await expect(anonymous).rejects.toThrow(/401/);
  });
});
