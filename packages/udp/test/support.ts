// Test support for the Udp package: nodes whose events can be awaited, stopped after each test,
// and a Python peer run as a child process (killed by PID).
import { spawn } from 'node:child_process';
import { split, type NodeEvent, type NodeHandler } from '@message-io/core';
import { PYTHON, requirePeers } from '../../../test/support/peers.js';

/** A running node whose events are recorded (message data copied) and can be awaited. */
export { randomBytes, rng, sleep, until } from '@message-io/adapter-testkit';

export interface TestNode<S = never> {
  handler: NodeHandler<S>;
  events: NodeEvent<S>[];
  /** Resolves when `count` recorded events match, or rejects after `ms`. */
  waitCount(match: (event: NodeEvent<S>) => boolean, count: number, ms?: number): Promise<NodeEvent<S>[]>;
  /** Resolves with the first recorded event that matches, or rejects after `ms`. */
  waitFor(match: (event: NodeEvent<S>) => boolean, ms?: number): Promise<NodeEvent<S>>;
  done: Promise<void>;
}

const running: TestNode<unknown>[] = [];

/** Starts a node; `onEvent` runs inside the callback (for replies). Stop them all with {@link stopNodes}. */
export function testNode<S = never>(onEvent?: (event: NodeEvent<S>, handler: NodeHandler<S>) => void): TestNode<S> {
  const [handler, listener] = split<S>();
  const events: NodeEvent<S>[] = [];
  const waiters = new Set<() => void>();
  const done = listener.forEach((event) => {
    events.push(event.type === 'message' ? { ...event, data: new Uint8Array(event.data) } : event);
    onEvent?.(event, handler);
    for (const check of [...waiters]) check();
  });
  const waitCount = (match: (event: NodeEvent<S>) => boolean, count: number, ms = 5000): Promise<NodeEvent<S>[]> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = events.filter(match);
        if (found.length < count) return false;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${ms} ms waiting for ${count} events; saw ${events.length}: ${events.map((e) => e.type).join(',')}`));
      }, ms);
      if (!check()) waiters.add(check);
    });
  const waitFor = async (match: (event: NodeEvent<S>) => boolean, ms = 5000): Promise<NodeEvent<S>> => (await waitCount(match, 1, ms))[0]!;
  const node = { handler, events, waitCount, waitFor, done };
  running.push(node as TestNode<unknown>);
  return node;
}

/** Stops every node started by {@link testNode}; call it in `afterEach`. */
export function stopNodes(): void {
  for (const node of running.splice(0)) node.handler.stop();
}

/** Replies to every message with the same bytes (an echo server's callback). */
export function echo(event: NodeEvent<never>, handler: NodeHandler<never>): void {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
}

/** The messages a node received, optionally only from `resourceId`'s endpoints. */
export function messages<S>(node: TestNode<S>, filter?: (event: NodeEvent<S> & { type: 'message' }) => boolean): Uint8Array[] {
  return node.events.flatMap((e) => (e.type === 'message' && (filter === undefined || filter(e)) ? [new Uint8Array(e.data)] : []));
}

/** Waits `ms` milliseconds. */

/** The port of `host:port` or `[v6]:port`. */
export function portOf(addr: string): number {
  return Number(addr.slice(addr.lastIndexOf(':') + 1));
}

/** Output of a finished Python script. */
export interface PythonResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a Python script with `args`, killed by PID after `ms`. `started` is called with the output so
 * far once the process has printed `ready` (scripts print it when their socket is bound).
 */
export function runPython(script: string, args: string[], ms = 5000, started?: (stdout: string) => void): Promise<PythonResult> {
  requirePeers('python3');
  const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let announced = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!announced && /ready[^\n]*\n/.test(stdout)) {
      announced = true;
      started?.(stdout);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, ms);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + String(error) });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
