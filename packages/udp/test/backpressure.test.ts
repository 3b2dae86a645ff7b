// Closing with datagrams queued. On loopback the system never refuses a datagram for lack of
// buffer space, so the socket's send queue stays empty: this test injects a queue that never
// drains through dgram's own getSendQueueCount. queue.test.ts fills the queue for real (two
// network namespaces and a slow link): backpressure, writable, and queued datagrams keeping their bytes.
import { Socket } from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

describe('send queue', () => {
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
