// ND-03 (docs/reliability.md): a third-party adapter that breaks its contract hurts only its own resources.
// Each case runs a faulty toy transport next to a healthy one in the same nodes, and checks that the
// fault becomes a status or an event, that late callbacks are ignored, and that the healthy
// connection keeps echoing.
import { afterEach, describe, expect, it } from 'vitest';
import { AdapterError, ConnectTimeoutError, SendStatus, type Endpoint, type NodeEvent, type Transport } from '@message-io/core';
import { eventsOf, sleep, testNode, text, until, utf8, type TestNode } from '@message-io/adapter-testkit';
import { closedLocals, faultyTransport, lateCalls, type Faults } from './faulty-transport.js';

const nodes: TestNode[] = [];
afterEach(() => {
  lateCalls.splice(0);
  for (const node of nodes.splice(0)) node.stop();
});

function node(onEvent?: Parameters<typeof testNode<never>>[0]): TestNode {
  const created = testNode(onEvent);
  nodes.push(created);
  return created;
}

const echo = (event: NodeEvent<never>, handler: TestNode['handler']): void => {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
};

interface World {
  server: TestNode;
  client: TestNode;
  faulty: Transport;
  healthy: Endpoint;
  faultyAddr: string;
}

/** A server listening on a healthy and a faulty transport; a client connected to the healthy one. */
async function world(faults: Faults): Promise<World> {
  const healthyTransport = faultyTransport('Healthy');
  const faulty = faultyTransport('Faulty', faults);
  const server = node(echo);
  const { addr } = await server.handler.network().listen(healthyTransport, '127.0.0.1:0');
  const { addr: faultyAddr } = await server.handler.network().listen(faulty, '127.0.0.1:0');
  const client = node();
  const healthy = await client.handler.network().connectAndWait(healthyTransport, addr);
  return { server, client, faulty, healthy, faultyAddr };
}

/** The healthy connection still echoes, and both nodes still run. */
async function stillWorks({ server, client, healthy }: World, payload = 'still here'): Promise<void> {
  expect(client.handler.network().send(healthy, utf8(payload))).toBe(SendStatus.Sent);
  await client.waitFor((e) => e.type === 'message' && e.endpoint === healthy && text(e.data) === payload, 2_000);
  expect(server.handler.isRunning()).toBe(true);
  expect(client.handler.isRunning()).toBe(true);
}

describe('ND-03 fault isolation: a faulty adapter hurts only its own resources', () => {
  it('a throw in send gives ResourceNotFound, then disconnected with an AdapterError', async () => {
    const w = await world({ throwInSend: true });
    const endpoint = await w.client.handler.network().connectAndWait(w.faulty, w.faultyAddr);
    expect(w.client.handler.network().send(endpoint, utf8('boom'))).toBe(SendStatus.ResourceNotFound);
    const event = await w.client.waitFor((e) => e.type === 'disconnected' && e.endpoint === endpoint, 2_000);
    expect(event.type === 'disconnected' && event.error).toBeInstanceOf(AdapterError);
    expect(w.client.handler.network().send(endpoint, utf8('again'))).toBe(SendStatus.ResourceNotFound);
    await w.server.waitFor((e) => e.type === 'disconnected', 2_000);
    await stillWorks(w);
  });

  it('a throw in receive gives connected, then disconnected with an AdapterError', async () => {
    const w = await world({ throwInReceive: true });
    const endpoint = w.client.handler.network().connect(w.faulty, w.faultyAddr);
    const event = await w.client.waitFor((e) => e.type === 'disconnected' && e.endpoint === endpoint, 2_000);
    expect(event.type === 'disconnected' && event.error).toBeInstanceOf(AdapterError);
    expect(eventsOf(w.client.events, endpoint).map((e) => e.type)).toEqual(['connected', 'disconnected']);
    expect(w.client.handler.network().isReady(endpoint.resourceId)).toBeUndefined();
    await stillWorks(w);
  });

  it('a connection that never becomes ready hits connectTimeout: connected with ok: false', async () => {
    const w = await world({ neverReady: true });
    const started = Date.now();
    const endpoint = w.client.handler.network().connect(w.faulty, w.faultyAddr, { connectTimeout: 200 });
    await stillWorks(w, 'while the other one is pending');
    const event = await w.client.waitFor((e) => e.type === 'connected' && e.endpoint === endpoint, 2_000);
    expect(event).toMatchObject({ ok: false });
    expect(event.type === 'connected' && event.error).toBeInstanceOf(ConnectTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await expect(w.client.handler.network().connectAndWait(w.faulty, w.faultyAddr, { connectTimeout: 100 })).rejects.toBeInstanceOf(ConnectTimeoutError);
    expect(w.client.handler.network().isReady(endpoint.resourceId)).toBeUndefined();
    await stillWorks(w);
  });

  it('data, readiness and closes reported after the connection closed are ignored', async () => {
    const w = await world({ reportAfterClose: true });
    const endpoint = await w.client.handler.network().connectAndWait(w.faulty, w.faultyAddr);
    const accepted = await w.server.waitFor((e) => e.type === 'accepted' && e.endpoint.resourceId.adapterId !== w.healthy.resourceId.adapterId);
    if (accepted.type === 'accepted') w.server.handler.network().remove(accepted.endpoint.resourceId);
    await w.client.waitFor((e) => e.type === 'disconnected' && e.endpoint === endpoint, 2_000);
    const before = w.client.events.length;
    const serverBefore = w.server.events.length;
    for (const late of lateCalls.splice(0)) late();
    await sleep(50);
    expect(w.client.events.slice(before)).toEqual([]);
    expect(w.server.events.slice(serverBefore)).toEqual([]);
    await stillWorks(w);
  });

  it('callbacks after remove(), of a connection and of a listener, are ignored', async () => {
    const w = await world({ reportAfterClose: true });
    const endpoint = await w.client.handler.network().connectAndWait(w.faulty, w.faultyAddr);
    await w.server.waitCount((e) => e.type === 'accepted', 2);
    expect(w.client.handler.network().remove(endpoint.resourceId)).toBe(true);
    const listener = await w.server.handler.network().listen(w.faulty, '127.0.0.1:0');
    expect(w.server.handler.network().remove(listener.id)).toBe(true);
    await w.server.waitFor((e) => e.type === 'disconnected', 2_000);
    const before = w.client.events.length;
    const serverBefore = w.server.events.length;
    for (const late of lateCalls.splice(0)) late();
    await sleep(50);
    expect(eventsOf(w.client.events.slice(before), endpoint)).toEqual([]);
    expect(w.server.events.slice(serverBefore)).toEqual([]);
    await stillWorks(w);
  });

  it('a throw in Local.source rejects listen, closes that listener, and leaves the node working', async () => {
    const w = await world({});
    const broken = faultyTransport('Broken', { throwInLocalSource: true });
    const closes = closedLocals.count;
    await expect(w.server.handler.network().listen(broken, '127.0.0.1:0')).rejects.toBeInstanceOf(AdapterError);
    expect(closedLocals.count).toBe(closes + 1);
    await stillWorks(w);
  });

  it.each([
    ['a close', { closeInSource: true }, false],
    ['readiness', { notifyInSource: true }, true],
  ] as const)('%s reported from inside source still comes after connect() returned', async (_what, faults, ok) => {
    const w = await world(faults);
    let connecting = false;
    let duringConnect = 0;
    const client = node((event) => {
      if (connecting && event.type === 'connected') duringConnect++;
    });
    connecting = true;
    const endpoint = client.handler.network().connect(w.faulty, w.faultyAddr);
    connecting = false;
    const event = await client.waitFor((e) => e.type === 'connected' && e.endpoint === endpoint, 2_000);
    expect(event).toMatchObject({ ok });
    expect(duringConnect).toBe(0);
    if (!ok) await until(() => client.handler.network().isReady(endpoint.resourceId) === undefined, { timeout: 1_000, what: 'the resource to be freed' });
    await stillWorks(w);
  });

  it('a message handed to the watch before receive is dropped; the connection then carries messages', async () => {
    const w = await world({ receivedInSource: true });
    const client = node();
    const endpoint = await client.handler.network().connectAndWait(w.faulty, w.faultyAddr);
    expect(client.handler.network().send(endpoint, utf8('after'))).toBe(SendStatus.Sent);
    await client.waitFor((e) => e.type === 'message' && e.endpoint === endpoint, 2_000);
    const messages = client.events.filter((e) => e.type === 'message').map((e) => (e.type === 'message' ? text(e.data) : ''));
    expect(messages).toEqual(['after']);
    expect(w.server.events.filter((e) => e.type === 'message').map((e) => (e.type === 'message' ? text(e.data) : ''))).toEqual(['after']);
    await stillWorks(w);
  });
});
