// Mutual TLS on Ws (wss), with certificates made by openssl at test time (a CA, a server and a
// client certificate, and a second CA with a client of its own): a client with the CA's
// certificate is accepted and the `authenticate` hook and the endpoint both see its certificate;
// one without a certificate, or with the stranger's, never reaches the upgrade.
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, type NodeEvent, type NodeHandler } from '@message-io/core';
import { Ws, type WsConnectOptions, type WsHandshake } from '@message-io/ws';
import { skipWithout } from '../../../test/support/peers.js';
import { usePki } from '../../../test/support/pki.js';
import { sleep, testNode, type TestNode } from './support.js';

const pki = usePki();

const nodes: TestNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.handler.stop();
});

function node(onEvent?: (event: NodeEvent<never>, handler: NodeHandler<never>) => void): TestNode {
  const n = testNode(onEvent);
  nodes.push(n);
  return n;
}

/** A wss listener under mutual TLS (clients must chain to the test CA); its node, address and the handshakes its hook saw. */
async function mutualServer() {
  const seen: WsHandshake[] = [];
  const server = node((event, handler) => {
    if (event.type === 'message') handler.network().send(event.endpoint, event.data);
  });
  const { addr } = await server.handler.network().listen(Ws, '127.0.0.1:0', {
    cert: pki.server.cert,
    key: pki.server.key,
    ca: pki.ca,
    requestCert: true,
    authenticate: (handshake) => seen.push(handshake) > 0,
  });
  return { server, url: `wss://localhost:${String(addr).split(':').at(-1)}/`, seen };
}

async function connect(url: string, options: WsConnectOptions) {
  const client = node();
  const endpoint = client.handler.network().connect(Ws, url, options);
  const event = await client.waitFor((e) => e.type === 'connected', 10_000);
  return { client, endpoint, ok: event.type === 'connected' && event.ok };
}

describe.skipIf(skipWithout('openssl'))('wss with client certificates', () => {
  it('a client with the CA’s certificate is accepted; the hook and both endpoints see the peer’s certificate', async () => {
    const { server, url, seen } = await mutualServer();
    const { client, endpoint, ok } = await connect(url, { ca: pki.ca, cert: pki.client.cert, key: pki.client.key });
    expect(ok).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.secure).toBe(true);
    expect(seen[0]!.peerCertificate?.subject.CN).toBe('client-1');
    expect(seen[0]!.peerCertificate?.fingerprint256).toBe(new X509Certificate(pki.client.cert).fingerprint256);
    const accepted = await server.waitFor((e) => e.type === 'accepted', 5_000);
    expect(server.handler.network().peerCertificate(accepted.endpoint)?.subject.CN).toBe('client-1');
    const ofServer = client.handler.network().peerCertificate(endpoint);
    expect(ofServer?.subject.CN).toBe('localhost');
    expect(ofServer?.fingerprint256).toBe(new X509Certificate(pki.server.cert).fingerprint256);
    client.handler.network().send(endpoint, Buffer.from('over mutual TLS'));
    const echo = await client.waitFor((e) => e.type === 'message', 5_000);
    expect(echo.type === 'message' && Buffer.from(echo.data).toString()).toBe('over mutual TLS');
  });

  it('a client without a certificate, or with one from another CA, never reaches the upgrade', async () => {
    const { server, url, seen } = await mutualServer();
    for (const options of [{ ca: pki.ca }, { ca: pki.ca, cert: pki.stranger.cert, key: pki.stranger.key }]) {
      const { ok } = await connect(url, { ...options, connectTimeout: 3_000 });
      expect(ok).toBe(false);
    }
    await sleep(200);
    expect(seen).toHaveLength(0);
    expect(server.events.filter((e) => e.type === 'accepted')).toHaveLength(0);
  });

  it('without requestCert there is no client certificate, and the client still sees the server’s', async () => {
    const server = node();
    const seen: WsHandshake[] = [];
    const { addr } = await server.handler.network().listen(Ws, '127.0.0.1:0', {
      cert: pki.server.cert,
      key: pki.server.key,
      authenticate: (handshake) => seen.push(handshake) > 0,
    });
    const { client, endpoint, ok } = await connect(`wss://localhost:${String(addr).split(':').at(-1)}/`, {
      ca: pki.ca,
      cert: pki.client.cert,
      key: pki.client.key,
    });
    expect(ok).toBe(true);
    expect(seen[0]!.peerCertificate).toBeUndefined();
    const accepted = await server.waitFor((e) => e.type === 'accepted', 5_000);
    expect(server.handler.network().peerCertificate(accepted.endpoint)).toBeUndefined();
    expect(client.handler.network().peerCertificate(endpoint)?.subject.CN).toBe('localhost');
  });

  it('refuses client-certificate options that do not go together', async () => {
    const n = node();
    const net = n.handler.network();
    await expect(net.listen(Ws, '127.0.0.1:0', { requestCert: true })).rejects.toThrow(/requestCert and ca need cert and key/);
    await expect(net.listen(Ws, '127.0.0.1:0', { ca: pki.ca })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(net.listen(Ws, '127.0.0.1:0', { cert: pki.server.cert, key: pki.server.key, requestCert: 'yes' as never })).rejects.toThrow(
      /requestCert must be a boolean/,
    );
    expect(() => net.connect(Ws, 'wss://localhost:1/', { cert: pki.client.cert })).toThrow(/cert and key go together/);
    expect(() => net.connect(Ws, 'wss://localhost:1/', { passphrase: 'x' })).toThrow(/passphrase needs cert and key/);
  });
});
