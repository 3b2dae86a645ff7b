// A consumer that falls behind: past the node's maxStoredBytes the core pauses the Ws connection
// (pauseReceive: ws stops reading), TCP flow control slows the peer, and nothing is lost.
import { afterEach, describe, expect, it } from 'vitest';
import { SendStatus, split, type NodeEvent } from '@message-io/core';
import { Ws } from '@message-io/ws';
import { sleep, testNode } from './support.js';

const MiB = 1024 * 1024;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A sender node that pushes `count` numbered 64 KiB messages, following backpressure. */
function sender(count: number): { start: (addr: string) => void; sent: () => number } {
  let next = 0;
  const node = testNode((event, handler) => {
    if (event.type === 'connected' || event.type === 'writable') {
      while (next < count) {
        const message = new Uint8Array(64 * 1024);
        new DataView(message.buffer).setUint32(0, next);
        if (handler.network().send(event.endpoint, message) !== SendStatus.Sent) break;
        next++;
      }
    }
  });
  cleanups.push(() => node.handler.stop());
  return { start: (addr) => void node.handler.network().connect(Ws, addr, { maxBufferedBytes: MiB }), sent: () => next };
}

describe('a consumer behind the network', () => {
  it('events before forEach are bounded by maxStoredBytes (the peer is slowed), then all delivered in order', async () => {
    const count = 512; // 32 MiB
    const [handler, listener] = split({ maxStoredBytes: 2 * MiB });
    cleanups.push(() => handler.stop());
    const { addr } = await handler.network().listen(Ws, '127.0.0.1:0');
    const source = sender(count);
    source.start(addr);
    await sleep(700);
    // Out of the sender: at most what is stored, its own cap and the kernel's socket buffers.
    expect(source.sent() * 64 * 1024).toBeLessThan(16 * MiB);
    let seq = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seq} messages`)), 10_000);
      void listener.forEach((event: NodeEvent<never>) => {
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
});
