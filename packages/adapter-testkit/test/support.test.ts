// The helpers the testkit exports: recorded nodes, polling, seeded randomness, byte helpers.
import { describe, expect, it } from 'vitest';
import { bytesOf, messagesOf, randomBytes, rng, sameBytes, sleep, testNode, text, until, utf8 } from '@message-io/adapter-testkit';

describe('testNode', () => {
  it('records events, awaits them, and reports the callback depth', async () => {
    const node = testNode<string>((event, handler) => {
      if (event.type === 'signal' && event.signal === 'ping') handler.signals().send('pong');
    });
    try {
      node.handler.signals().send('ping');
      const pong = await node.waitFor((e) => e.type === 'signal' && e.signal === 'pong', 1_000);
      expect(pong).toEqual({ type: 'signal', signal: 'pong' });
      expect(node.events.map((e) => (e.type === 'signal' ? e.signal : e.type))).toEqual(['ping', 'pong']);
      expect(node.maxDepth()).toBe(1);
      await expect(node.waitCount((e) => e.type === 'message', 1, 50)).rejects.toThrow(/timed out after 50 ms/);
    } finally {
      node.stop();
    }
    await node.done;
  });

  it('keeps what the callback threw, and the node stops', async () => {
    const node = testNode<number>(() => {
      throw new Error('boom');
    });
    node.handler.signals().send(1);
    await until(() => !node.handler.isRunning(), { timeout: 1_000, what: 'the node to stop' });
    expect(node.errors.map(String)).toEqual(['Error: boom']);
  });
});

describe('until and sleep', () => {
  it('resolves once the condition holds, and names what never came', async () => {
    let ready = false;
    void sleep(20).then(() => (ready = true));
    await until(() => ready, { timeout: 1_000 });
    await expect(until(() => false, { timeout: 30, what: 'nothing' })).rejects.toThrow('timed out after 30 ms waiting for nothing');
  });
});

describe('seeded randomness', () => {
  it('gives the same numbers for the same seed, in [0, 1)', () => {
    const a = rng(42);
    const b = rng(42);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(rng(43)()).not.toBe(values[0]);
  });

  it('gives seeded bytes of any length', () => {
    expect(sameBytes(randomBytes(rng(1), 7), randomBytes(rng(1), 7))).toBe(true);
    expect(randomBytes(rng(1), 7)).toHaveLength(7);
    expect(sameBytes(randomBytes(rng(1), 64), randomBytes(rng(2), 64))).toBe(false);
  });
});

describe('byte helpers', () => {
  it('joins messages and converts text', () => {
    const events = [
      { type: 'message', endpoint: undefined as never, data: utf8('ab') },
      { type: 'message', endpoint: undefined as never, data: utf8('c') },
    ] as const;
    expect(messagesOf([...events])).toHaveLength(2);
    expect(text(bytesOf([...events]))).toBe('abc');
    expect(sameBytes(utf8('x'), utf8('y'))).toBe(false);
  });
});
