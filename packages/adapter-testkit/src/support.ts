// Helpers for adapter tests: a node whose events can be awaited, polling, seeded randomness.
import { split, type Endpoint, type NodeEvent, type NodeHandler } from '@message-io/core';

/** A running node whose events are recorded (message data copied) and can be awaited. */
export interface TestNode<S = never> {
  /** The node's handler: network, signals, stop. */
  readonly handler: NodeHandler<S>;
  /** Every event delivered so far, in order; message data is a copy the event owns. */
  readonly events: NodeEvent<S>[];
  /** Resolves with the first recorded event (from index `from` on) that matches; rejects after `ms`. */
  waitFor<E extends NodeEvent<S>>(match: (event: NodeEvent<S>) => event is E, ms?: number, from?: number): Promise<E>;
  waitFor(match: (event: NodeEvent<S>) => boolean, ms?: number, from?: number): Promise<NodeEvent<S>>;
  /** Resolves with the matching events once there are `count` of them; rejects after `ms`. */
  waitCount(match: (event: NodeEvent<S>) => boolean, count: number, ms?: number): Promise<NodeEvent<S>[]>;
  /** Deepest nesting of the callback seen so far: 1 means it was never re-entered. */
  maxDepth(): number;
  /** Errors thrown by `onEvent` (the node stops on the first one). */
  readonly errors: unknown[];
  /** The `forEach` promise: settles when the node stops. Never rejects unhandled. */
  readonly done: Promise<void>;
  /** Stops the node (same as `handler.stop()`). */
  stop(): void;
}

/** What `onEvent` of {@link testNode} gets: the event (data valid during the call) and the handler. */
export type OnEvent<S> = (event: NodeEvent<S>, handler: NodeHandler<S>) => void;

/** Records `event`, with message data copied so that it outlives the callback. */
function stored<S>(event: NodeEvent<S>): NodeEvent<S> {
  return event.type === 'message' ? { ...event, data: new Uint8Array(event.data) } : event;
}

/**
 * Starts a node with a `forEach` consumer that records every event and then runs `onEvent`
 * (inside the callback: replies go there). Stop it when the test ends.
 */
export function testNode<S = never>(onEvent?: OnEvent<S>): TestNode<S> {
  const [handler, listener] = split<S>();
  const events: NodeEvent<S>[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => boolean>();
  let depth = 0;
  let deepest = 0;
  const done = listener.forEach((event) => {
    depth++;
    deepest = Math.max(deepest, depth);
    try {
      events.push(stored(event));
      onEvent?.(event, handler);
    } catch (error) {
      errors.push(error);
      throw error;
    } finally {
      depth--;
      for (const check of [...waiters]) check();
    }
  });
  done.catch(() => undefined);
  const waitCount = (match: (event: NodeEvent<S>) => boolean, count: number, ms = 5_000, from = 0): Promise<NodeEvent<S>[]> =>
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
        const seen = events.map((e) => (e.type === 'connected' ? `connected(${e.ok})` : e.type)).join(', ');
        reject(new Error(`timed out after ${ms} ms waiting for ${count} matching events; saw: ${seen || 'nothing'}`));
      }, ms);
      if (!check()) waiters.add(check);
    });
  const waitFor = (async (match: (event: NodeEvent<S>) => boolean, ms = 5_000, from = 0) => (await waitCount(match, 1, ms, from))[0]) as TestNode<S>['waitFor'];
  return { handler, events, waitFor, waitCount, maxDepth: () => deepest, errors, done, stop: () => handler.stop() };
}

/** The events of `endpoint` among `events` (signals left out). */
export function eventsOf<S>(events: readonly NodeEvent<S>[], endpoint: Endpoint): NodeEvent<S>[] {
  return events.filter((e) => e.type !== 'signal' && e.endpoint === endpoint);
}

/** The data of every `message` from `endpoint`, in order. */
export function messagesOf<S>(events: readonly NodeEvent<S>[], endpoint?: Endpoint): Uint8Array[] {
  return events.flatMap((e) => (e.type === 'message' && (endpoint === undefined || e.endpoint === endpoint) ? [e.data] : []));
}

/** The bytes of every `message` from `endpoint`, joined: what a stream transport carried. */
export function bytesOf<S>(events: readonly NodeEvent<S>[], endpoint?: Endpoint): Uint8Array {
  return joinBytes(messagesOf(events, endpoint));
}

/** `parts` one after the other, in one new Uint8Array. */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.byteLength;
  }
  return joined;
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What {@link until} waits for, and how long. */
export interface UntilOptions {
  /** Milliseconds before it gives up. Default 5,000. */
  readonly timeout?: number;
  /** What is awaited, for the failure message (`timed out after 5000 ms waiting for <what>`). Default `'the condition'`. */
  readonly what?: string;
}

/**
 * Polls `condition` every few milliseconds (timers, so I/O runs in between) until it holds;
 * rejects after `timeout` milliseconds with an error that names `what` and the timeout. Every wait
 * of the tests goes through it, so that none is unbounded.
 */
export async function until(condition: () => boolean, options: UntilOptions = {}): Promise<void> {
  const timeout = options.timeout ?? 5_000;
  const what = options.what ?? 'the condition';
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(2);
  }
}

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same numbers in [0, 1). */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` seeded random bytes from `random` (see {@link rng}). */
export function randomBytes(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const word = (random() * 4294967296) >>> 0;
    bytes[i] = word & 0xff;
    if (i + 1 < length) bytes[i + 1] = (word >>> 8) & 0xff;
    if (i + 2 < length) bytes[i + 2] = (word >>> 16) & 0xff;
    if (i + 3 < length) bytes[i + 3] = word >>> 24;
  }
  return bytes;
}

/** True when `a` and `b` hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** `data` decoded as UTF-8. */
export function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}
