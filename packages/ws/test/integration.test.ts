// The Rust message-io integration tests, ported for Ws, on real sockets (127.0.0.1 and ::1).
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectError, SendStatus, type Endpoint, type NodeEvent, type NodeHandler } from '@message-io/core';
import { Ws } from '@message-io/ws';
import { randomBytes, rng, testNode, until, type TestNode } from './support.js';

const nodes: TestNode<unknown>[] = [];
function node(onEvent?: (event: NodeEvent<never>, handler: NodeHandler<never>) => void): TestNode {
  const n = testNode(onEvent);
  nodes.push(n as TestNode<unknown>);
  return n;
}
afterEach(() => {
  for (const n of nodes.splice(0)) n.handler.stop();
});

const echo = (event: NodeEvent<never>, handler: NodeHandler<never>): void => {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
};

const messagesFrom = (n: TestNode, endpoint?: Endpoint): Uint8Array[] =>
  n.events.flatMap((e) => (e.type === 'message' && (endpoint === undefined || e.endpoint === endpoint) ? [e.data] : []));

describe.each([
  ['IPv4', '127.0.0.1:0'],
  ['IPv6', '[::1]:0'],
])('Ws over %s', (_name, bindAddr) => {
  it.each([1, 100])('echoes to %i clients', async (clients) => {
    const server = node(echo);
    const { addr } = await server.handler.network().listen(Ws, bindAddr);
    const client = node();
    const net = client.handler.network();
    const endpoints = Array.from({ length: clients }, () => net.connect(Ws, addr));
    await client.waitCount((e) => e.type === 'connected' && e.ok, clients, 10_000);
    const payloads = endpoints.map((_, i) => Buffer.from(`message from client ${i}`));
    endpoints.forEach((ep, i) => expect(net.send(ep, payloads[i]!)).toBe(SendStatus.Sent));
    await server.waitCount((e) => e.type === 'accepted', clients);
    await client.waitCount((e) => e.type === 'message', clients, 10_000);
    endpoints.forEach((ep, i) => {
      const got = messagesFrom(client, ep);
      expect(got).toHaveLength(1);
      expect(Buffer.from(got[0]!).toString()).toBe(payloads[i]!.toString());
    });
    for (const ep of endpoints) expect(net.remove(ep.resourceId)).toBe(true);
    await server.waitCount((e) => e.type === 'disconnected', clients, 10_000);
    expect(client.events.some((e) => e.type === 'disconnected')).toBe(false);
  });

  it('delivers a burst of 200,000 small messages whole and in order', async () => {
    const count = 200_000;
    const server = node();
    const { addr } = await server.handler.network().listen(Ws, bindAddr);
    const client = node();
    const net = client.handler.network();
    const ep = await net.connectAndWait(Ws, addr);
    for (let i = 0; i < count; i++) {
      const message = new Uint8Array(8);
      const view = new DataView(message.buffer);
      view.setUint32(0, i, true);
      view.setInt32(4, ~i, true);
      expect(net.send(ep, message)).toBe(SendStatus.Sent);
    }
    await until(() => messagesFrom(server).length >= count, { timeout: 12_000, what: 'the whole burst' }).catch(() => undefined);
    const got = messagesFrom(server);
    expect(got).toHaveLength(count);
    for (let i = 0; i < count; i++) {
      const m = Buffer.from(got[i]!);
      if (m.length !== 8 || m.readUInt32LE(0) !== i || m.readInt32LE(4) !== ~i) throw new Error(`message ${i} is wrong or out of order`);
    }
  });

  it('carries one 8 MiB message intact, both ways', async () => {
    const size = 8 * 1024 * 1024;
    const server = node(echo);
    const { addr } = await server.handler.network().listen(Ws, bindAddr);
    const client = node();
    const ep = await client.handler.network().connectAndWait(Ws, addr);
    const payload = randomBytes(rng(8), size);
    expect(client.handler.network().send(ep, payload)).toBe(SendStatus.Sent);
    await client.waitFor((e) => e.type === 'message', 10_000);
    const back = messagesFrom(client, ep);
    expect(back).toHaveLength(1);
    expect(Buffer.compare(back[0]!, payload)).toBe(0);
    expect(messagesFrom(server)).toHaveLength(1);
  });

  it('reports a refused connection once, with ok: false and ConnectError', async () => {
    const probe = node();
    const { id, addr } = await probe.handler.network().listen(Ws, bindAddr);
    probe.handler.network().remove(id);
    await new Promise((r) => setTimeout(r, 50));
    const client = node();
    const ep = client.handler.network().connect(Ws, addr);
    // A refusal comes in milliseconds, with ConnectError; a connect timeout (30 s by default) would
    // give ConnectTimeoutError. The 5 s bound only ends a broken run.
    const event = await client.waitFor((e) => e.type === 'connected', 5000);
    expect(event).toMatchObject({ endpoint: ep, ok: false });
    expect(event.type === 'connected' && event.error).toBeInstanceOf(ConnectError);
    await new Promise((r) => setTimeout(r, 100));
    expect(client.events.filter((e) => e.type === 'connected')).toHaveLength(1);
    expect(client.handler.network().send(ep, new Uint8Array([1]))).toBe(SendStatus.ResourceNotFound);
    expect(client.handler.network().isReady(ep.resourceId)).toBeUndefined();
  });

  it('removes a connection (the peer sees it end) and a listener (accepted connections stay up)', async () => {
    const server = node(echo);
    const net = server.handler.network();
    const { id, addr } = await net.listen(Ws, bindAddr);
    const client = node();
    const first = await client.handler.network().connectAndWait(Ws, addr);
    const second = await client.handler.network().connectAndWait(Ws, addr);
    await server.waitCount((e) => e.type === 'accepted', 2);

    expect(net.remove(id)).toBe(true);
    expect(net.remove(id)).toBe(false);
    expect(net.isReady(id)).toBeUndefined();
    const refused = client.handler.network().connect(Ws, addr);
    await client.waitFor((e) => e.type === 'connected' && e.endpoint === refused && !e.ok, 2000);

    expect(client.handler.network().send(first, Buffer.from('still up'))).toBe(SendStatus.Sent);
    await client.waitFor((e) => e.type === 'message' && e.endpoint === first);

    expect(client.handler.network().remove(second.resourceId)).toBe(true);
    await server.waitFor((e) => e.type === 'disconnected');
    expect(server.events.filter((e) => e.type === 'disconnected')).toHaveLength(1);
    expect(client.events.some((e) => e.type === 'disconnected')).toBe(false);
  });

  it('stop() closes everything: the peer sees its connection end, nothing follows', async () => {
    const server = node();
    const { addr } = await server.handler.network().listen(Ws, bindAddr);
    const client = node();
    const ep = await client.handler.network().connectAndWait(Ws, addr);
    await server.waitFor((e) => e.type === 'accepted');
    server.handler.stop();
    await server.done;
    const count = server.events.length;
    await client.waitFor((e) => e.type === 'disconnected' && e.endpoint === ep, 3000);
    expect(client.handler.network().send(ep, new Uint8Array([1]))).toBe(SendStatus.ResourceNotFound);
    expect(server.events.length).toBe(count);
    await expect(server.handler.network().listen(Ws, bindAddr)).rejects.toMatchObject({ code: 'ERR_NODE_STOPPED' });
  });
});
