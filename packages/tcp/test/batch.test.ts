// The write batch: small sends of several connections share one slab; each connection's bytes
// must still leave whole and in order, across slab rollovers and mixed with large sends.
import { afterEach, describe, expect, it } from 'vitest';
import { SendStatus, type Transport } from '@message-io/core';
import { FramedTcp, Tcp } from '@message-io/tcp';
import { testNode, until, type TestNode } from './support.js';

const nodes: TestNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.handler.stop();
});

describe.each([
  ['Tcp', Tcp],
  ['FramedTcp', FramedTcp],
] as [string, Transport<never, never>][])('%s write batching', (_name, transport) => {
  it('keeps interleaved small and large sends of three connections whole and in order', async () => {
    const server = testNode();
    const client = testNode();
    nodes.push(server, client);
    const { addr } = await server.handler.network().listen(transport, '127.0.0.1:0');
    const net = client.handler.network();
    const endpoints = [await net.connectAndWait(transport, addr), await net.connectAndWait(transport, addr), await net.connectAndWait(transport, addr)];
    await server.waitCount((e) => e.type === 'accepted', 3);
    const expected = endpoints.map(() => [] as Buffer[]);
    for (let turn = 0; turn < 5; turn++) {
      for (let i = 0; i < 60; i++) {
        endpoints.forEach((ep, c) => {
          const size = i % 20 === 19 ? 20_000 : 2 + ((i * 997 + c * 131) % 3000); // crosses the 64 KiB slab often
          const message = Buffer.alloc(size, (turn * 60 + i + c) & 0xff);
          message.writeUInt16BE((turn * 60 + i) & 0xffff, 0);
          expect(net.send(ep, message)).toBe(SendStatus.Sent);
          expected[c]!.push(message);
        });
      }
      await new Promise((r) => setImmediate(r));
    }
    const total = expected.reduce((n, list) => n + list.reduce((m, b) => m + b.length, 0), 0);
    const received = (): number => server.events.reduce((n, e) => n + (e.type === 'message' ? e.data.length : 0), 0);
    await until(() => received() >= total, { timeout: 10_000, what: 'every byte' });
    const byPeer = new Map<string, Buffer[]>();
    for (const e of server.events) if (e.type === 'message') byPeer.set(e.endpoint.addr, [...(byPeer.get(e.endpoint.addr) ?? []), Buffer.from(e.data)]);
    const streams = [...byPeer.values()].map((list) => Buffer.concat(list));
    const sent = expected.map((list) => Buffer.concat(list));
    expect(streams.map((s) => s.toString('hex')).sort()).toEqual(sent.map((s) => s.toString('hex')).sort());
    if (transport.packetBased) {
      const sizes = [...byPeer.values()].map((list) => list.map((b) => b.length).join(',')).sort();
      expect(sizes).toEqual(expected.map((list) => list.map((b) => b.length).join(',')).sort());
    }
  });
});
