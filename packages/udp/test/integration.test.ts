// The Rust message-io integration tests for Udp (echo with 1 and 100 clients, message size), plus
// the burst it leaves out ("UDP can lose packets"): here loss is counted and reported.
import { afterEach, describe, expect, it } from 'vitest';
import { SendStatus, type Endpoint } from '@message-io/core';
import { MAX_UDP_PAYLOAD_IPV4, MAX_UDP_PAYLOAD_IPV6, Udp } from '@message-io/udp';
import { echo, messages, randomBytes, rng, sleep, stopNodes, testNode, until } from './support.js';

const T = 15_000;
afterEach(stopNodes);

const families = [
  { name: 'IPv4', bind: '127.0.0.1:0', max: MAX_UDP_PAYLOAD_IPV4 },
  { name: 'IPv6', bind: '[::1]:0', max: MAX_UDP_PAYLOAD_IPV6 },
] as const;

describe.each(families)('Udp over $name', ({ bind, max }) => {
  it.each([1, 100])(
    'echoes to %i clients, each message from the listener, answered through Endpoint.fromListener',
    async (clients) => {
      const server = testNode(echo);
      const { id, addr } = await server.handler.network().listen(Udp, bind);
      const client = testNode();
      const net = client.handler.network();
      const endpoints = Array.from({ length: clients }, () => net.connect(Udp, addr));
      await client.waitCount((e) => e.type === 'connected' && e.ok, clients);
      for (const ep of endpoints) expect(net.send(ep, Uint8Array.of(42))).toBe(SendStatus.Sent);
      await client.waitCount((e) => e.type === 'message', clients);
      for (const ep of endpoints) {
        const got = messages(client, (e) => e.endpoint === ep);
        expect(got).toEqual([Uint8Array.of(42)]);
      }
      const received = server.events.filter((e) => e.type === 'message');
      expect(received).toHaveLength(clients);
      for (const e of received) expect(e.type === 'message' && e.endpoint.resourceId).toBe(id);
      expect(new Set(received.map((e) => e.type === 'message' && e.endpoint.addr)).size).toBe(clients);
      for (const ep of endpoints) expect(net.remove(ep.resourceId)).toBe(true);
      await sleep(50);
      expect(server.events.some((e) => e.type === 'accepted' || e.type === 'disconnected')).toBe(false);
      expect(client.events.some((e) => e.type === 'disconnected')).toBe(false);
    },
    T,
  );

  it(
    `carries one maximum-size datagram (${max} bytes) intact, both ways`,
    async () => {
      const server = testNode(echo);
      const { addr } = await server.handler.network().listen(Udp, bind);
      const client = testNode();
      const ep = await client.handler.network().connectAndWait(Udp, addr);
      const payload = randomBytes(rng(42), max);
      expect(client.handler.network().send(ep, payload)).toBe(SendStatus.Sent);
      const event = await client.waitFor((e) => e.type === 'message');
      expect(event.type === 'message' && Buffer.compare(event.data, payload)).toBe(0);
      expect(messages(server)).toHaveLength(1);
      expect(messages(server)[0]!.byteLength).toBe(max);
    },
    T,
  );
});

describe('burst', () => {
  it(
    'delivers a burst of 20,000 datagrams intact, with no duplicates; loss is counted and reported',
    async () => {
      const count = 20_000;
      const batch = 200;
      const server = testNode();
      const { addr } = await server.handler.network().listen(Udp, '127.0.0.1:0', { recvBufferSize: 4 * 1024 * 1024 });
      const client = testNode();
      const ep: Endpoint = await client.handler.network().connectAndWait(Udp, addr);
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        const status = client.handler.network().send(ep, new TextEncoder().encode(`Integration test message: ${i}`));
        expect(status).toBe(SendStatus.Sent);
        if (i % batch === batch - 1) await new Promise((r) => setImmediate(r));
      }
      const sentIn = performance.now() - started;
      const got = (): number => server.events.length;
      let last = -1;
      await until(
        () => {
          const stalled = got() === last;
          last = got();
          return got() === count || stalled;
        },
        { timeout: 10_000, what: 'the burst to settle' },
      ).catch(() => undefined);
      await sleep(100);
      const seen = new Set<number>();
      let reordered = 0;
      let previous = -1;
      for (const data of messages(server)) {
        const match = /^Integration test message: (\d+)$/.exec(Buffer.from(data).toString());
        expect(match, 'every datagram arrives whole and unchanged').not.toBeNull();
        const n = Number(match![1]);
        expect(seen.has(n), `datagram ${n} delivered once`).toBe(false);
        seen.add(n);
        if (n < previous) reordered++;
        previous = n;
      }
      const lost = count - seen.size;
      console.log(
        `udp burst: sent ${count} in ${sentIn.toFixed(0)} ms, received ${seen.size}, ` +
          `lost ${lost} (${((lost / count) * 100).toFixed(2)} %), reordered ${reordered}`,
      );
      expect(seen.size).toBeGreaterThan(0);
      expect(seen.size).toBeLessThanOrEqual(count);
    },
    T,
  );
});
