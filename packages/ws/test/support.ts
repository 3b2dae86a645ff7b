// Test support for the Ws package: a node whose events can be awaited, seeded random bytes, polling.
import { split, type NodeEvent, type NodeHandler } from '@message-io/core';

/** A running node whose events are recorded and can be awaited. */
export interface TestNode<S = never> {
  handler: NodeHandler<S>;
  events: NodeEvent<S>[];
  /** Resolves with the first recorded event (from `from` on) that matches, or rejects after `ms`. */
  waitFor<E extends NodeEvent<S>>(match: (event: NodeEvent<S>) => event is E, ms?: number, from?: number): Promise<E>;
  waitFor(match: (event: NodeEvent<S>) => boolean, ms?: number, from?: number): Promise<NodeEvent<S>>;
  /** Resolves when `count` events match, or rejects after `ms`. */
  waitCount(match: (event: NodeEvent<S>) => boolean, count: number, ms?: number): Promise<NodeEvent<S>[]>;
  done: Promise<void>;
}

/**
 * Starts a node. `onEvent` runs inside the callback (for replies); every event is recorded, with
 * message data copied.
 */
export function testNode<S = never>(onEvent?: (event: NodeEvent<S>, handler: NodeHandler<S>) => void): TestNode<S> {
  const [handler, listener] = split<S>();
  const events: NodeEvent<S>[] = [];
  const waiters = new Set<() => void>();
  const done = listener.forEach((event) => {
    events.push(event.type === 'message' ? { ...event, data: new Uint8Array(event.data) } : event);
    onEvent?.(event, handler);
    for (const w of [...waiters]) w();
  });
  const waitCount = (match: (event: NodeEvent<S>) => boolean, count: number, ms = 5000, from = 0): Promise<NodeEvent<S>[]> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = events.slice(from).filter(match);
        if (found.length < count) return false;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${ms} ms waiting for ${count} events; saw: ${events.map((e) => e.type).join(',')}`));
      }, ms);
      if (!check()) waiters.add(check);
    });
  const waitFor = (async (match: (event: NodeEvent<S>) => boolean, ms = 5000, from = 0) =>
    (await waitCount(match, 1, ms, from))[0]) as TestNode<S>['waitFor'];
  return { handler, events, waitFor, waitCount, done };
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded random bytes. */
export function randomBytes(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (random() * 256) | 0;
  return bytes;
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 5 ms until it holds; rejects after `ms` with `what` in the message. */
export async function until(condition: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}
