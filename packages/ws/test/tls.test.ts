// wss end to end: a TLS listener and a wss client, with a self-signed certificate made by the test
// (openssl), on 127.0.0.1 and ::1.
import { execFileSync, spawn } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, SendStatus, type NodeEvent, type NodeHandler } from '@message-io/core';
import { Ws, type WsHandshake, type WsListenOptions } from '@message-io/ws';
import { missingPeers, requirePeers, skipWithout } from '../../../test/support/peers.js';
import { rawPeer, type RawPeer } from './raw.js';
import { randomBytes, rng, testNode, until, type TestNode } from './support.js';

const noOpenssl = skipWithout('openssl');
let dir = '';
let cert = '';
let key = '';
beforeAll(() => {
  if (missingPeers('openssl').length > 0) return; // then each test is skipped, or fails in beforeEach (CI)
  dir = mkdtempSync(join(tmpdir(), 'message-io-ws-tls-'));
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];
  const names = ['-subj', '/CN=example.test', '-addext', 'subjectAltName=DNS:example.test,IP:127.0.0.1,IP:::1'];
  execFileSync('openssl', [...args, ...names, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore', timeout: 10_000 });
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
});
beforeEach(() => requirePeers('openssl'));
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/**
 * How early a timer may seem to fire, measured with performance.now() from just before it was set:
 * Node times it from the event loop's clock, read when the loop last woke up.
 */
const TIMER_SLACK = 25;

const nodes: TestNode[] = [];
const peers: RawPeer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.socket.destroy();
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

async function wssServer(bind = '127.0.0.1:0', options: WsListenOptions = {}) {
  const n = node(echo);
  const { addr } = await n.handler.network().listen(Ws, bind, { cert, key, ...options });
  return { n, addr, port: Number(addr.slice(addr.lastIndexOf(':') + 1)) };
}

async function connected(url: string, options = {}) {
  const client = node();
  const ep = client.handler.network().connect(Ws, url, options);
  const event = (await client.waitFor((e) => e.type === 'connected', 5000)) as NodeEvent<never> & { ok: boolean; error?: Error };
  return { client, ep, event };
}

describe.skipIf(noOpenssl)('wss', () => {
  it.each([
    ['IPv4', '127.0.0.1:0'],
    ['IPv6', '[::1]:0'],
  ])('echoes over %s with a CA the client trusts; the hook sees secure: true', async (_name, bind) => {
    const seen: WsHandshake[] = [];
    const { addr } = await wssServer(bind, { authenticate: (h) => seen.push(h) > 0 });
    const { client, ep, event } = await connected(`wss://${addr}/secure`, { ca: cert });
    expect(event.ok).toBe(true);
    const payload = randomBytes(rng(7), 300_000);
    expect(client.handler.network().send(ep, Buffer.from('small'))).toBe(SendStatus.Sent);
    expect(client.handler.network().send(ep, payload)).toBe(SendStatus.Sent);
    const echoes = await client.waitCount((e) => e.type === 'message', 2, 5000);
    expect(Buffer.from((echoes[0] as { data: Uint8Array }).data).toString()).toBe('small');
    expect(Buffer.compare((echoes[1] as { data: Uint8Array }).data, payload)).toBe(0);
    expect(seen.map((h) => [h.path, h.secure])).toEqual([['/secure', true]]);
  });

  it('refuses a self-signed server by default, and takes it with rejectUnauthorized: false', async () => {
    const { addr } = await wssServer();
    const refused = await connected(`wss://${addr}/`);
    expect(refused.event.ok).toBe(false);
    expect(String(refused.event.error?.cause)).toMatch(/self[- ]signed/i);
    expect((await connected(`wss://${addr}/`, { rejectUnauthorized: false })).event.ok).toBe(true);
  });

  it('checks the certificate against servername', async () => {
    const { port } = await wssServer();
    expect((await connected(`wss://127.0.0.1:${port}/`, { ca: cert, servername: 'example.test' })).event.ok).toBe(true);
    const wrong = await connected(`wss://127.0.0.1:${port}/`, { ca: cert, servername: 'wrong.test' });
    expect(wrong.event.ok).toBe(false);
  });

  it('a plain ws:// client to a wss listener fails with ok: false', async () => {
    const { addr } = await wssServer();
    expect((await connected(addr, { connectTimeout: 2000 })).event.ok).toBe(false);
  });

  // These two wait up to 5 s for a close due at handshakeTimeout (300 ms): over ten times that, and
  // half the 10 s default that would close the socket if the option were not applied. The clock
  // starts before the client connects, so the close comes no earlier than the option.
  it('closes a client that never starts its TLS handshake by handshakeTimeout, not before', async () => {
    const handshakeTimeout = 300;
    const { n, port } = await wssServer('127.0.0.1:0', { handshakeTimeout });
    const started = performance.now();
    const silent = rawPeer('127.0.0.1', port);
    peers.push(silent);
    let closedAfter = -1;
    silent.socket.once('close', () => (closedAfter = performance.now() - started));
    await until(() => silent.closed, { timeout: 5000, what: 'the silent client to be closed' });
    expect(closedAfter).toBeGreaterThanOrEqual(handshakeTimeout - TIMER_SLACK);
    expect(n.events).toEqual([]);
  });

  it('closes a client that completes TLS but never sends its upgrade request by handshakeTimeout, not before', async () => {
    const handshakeTimeout = 300;
    const { n, port } = await wssServer('127.0.0.1:0', { handshakeTimeout });
    const started = performance.now();
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    socket.on('error', () => undefined);
    let closedAfter = -1;
    socket.on('close', () => (closedAfter = performance.now() - started));
    try {
      await new Promise((resolve) => socket.once('secureConnect', resolve));
      await until(() => closedAfter >= 0, { timeout: 5000, what: 'the idle TLS client to be closed' });
      expect(closedAfter).toBeGreaterThanOrEqual(handshakeTimeout - TIMER_SLACK);
      expect(n.events).toEqual([]);
    } finally {
      socket.destroy();
    }
  });

  it('WS-13: maxPendingHandshakes counts sockets from TCP on, TLS handshake included; established wss connections do not count', async () => {
    const handshakeTimeout = 3000;
    const { n, addr, port } = await wssServer('127.0.0.1:0', { maxPendingHandshakes: 2, handshakeTimeout });
    // More established connections than the cap, one after the other.
    const clients = [];
    for (let i = 0; i < 4; i++) {
      const { event } = await connected(`wss://${addr}/`, { ca: cert, servername: 'example.test' });
      expect(event.ok).toBe(true);
      clients.push(event);
    }
    // Two sockets that never start TLS fill the cap: a third is destroyed at once.
    const silent = [rawPeer('127.0.0.1', port), rawPeer('127.0.0.1', port)];
    peers.push(...silent);
    await until(() => silent.every((p) => p.socket.readyState === 'open'), { timeout: 2000, what: 'the silent sockets to connect' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // "At once" against "by the handshake timeout": closing at once takes a few milliseconds, so the
    // 1.5 s bound is hundreds of times that, and still half the 3 s handshakeTimeout that would
    // otherwise close the socket. The 2 silent sockets, older and under the same timeout, still being
    // open afterwards says the same without a clock.
    const extra = rawPeer('127.0.0.1', port);
    peers.push(extra);
    await until(() => extra.closed, { timeout: handshakeTimeout / 2, what: 'the extra socket to be closed' });
    expect(silent.some((p) => p.closed)).toBe(false);
    // Once they time out, a wss client connects again.
    await until(() => silent.every((p) => p.closed), { timeout: handshakeTimeout + 3000, what: 'the silent sockets to time out' });
    expect((await connected(`wss://${addr}/`, { ca: cert, servername: 'example.test' })).event.ok).toBe(true);
    expect(n.events.filter((e) => e.type === 'accepted')).toHaveLength(5);
  });

  it('refuses a listen with only one of cert and key, or with material that is not PEM', async () => {
    const n = node();
    const net = n.handler.network();
    await expect(net.listen(Ws, '127.0.0.1:0', { cert })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(net.listen(Ws, '127.0.0.1:0', { key })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(net.listen(Ws, '127.0.0.1:0', { cert: 'nope', key: 'nope' })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(net.listen(Ws, '127.0.0.1:0', { cert: key, key: cert })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

// Issue 17, weakness 6: option readers used to read through the prototype, and the client passes
// rejectUnauthorized to Node explicitly, so a value planted on Object.prototype turned certificate
// checks off. Polluting Object.prototype is done in a child process only, never in this worker.
describe.skipIf(noOpenssl)('OPT-01 inherited options are ignored (wss)', () => {
  it("refuses a self-signed server when rejectUnauthorized: false is only inherited from the options' prototype", async () => {
    const { addr } = await wssServer();
    const inherited = Object.create({ rejectUnauthorized: false, ca: cert }) as object;
    const refused = await connected(`wss://${addr}/`, inherited);
    expect(refused.event.ok).toBe(false);
    expect(String(refused.event.error?.cause)).toMatch(/self[- ]signed/i);
  });

  it('with Object.prototype.rejectUnauthorized = false (in a child process), Ws refuses a self-signed server as tls.connect does', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/polluted-prototype.mjs', import.meta.url));
    const child = spawn(process.execPath, [fixture, join(dir, 'cert.pem'), join(dir, 'key.pem')], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('hung'), 12_000))]);
      expect(code, `child stderr: ${err}`).toBe(0);
      const report = JSON.parse(out.trim().split('\n').pop()!) as Record<string, { ok: boolean; error?: string } | boolean>;
      expect(report.polluted).toBe(true);
      expect(report.tls).toMatchObject({ ok: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      expect(report.ws).toMatchObject({ ok: false, error: expect.stringMatching(/SELF_SIGNED|self[- ]signed/) });
      expect(report.trusted).toEqual({ ok: true });
    } finally {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }
  }, 20_000);
});
