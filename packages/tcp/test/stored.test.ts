// A consumer that falls behind: the node stops reading past maxStoredBytes (TCP flow control
// slows the peer) and loses nothing (docs/reliability.md, `maxStoredBytes`).
import { afterEach, describe, expect, it } from 'vitest';
import { SendStatus, split, type NodeEvent } from '@message-io/core';
import { FramedTcp } from '@message-io/tcp';
import { sleep, testNode } from './support.js';

const MiB = 1024 * 1024;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A sender node that pushes `count` numbered 64 KiB messages, following backpressure. */
function sender(count: number): { start: (addr: string) => Promise<void>; sent: () => number } {
  let next = 0;
  const node = testNode((event, handler) => {
    if (event.type === 'connected' || event.type === 'writable') {
      const net = handler.network();
      while (next < count) {
        const message = new Uint8Array(64 * 1024);
        new DataView(message.buffer).setUint32(0, next);
        if (net.send(event.endpoint, message) !== SendStatus.Sent) break;
        next++;
      }
    }
  });
  cleanups.push(() => node.handler.stop());
  return {
    start: async (addr) => void node.handler.network().connect(FramedTcp, addr, { maxBufferedBytes: MiB }),
    sent: () => next,
  };
}

describe('a consumer behind the network', () => {
  it('an async iteration that does not pull keeps at most about maxStoredBytes, then gets every message in order', async () => {
    const count = 1024; // 64 MiB
    const [handler, listener] = split({ maxStoredBytes: 4 * MiB });
    cleanups.push(() => handler.stop());
    const { addr } = await handler.network().listen(FramedTcp, '127.0.0.1:0');
    const source = sender(count);
    await source.start(addr);
    await sleep(1000);
    // The sender was slowed down by flow control instead of being buffered for: what it got out is
    // at most what is stored (4 MiB), its own cap (1 MiB) and the kernel's socket buffers.
    expect(source.sent() * 64 * 1024).toBeLessThan(16 * MiB); // 8 MiB measured here; 64 MiB without the bound

    let seq = 0;
    const deadline = Date.now() + 10_000;
    for await (const event of listener as AsyncIterable<NodeEvent<never>>) {
      if (event.type !== 'message') continue;
      expect(new DataView(event.data.buffer, event.data.byteOffset).getUint32(0)).toBe(seq);
      if (++seq === count || Date.now() > deadline) break;
    }
    expect(seq).toBe(count);
  });

  it('events that arrive before forEach are bounded the same way and all delivered', async () => {
    const count = 512;
    const [handler, listener] = split({ maxStoredBytes: 2 * MiB });
    cleanups.push(() => handler.stop());
    const { addr } = await handler.network().listen(FramedTcp, '127.0.0.1:0');
    const source = sender(count);
    await source.start(addr);
    await sleep(500);
    expect(source.sent()).toBeLessThan(count);
    let seq = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seq} messages`)), 10_000);
      void listener.forEach((event) => {
        if (event.type !== 'message') return;
        if (new DataView(event.data.buffer, event.data.byteOffset).getUint32(0) !== seq) reject(new Error(`out of order at ${seq}`));
        if (++seq === count) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(seq).toBe(count);
  });

  it('rejects a bad maxStoredBytes', () => {
    expect(() => split({ maxStoredBytes: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => split({ maxStoredBytes: 'big' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
