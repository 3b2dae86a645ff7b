// Tcp and FramedTcp over TLS, on real sockets, with certificates made by openssl at test time (a
// CA, a server and a client certificate, and a second CA nobody trusts): echo, refused handshakes
// on both sides, mutual TLS, plaintext sent to a TLS listener, a server that never answers the
// handshake, backpressure below the TLS socket's high-water mark, the framing seen by a raw TLS
// peer, and the validation of the `tls` option.
import { createServer as createNetServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectError, ConnectTimeoutError, InvalidOptionError, SendStatus, type Endpoint, type NodeEvent, type NodeHandler } from '@message-io/core';
import { FramedTcp, Tcp, type FramedTcpConnectOptions, type FramedTcpListenOptions, type TcpTlsListenOptions } from '@message-io/tcp';
import { skipWithout } from '../../../test/support/peers.js';
import { usePki } from '../../../test/support/pki.js';
import { randomBytes, rng, sleep, testNode, until, type TestNode } from './support.js';

const noOpenssl = skipWithout('openssl');
const pki = usePki();

const nodes: TestNode[] = [];
const sockets: Socket[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
  for (const n of nodes.splice(0)) n.handler.stop();
});

function node(onEvent?: (event: NodeEvent<never>, handler: NodeHandler<never>) => void): TestNode {
  const n = testNode(onEvent);
  nodes.push(n);
  return n;
}

const echo = (event: NodeEvent<never>, handler: NodeHandler<never>): void => {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
};

/** The listener's TLS settings: the server certificate, and `extra`. */
const serverTls = (extra: Partial<TcpTlsListenOptions> = {}): TcpTlsListenOptions => ({ cert: pki.server.cert, key: pki.server.key, ...extra });

async function tlsServer(transport: typeof FramedTcp, bind = '127.0.0.1:0', options: FramedTcpListenOptions = {}) {
  const server = node(echo);
  const { addr } = await server.handler.network().listen(transport, bind, { tls: serverTls(), ...options });
  return { server, addr: String(addr), port: Number(String(addr).slice(String(addr).lastIndexOf(':') + 1)) };
}

/** Connects and waits for `connected`; resolves with the client node, its endpoint and the event. */
async function connect(transport: typeof FramedTcp, addr: string, options: FramedTcpConnectOptions) {
  const client = node();
  const endpoint = client.handler.network().connect(transport, addr, options);
  const event = await client.waitFor((e) => e.type === 'connected', 10_000);
  return { client, endpoint, event: event as Extract<NodeEvent<never>, { type: 'connected' }> };
}

/** Every byte `endpoint` received, concatenated. */
function received(n: TestNode, endpoint: Endpoint): Buffer {
  return Buffer.concat(n.events.flatMap((e) => (e.type === 'message' && e.endpoint === endpoint ? [e.data] : [])));
}

describe.skipIf(noOpenssl)('TLS', () => {
  it.each([
    ['FramedTcp', '127.0.0.1:0', FramedTcp],
    ['FramedTcp', '[::1]:0', FramedTcp],
    ['Tcp', '127.0.0.1:0', Tcp],
  ] as const)('%s echoes over TLS on %s, small and large messages in order', async (_name, bind, transport) => {
    const { server, addr } = await tlsServer(transport, bind);
    const { client, endpoint, event } = await connect(transport, addr, { tls: { ca: pki.ca } });
    expect(event.ok).toBe(true);
    await server.waitFor((e) => e.type === 'accepted', 5_000);
    const messages = [Buffer.from('hello'), randomBytes(rng(1), 1 << 20), Buffer.from('after the large one')];
    for (const message of messages) expect(client.handler.network().send(endpoint, message)).toBe(SendStatus.Sent);
    const total = messages.reduce((sum, m) => sum + m.byteLength, 0);
    await until(() => received(client, endpoint).byteLength >= total, { timeout: 10_000, what: 'every echoed byte' });
    expect(received(client, endpoint).equals(Buffer.concat(messages))).toBe(true);
    if (transport === FramedTcp) {
      const sizes = client.events.flatMap((e) => (e.type === 'message' ? [e.data.byteLength] : []));
      expect(sizes).toEqual(messages.map((m) => m.byteLength));
    }
  });

  it('a client that does not trust the server’s CA gets connected with ok: false and the reason; the listener sees nothing', async () => {
    const { server, addr } = await tlsServer(FramedTcp);
    const { event } = await connect(FramedTcp, addr, { tls: { ca: pki.otherCa } });
    expect(event.ok).toBe(false);
    expect(event.error).toBeInstanceOf(ConnectError);
    expect(event.error?.message).toMatch(/certificate/i);
    await sleep(200);
    expect(server.events.filter((e) => e.type === 'accepted')).toHaveLength(0);
  });

  it('a client that checks the name refuses a certificate for another one', async () => {
    const { addr } = await tlsServer(FramedTcp);
    const { event } = await connect(FramedTcp, addr, { tls: { ca: pki.ca, servername: 'not-the-server.test' } });
    expect(event.ok).toBe(false);
    expect(event.error?.message).toMatch(/not-the-server\.test|altnames|host/i);
  });

  it('under requestCert, a client with a certificate from the CA is accepted; without one, or with a stranger’s, it is not', async () => {
    const { server, addr } = await tlsServer(FramedTcp, '127.0.0.1:0', { tls: serverTls({ ca: pki.ca, requestCert: true }) });
    const good = await connect(FramedTcp, addr, { tls: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key } });
    expect(good.event.ok).toBe(true);
    await server.waitFor((e) => e.type === 'accepted', 5_000);
    good.client.handler.network().send(good.endpoint, Buffer.from('mutual'));
    await until(() => received(good.client, good.endpoint).toString() === 'mutual', { timeout: 5_000, what: 'the echo' });

    for (const tls of [{ ca: pki.ca }, { ca: pki.ca, cert: pki.stranger.cert, key: pki.stranger.key }]) {
      const refused = await connect(FramedTcp, addr, { tls });
      // TLS 1.3: the client finishes its side of the handshake before the server checks its
      // certificate, so it may see connected, then disconnected (with the server's alert as the
      // error when it arrives before the close).
      if (refused.event.ok) await refused.client.waitFor((e) => e.type === 'disconnected', 5_000);
      else expect(refused.event.error?.message).toMatch(/certificate|alert|unknown ca/i);
      refused.client.handler.network().send(refused.endpoint, Buffer.from('let me in'));
      await sleep(200);
      expect(server.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
      expect(server.events.filter((e) => e.type === 'message')).toHaveLength(1);
    }
  });

  it('peerCertificate: the client sees the server’s, the listener the client’s under requestCert; none without TLS or without asking', async () => {
    const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;
    const mutual = await tlsServer(FramedTcp, '127.0.0.1:0', { tls: serverTls({ ca: pki.ca, requestCert: true }) });
    const { client, endpoint } = await connect(FramedTcp, mutual.addr, { tls: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key } });
    const seen = client.handler.network().peerCertificate(endpoint);
    expect(seen?.subject.CN).toBe('localhost');
    expect(seen?.issuer.CN).toBe('message-io test CA');
    expect(seen?.fingerprint256).toBe(fingerprint(pki.server.cert));
    expect(Buffer.from(seen!.raw).equals(new X509Certificate(pki.server.cert).raw)).toBe(true);
    const accepted = await mutual.server.waitFor((e) => e.type === 'accepted', 5_000);
    const ofClient = mutual.server.handler.network().peerCertificate(accepted.endpoint);
    expect(ofClient?.subject.CN).toBe('client-1');
    expect(ofClient?.fingerprint256).toBe(fingerprint(pki.client.cert));

    // A listener that does not ask for client certificates has none; a plain connection neither.
    const oneWay = await tlsServer(FramedTcp);
    await connect(FramedTcp, oneWay.addr, { tls: { ca: pki.ca } });
    const oneWayAccepted = await oneWay.server.waitFor((e) => e.type === 'accepted', 5_000);
    expect(oneWay.server.handler.network().peerCertificate(oneWayAccepted.endpoint)).toBeUndefined();
    const plain = node(echo);
    const { addr } = await plain.handler.network().listen(FramedTcp, '127.0.0.1:0');
    const plainClient = await connect(FramedTcp, String(addr), {});
    expect(plainClient.client.handler.network().peerCertificate(plainClient.endpoint)).toBeUndefined();
    // Not verified (rejectUnauthorized: false against a CA it does not trust): none either.
    const unchecked = await connect(FramedTcp, oneWay.addr, { tls: { ca: pki.otherCa, rejectUnauthorized: false } });
    expect(unchecked.event.ok).toBe(true);
    expect(unchecked.client.handler.network().peerCertificate(unchecked.endpoint)).toBeUndefined();
  });

  it('plaintext bytes sent to a TLS listener end that connection only; a TLS connection goes on', async () => {
    const { server, addr, port } = await tlsServer(FramedTcp);
    const { client, endpoint } = await connect(FramedTcp, addr, { tls: { ca: pki.ca } });
    const raw = netConnect({ host: '127.0.0.1', port });
    sockets.push(raw);
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    raw.on('error', () => undefined);
    raw.write(Buffer.from([0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f])); // a FramedTcp frame, without TLS
    await closed;
    expect(server.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
    client.handler.network().send(endpoint, Buffer.from('still here'));
    await until(() => received(client, endpoint).toString() === 'still here', { timeout: 5_000, what: 'the echo after the plaintext peer' });
  });

  it('connected comes only after the handshake: a server that accepts TCP but never answers TLS gives a connect timeout', async () => {
    const silent = createNetServer((socket) => sockets.push(socket));
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const { event } = await connect(FramedTcp, `127.0.0.1:${port}`, { tls: { ca: pki.ca }, connectTimeout: 500 });
    expect(event.ok).toBe(false);
    expect(event.error).toBeInstanceOf(ConnectTimeoutError);
  });

  it.each(['listen', 'connect'] as const)('backpressure under the TLS socket’s high-water mark: writable follows (%s side sending)', async (side) => {
    // maxBufferedBytes 4 KiB: below the 16 KiB high-water mark of an accepted TLS socket, so no
    // 'drain' follows; the send that reaches the cap must tell the core when it is written.
    const cap = 4 * 1024;
    const server = node();
    const { addr } = await server.handler.network().listen(FramedTcp, '127.0.0.1:0', { tls: serverTls(), maxBufferedBytes: cap });
    const client = node();
    const endpoint = client.handler.network().connect(FramedTcp, String(addr), { tls: { ca: pki.ca }, maxBufferedBytes: cap });
    await client.waitFor((e) => e.type === 'connected', 10_000);
    const accepted = await server.waitFor((e) => e.type === 'accepted', 5_000);
    const [sender, target] = side === 'listen' ? [server, accepted.endpoint] : [client, endpoint];
    const [receiver, from] = side === 'listen' ? [client, endpoint] : [server, accepted.endpoint];
    const message = Buffer.alloc(1024, 7);
    let sent = 0;
    while (sender.handler.network().send(target, message) === SendStatus.Sent) sent++;
    expect(sent).toBeLessThan(16);
    await sender.waitFor((e) => e.type === 'writable', 5_000);
    expect(sender.handler.network().send(target, message)).toBe(SendStatus.Sent);
    await until(() => received(receiver, from).byteLength === (sent + 1) * 1024, { timeout: 5_000, what: 'every message' });
  });

  it('inside TLS, FramedTcp frames are the same bytes as without: a raw TLS peer reads and writes them', async () => {
    const { server, port } = await tlsServer(FramedTcp);
    const raw = tlsConnect({ host: '127.0.0.1', port, ca: pki.ca });
    sockets.push(raw);
    await new Promise<void>((resolve, reject) => {
      raw.once('secureConnect', resolve);
      raw.once('error', reject);
    });
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.write(Buffer.from([0x03, 0x61, 0x62, 0x63, 0x00])); // 'abc', then an empty message
    await until(() => Buffer.concat(chunks).byteLength >= 5, { timeout: 5_000, what: 'the two echoes' });
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([0x03, 0x61, 0x62, 0x63, 0x00]));
    expect(server.events.flatMap((e) => (e.type === 'message' ? [Buffer.from(e.data).toString()] : []))).toEqual(['abc', '']);
  });

  it('refuses a malformed tls option with InvalidOptionError, naming it', async () => {
    const n = node();
    const net = n.handler.network();
    const listen = (tls: unknown) => net.listen(FramedTcp, '127.0.0.1:0', { tls } as never);
    await expect(listen('yes')).rejects.toThrow(/option tls must be an object/);
    await expect(listen(true)).rejects.toThrow(/needs at least cert and key/);
    await expect(listen({ cert: pki.server.cert })).rejects.toThrow(/tls.cert and tls.key are required/);
    await expect(listen({ ...serverTls(), requestCrt: true })).rejects.toThrow(/unknown option requestCrt.*did you mean requestCert/);
    await expect(listen({ ...serverTls(), minVersion: 'TLSv1.1' })).rejects.toThrow(/minVersion/);
    await expect(listen({ ...serverTls(), ca: [] })).rejects.toThrow(/tls.ca/);
    await expect(listen({ cert: 'not a certificate', key: 'nor a key' })).rejects.toBeInstanceOf(InvalidOptionError);
    const connect = (tls: unknown) => () => net.connect(FramedTcp, '127.0.0.1:1', { tls } as never);
    expect(connect(42)).toThrow(InvalidOptionError);
    expect(connect({ cert: pki.client.cert })).toThrow(/tls.cert and tls.key go together/);
    expect(connect({ rejectUnauthorised: false })).toThrow(/did you mean rejectUnauthorized/);
    expect(connect({ servername: 7 })).toThrow(/tls.servername must be a string/);
  });
});
