// The Rust message-io integration tests, ported for Tcp and FramedTcp, on real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectError, SendStatus, type Endpoint, type NodeHandler, type Transport } from '@message-io/core';
import { FramedTcp, Tcp } from '@message-io/tcp';
import { randomBytes, rng, testNode, until, type TestNode } from './support.js';

const nodes: TestNode<unknown>[] = [];
function node<S = never>(onEvent?: Parameters<typeof testNode<S>>[0]): TestNode<S> {
  const n = testNode<S>(onEvent);
  nodes.push(n as TestNode<unknown>);
  return n;
}
afterEach(() => {
  for (const n of nodes.splice(0)) n.handler.stop();
});

const echo = (event: { type: string; endpoint?: Endpoint; data?: Uint8Array }, handler: NodeHandler<never>): void => {
  if (event.type === 'message') handler.network().send(event.endpoint!, event.data!);
};

/** Bytes received from `endpoint`, joined (a Tcp stream has no boundaries). */
function received(n: TestNode, endpoint: Endpoint): Uint8Array {
  return Buffer.concat(n.events.flatMap((e) => (e.type === 'message' && e.endpoint === endpoint ? [e.data] : [])));
}

const transports: [string, Transport<never, never>, string][] = [
  ['Tcp', Tcp, '127.0.0.1:0'],
  ['FramedTcp', FramedTcp, '127.0.0.1:0'],
  ['Tcp over IPv6', Tcp, '[::1]:0'],
  ['FramedTcp over IPv6', FramedTcp, '[::1]:0'],
];

describe.each(transports)('%s', (_name, transport, bindAddr) => {
  it.each([1, 100])('echoes to %i clients', async (clients) => {
    const server = node(echo);
    const { addr } = await server.handler.network().listen(transport, bindAddr);
    const client = node();
    const net = client.handler.network();
    const endpoints = Array.from({ length: clients }, () => net.connect(transport, addr));
    await client.waitCount((e) => e.type === 'connected' && e.ok, clients);
    const payloads = endpoints.map((_, i) => Buffer.from(`message from client ${i}`));
    endpoints.forEach((ep, i) => expect(net.send(ep, payloads[i]!)).toBe(SendStatus.Sent));
    await server.waitCount((e) => e.type === 'accepted', clients);
    const complete = (i: number): boolean => received(client, endpoints[i]!).length >= payloads[i]!.length;
    await until(() => endpoints.every((_, i) => complete(i)), { timeout: 5000, what: 'every echo' }).catch(() => undefined);
    endpoints.forEach((ep, i) => expect(Buffer.from(received(client, ep)).toString()).toBe(payloads[i]!.toString()));
    for (const ep of endpoints) expect(net.remove(ep.resourceId)).toBe(true);
    await server.waitCount((e) => e.type === 'disconnected', clients);
  });

  it('delivers a burst of 200,000 small messages in order', async () => {
    const count = 200_000;
    const server = node();
    const { addr } = await server.handler.network().listen(transport, bindAddr);
    const client = node();
    const ep = await client.handler.network().connectAndWait(transport, addr);
    for (let i = 0; i < count; i++) {
      const message = new Uint8Array(8);
      const view = new DataView(message.buffer);
      view.setUint32(0, i, true);
      view.setUint32(4, ~i, true);
      expect(client.handler.network().send(ep, message)).toBe(SendStatus.Sent);
    }
    const total = count * 8;
    const bytes = (): number => server.events.reduce((n, e) => n + (e.type === 'message' ? e.data.length : 0), 0);
    await until(() => bytes() >= total, { timeout: 10_000, what: 'the whole burst' }).catch(() => undefined);
    const stream = Buffer.concat(server.events.flatMap((e) => (e.type === 'message' ? [e.data] : [])));
    expect(stream.length).toBe(total);
    if (transport.packetBased) expect(server.events.filter((e) => e.type === 'message').length).toBe(count);
    for (let i = 0; i < count; i++) {
      if (stream.readUInt32LE(i * 8) !== i || stream.readInt32LE(i * 8 + 4) !== ~i) throw new Error(`message ${i} out of order`);
    }
  });

  it('carries one 8 MiB message intact', async () => {
    const size = 8 * 1024 * 1024;
    const server = node(echo);
    const { addr } = await server.handler.network().listen(transport, bindAddr);
    const client = node();
    const ep = await client.handler.network().connectAndWait(transport, addr);
    const payload = randomBytes(rng(8), size);
    expect(client.handler.network().send(ep, payload)).toBe(SendStatus.Sent);
    await until(() => received(client, ep).length >= size, { timeout: 10_000, what: 'the echo' }).catch(() => undefined);
    const back = received(client, ep);
    expect(back.length).toBe(size);
    expect(Buffer.compare(back, payload)).toBe(0);
    if (transport.packetBased) {
      expect(server.events.filter((e) => e.type === 'message').length).toBe(1);
      expect(client.events.filter((e) => e.type === 'message').length).toBe(1);
    }
  });

  it('reports a refused connection once, with ok: false and ConnectError', async () => {
    const probe = node();
    const { id, addr } = await probe.handler.network().listen(transport, bindAddr);
    probe.handler.network().remove(id);
    await new Promise((r) => setTimeout(r, 50));
    const client = node();
    const ep = client.handler.network().connect(transport, addr);
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
    const { id, addr } = await net.listen(transport, bindAddr);
    const client = node();
    const first = await client.handler.network().connectAndWait(transport, addr);
    const second = await client.handler.network().connectAndWait(transport, addr);
    await server.waitCount((e) => e.type === 'accepted', 2);

    expect(net.remove(id)).toBe(true);
    expect(net.isReady(id)).toBeUndefined();
    const refused = client.handler.network().connect(transport, addr);
    await client.waitFor((e) => e.type === 'connected' && e.endpoint === refused && !e.ok, 2000);

    expect(client.handler.network().send(first, Buffer.from('still up'))).toBe(SendStatus.Sent);
    await client.waitFor((e) => e.type === 'message' && e.endpoint === first);

    expect(client.handler.network().remove(second.resourceId)).toBe(true);
    await server.waitFor((e) => e.type === 'disconnected');
    expect(client.events.some((e) => e.type === 'disconnected')).toBe(false);
  });
});
