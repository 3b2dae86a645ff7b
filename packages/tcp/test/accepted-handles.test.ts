// A Tcp or FramedTcp listener without TLS serves what it accepts on the libuv handle (node-net's
// HandleSocket), building no `net.Socket`, with or without `idleTimeout` and `maxConnections`
// (their behaviour is tested in options.test.ts and diagnostics.test.ts, on these connections).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SendStatus, type Endpoint, type Transport } from '@message-io/core';
import { FramedTcp, Tcp } from '@message-io/tcp';
import { testNode, until, type TestNode } from './support.js';
import { countSocketsBuilt, stopCounting } from '../../../test/support/sockets-built.js';

const nodes: TestNode[] = [];
afterEach(() => {
  stopCounting();
  for (const n of nodes.splice(0)) n.handler.stop();
});

async function exchange(transport: Transport<never, never>, options: object): Promise<void> {
  const server = testNode();
  const client = testNode();
  nodes.push(server, client);
  const { addr } = await server.handler.network().listen(transport, '127.0.0.1:0', options as never);
  const ep = await client.handler.network().connectAndWait(transport, addr);
  expect(client.handler.network().send(ep, Buffer.from('ping'))).toBe(SendStatus.Sent);
  await until(() => server.events.some((e) => e.type === 'message'), { what: 'the ping' });
  const at = server.events.find((e) => e.type === 'message') as { endpoint: Endpoint; data: Uint8Array };
  expect(Buffer.from(at.data).toString()).toBe('ping');
  expect(server.handler.network().send(at.endpoint, Buffer.from('pong'))).toBe(SendStatus.Sent);
  await until(() => client.events.some((e) => e.type === 'message'), { what: 'the pong' });
  const back = client.events.find((e) => e.type === 'message') as { data: Uint8Array };
  expect(Buffer.from(back.data).toString()).toBe('pong');
  server.handler.network().remove(at.endpoint.resourceId);
  await until(() => client.events.some((e) => e.type === 'disconnected'), { what: 'the disconnect at the client' });
}

describe.each([
  ['Tcp', Tcp],
  ['FramedTcp', FramedTcp],
] as [string, Transport<never, never>][])('%s accepted connections', (_name, transport) => {
  it('a plain listener builds no net.Socket for what it accepts, and messages go both ways', async () => {
    const sockets = countSocketsBuilt();
    await exchange(transport, {});
    expect(sockets.count).toBe(0);
  });

  it('so does a listener with idleTimeout and maxConnections', async () => {
    const sockets = countSocketsBuilt();
    await exchange(transport, { idleTimeout: 60_000, maxConnections: 10 });
    expect(sockets.count).toBe(0);
  });
});

describe('accepted connections and pending deprecations', () => {
  const child = fileURLToPath(new URL('./fixtures/accept-child.mjs', import.meta.url));
  const run = (args: string[]): { stdout: string; stderr: string } => {
    const { stdout, stderr } = spawnSync(process.execPath, [...args, child], { encoding: 'utf8', timeout: 20_000 });
    return { stdout, stderr };
  };

  it('are served on handles in a plain process', () => {
    expect(run([]).stdout.trim()).toBe('answer hello sockets=0');
  });

  it('stay sockets under --pending-deprecation, so that Node has nothing to warn about (process.binding, DEP0111)', () => {
    const { stdout, stderr } = run(['--pending-deprecation']);
    expect(stdout.trim()).toBe('answer hello sockets=1');
    expect(stderr).not.toContain('DEP0111');
  });
});
