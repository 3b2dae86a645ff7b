// maxConnections on a Ws listener: with the listener full, an upgrade request is answered HTTP 503
// before the upgrade (a client sees connected with ok: false), established connections go on, and
// a slot frees when one ends. The option is refused on connect, and checked for its range.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, type NodeEvent, type NodeHandler } from '@message-io/core';
import { Ws } from '@message-io/ws';
import { sleep, testNode, type TestNode } from './support.js';

const nodes: TestNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.handler.stop();
});

function node(onEvent?: (event: NodeEvent<never>, handler: NodeHandler<never>) => void): TestNode {
  const n = testNode(onEvent);
  nodes.push(n);
  return n;
}

/** The HTTP status a WebSocket upgrade request to `port` is answered with. */
function upgradeStatus(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/',
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve(response.statusCode ?? 0);
    });
    req.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('maxConnections on Ws', () => {
  it('answers 503 before the upgrade once full; a slot frees when a connection ends', async () => {
    const server = node();
    const { addr } = await server.handler.network().listen(Ws, '127.0.0.1:0', { maxConnections: 1 });
    const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
    const client = node();
    const first = await client.handler.network().connectAndWait(Ws, addr);
    expect(await upgradeStatus(port)).toBe(503);
    const refused = client.handler.network().connect(Ws, addr);
    const event = await client.waitFor((e) => e.type === 'connected' && e.endpoint === refused, 5_000);
    expect(event.type === 'connected' && event.ok).toBe(false);
    expect(event.type === 'connected' && String(event.error?.message)).toMatch(/503/);
    expect(server.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
    client.handler.network().remove(first.resourceId);
    await server.waitFor((e) => e.type === 'disconnected', 5_000);
    // The core frees the slot once the server's connection is closed; ws's own count follows its close.
    let status = 0;
    for (let i = 0; i < 50 && status !== 101; i++) {
      status = await upgradeStatus(port);
      if (status !== 101) await sleep(50);
    }
    expect(status).toBe(101);
  });

  it('is checked: an integer of at least 1, on listen only', async () => {
    const n = node();
    const net = n.handler.network();
    await expect(net.listen(Ws, '127.0.0.1:0', { maxConnections: 0 })).rejects.toThrow(/maxConnections must be an integer from 1/);
    await expect(net.listen(Ws, '127.0.0.1:0', { maxConnections: 1.5 })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => net.connect(Ws, '127.0.0.1:1', { maxConnections: 2 } as never)).toThrow(/unknown option maxConnections for Ws connect/);
  });
});
