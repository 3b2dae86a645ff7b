// Send queue accounting. On loopback the kernel never refuses a datagram for lack of buffer space,
// so libuv's send queue stays empty: these tests inject a full queue through dgram's own
// getSendQueueSize/getSendQueueCount and check what the node does with it.
import { Socket } from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Endpoint, SendStatus } from '@message-io/core';
import { Udp } from '@message-io/udp';
import { sleep, stopNodes, testNode, until } from './support.js';

const T = 15_000;
/**
 * How early a timer may seem to fire, measured with performance.now() from just before it was set:
 * Node times it from the event loop's clock, read when the loop last woke up.
 */
const TIMER_SLACK = 25;
afterEach(() => {
  vi.restoreAllMocks();
  stopNodes();
});

const MiB = 1024 * 1024;

describe('send queue', () => {
  it(
    'a connection over maxBufferedBytes answers Backpressure, then emits writable once its queue drains',
    async () => {
      const server = testNode();
      const { addr } = await server.handler.network().listen(Udp, '127.0.0.1:0');
      const client = testNode();
      const net = client.handler.network();
      const ep = await net.connectAndWait(Udp, addr, { maxBufferedBytes: MiB });
      // Datagram 1 joins a queue (so it carries a send callback) that is then seen over the cap:
      // its completion is the drain.
      const queue = vi.spyOn(Socket.prototype, 'getSendQueueSize').mockReturnValue(MiB / 2);
      expect(net.send(ep, Uint8Array.of(1))).toBe(SendStatus.Sent);
      queue.mockReturnValue(2 * MiB);
      expect(net.bufferedBytes(ep)).toBe(2 * MiB);
      expect(net.send(ep, Uint8Array.of(2))).toBe(SendStatus.Backpressure);
      queue.mockRestore();
      await client.waitFor((e) => e.type === 'writable' && e.endpoint === ep, 2000);
      expect(net.send(ep, Uint8Array.of(3))).toBe(SendStatus.Sent);
      await server.waitCount((e) => e.type === 'message', 2);
      expect(server.events.map((e) => (e.type === 'message' ? e.data[0] : -1))).toEqual([1, 3]);
    },
    T,
  );

  it(
    'a listener over maxBufferedBytes answers Backpressure to sends through Endpoint.fromListener',
    async () => {
      const server = testNode();
      const { id, addr } = await server.handler.network().listen(Udp, '127.0.0.1:0', { maxBufferedBytes: MiB });
      const to = Endpoint.fromListener(id, addr);
      vi.spyOn(Socket.prototype, 'getSendQueueSize').mockReturnValue(MiB);
      expect(server.handler.network().send(to, Uint8Array.of(1))).toBe(SendStatus.Backpressure);
      vi.restoreAllMocks();
      expect(server.handler.network().send(to, Uint8Array.of(2))).toBe(SendStatus.Sent);
      await server.waitFor((e) => e.type === 'message');
      expect(server.events.map((e) => (e.type === 'message' ? e.data[0] : -1))).toEqual([2]);
    },
    T,
  );

  it(
    'remove() waits for queued datagrams for linger milliseconds, then closes the socket',
    async () => {
      // 1.5 s, over the 1 s default: a close no earlier than 1.5 s shows the option was read.
      const linger = 1500;
      const client = testNode();
      const net = client.handler.network();
      const ep = await net.connectAndWait(Udp, '127.0.0.1:9', { linger });
      await sleep(30);
      const open = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
      const before = open();
      vi.spyOn(Socket.prototype, 'getSendQueueCount').mockReturnValue(1);
      const started = performance.now();
      net.remove(ep.resourceId);
      await sleep(100);
      expect(open()).toBe(before);
      // The queue never empties here, so without linger the socket would stay open: the bound only
      // ends a broken run.
      await until(() => open() === before - 1, { timeout: linger + 5000, what: 'the socket to close after linger' });
      expect(performance.now() - started).toBeGreaterThanOrEqual(linger - TIMER_SLACK);
    },
    T,
  );
});
