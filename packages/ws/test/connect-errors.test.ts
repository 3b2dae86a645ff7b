// A failed Ws connection says why in its ConnectError's message, not only in `cause`: refused,
// an HTTP answer other than the upgrade (a wrong path, a refused authentication, a plain web
// server), a server that hangs up, and a certificate that does not verify.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectError, type NodeEvent } from '@message-io/core';
import { Ws, type WsListenOptions } from '@message-io/ws';
import { requirePeers, skipWithout } from '../../../test/support/peers.js';
import { rejection } from '../../../test/support/rejection.js';
import { testNode, type TestNode } from './support.js';

const nodes: TestNode[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.handler.stop();
  for (const s of servers.splice(0)) s.close();
});
function node(): TestNode {
  const n = testNode();
  nodes.push(n);
  return n;
}

type Connected = NodeEvent<never> & { type: 'connected'; ok: boolean; error?: Error };

/** Connects to `url` and returns the `connected` event. */
async function attempt(url: string): Promise<Connected> {
  const client = node();
  client.handler.network().connect(Ws, url);
  return (await client.waitFor((e) => e.type === 'connected', 5000)) as Connected;
}

async function listener(options: WsListenOptions = {}): Promise<number> {
  const { addr } = await node().handler.network().listen(Ws, '127.0.0.1:0', options);
  return Number(addr.slice(addr.lastIndexOf(':') + 1));
}

function expectFailure(event: Connected, message: string): void {
  expect(event.ok).toBe(false);
  expect(event.error).toBeInstanceOf(ConnectError);
  expect(event.error?.message).toBe(message);
}

describe('Ws connect failures name their reason', () => {
  it('refused: ECONNREFUSED', async () => {
    const server = createNetServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const url = `ws://127.0.0.1:${port}/`;
    expectFailure(await attempt(url), `connection to ${url} failed: ECONNREFUSED (connection refused)`);
    const error = await rejection(node().handler.network().connectAndWait(Ws, `127.0.0.1:${port}`));
    expect(error.message).toBe(`connection to 127.0.0.1:${port} failed: ECONNREFUSED (connection refused)`);
  });

  it('a wrong path: the server answered HTTP 404', async () => {
    const port = await listener({ path: '/chat' });
    const url = `ws://127.0.0.1:${port}/other`;
    const event = await attempt(url);
    expectFailure(event, `connection to ${url} failed: the server answered HTTP 404`);
    expect((event.error!.cause as Error).cause).toBeInstanceOf(Error);
  });

  it('an authentication refused: the server answered HTTP 401', async () => {
    const port = await listener({ authenticate: () => false });
    const url = `ws://127.0.0.1:${port}/`;
    expectFailure(await attempt(url), `connection to ${url} failed: the server answered HTTP 401`);
  });

  it('a web server that does not upgrade: the server answered HTTP 200', async () => {
    const web = createHttpServer((_request, response) => response.end('hello'));
    servers.push(web);
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(web.address() as AddressInfo).port}/`;
    expectFailure(await attempt(url), `connection to ${url} failed: the server answered HTTP 200`);
  });

  it('a server that hangs up during the upgrade: ECONNRESET', async () => {
    const rude = createNetServer((socket) => socket.destroy());
    servers.push(rude as unknown as Server);
    await new Promise<void>((resolve) => rude.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(rude.address() as AddressInfo).port}/`;
    expectFailure(await attempt(url), `connection to ${url} failed: ECONNRESET (connection reset by the peer)`);
  });

  it.skipIf(skipWithout('openssl'))('a certificate that does not verify: the TLS code and its words', async () => {
    requirePeers('openssl');
    const dir = mkdtempSync(join(tmpdir(), 'message-io-ws-connect-'));
    try {
      const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=example.test'];
      const names = ['-addext', 'subjectAltName=IP:127.0.0.1'];
      execFileSync('openssl', [...args, ...names, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore', timeout: 10_000 });
      const port = await listener({ cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') });
      const url = `wss://127.0.0.1:${port}/`;
      const event = await attempt(url);
      expect(event.error).toBeInstanceOf(ConnectError);
      expect(event.error?.message).toBe(`connection to ${url} failed: DEPTH_ZERO_SELF_SIGNED_CERT (self-signed certificate)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
