// Nodes for the core's own tests: recorded nodes (testkit's testNode) on the testkit's in-memory
// transport, stopped after each test, whose callbacks must not have thrown.
import { afterEach, expect } from 'vitest';
import { split, type Local, type NodeHandler, type Transport } from '@message-io/core';
import { memoryTransport, testNode, type OnEvent, type TestNode } from '@message-io/adapter-testkit';

/** The transport of these tests: one in-memory port space for every node of the file. */
export const Memory = memoryTransport();

const nodes: TestNode<unknown>[] = [];
const handlers: NodeHandler<unknown>[] = [];
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  for (const handler of handlers.splice(0)) handler.stop();
  const errors = nodes.splice(0).flatMap((node) => {
    node.stop();
    return node.errors;
  });
  expect(errors, 'errors thrown by node callbacks').toEqual([]);
});

/** A recorded node (events with copied data), stopped after the test. */
export function recorder<S = never>(onEvent?: OnEvent<S>): TestNode<S> {
  const node = testNode<S>(onEvent);
  nodes.push(node as unknown as TestNode<unknown>);
  return node;
}

/** A split node with no consumer yet, stopped after the test. */
export function newNode<S = never>(options?: Parameters<typeof split>[0]): ReturnType<typeof split<S>> {
  const pair = split<S>(options);
  handlers.push(pair[0] as NodeHandler<unknown>);
  return pair;
}

/** Runs `cleanup` after the test. */
export function afterTest(cleanup: () => void): void {
  cleanups.push(cleanup);
}

/** The error thrown by `run`, or a failure when nothing is thrown. */
export function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** The port of a `host:port` address. */
export function portOf(addr: string): number {
  return Number(addr.slice(addr.lastIndexOf(':') + 1));
}

/** The memory transport under another name, whose new listeners are shown to `onLocal` before the core wires them. */
export function withListeners(name: string, onLocal: (local: Local) => void): Transport {
  return {
    ...Memory,
    name,
    adapter: {
      ...Memory.adapter,
      async listen(addr, options, context) {
        const listening = await Memory.adapter.listen(addr, options as never, context);
        onLocal(listening.local);
        return listening;
      },
    },
  };
}
