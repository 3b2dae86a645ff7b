import { it } from 'vitest';
import { SendStatus, type Endpoint, type ListenResult, type NodeEvent, type NodeHandler } from '@message-io/core';
import type { CaseName, Settings } from './options.js';
import { testNode, until, type OnEvent, type TestNode } from './support.js';

/** Resource kinds Node reports for sockets and servers; timers and the test runner's own are left out. */
const SOCKET_RESOURCE = /Wrap$/;
const RUNNER_RESOURCE = /^(TTYWrap|MessagePortWrap|FSEventWrap|StatWatcher|SignalWrap|ProcessWrap)$/;

/** Counts the socket-like handles the process holds. */
export function socketHandles(): number {
  const info = (process as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? [];
  return info.filter((name) => SOCKET_RESOURCE.test(name) && !RUNNER_RESOURCE.test(name)).length;
}

/** The echo behaviour: every message goes back to where it came from. */
export const echo: OnEvent<never> = (event, handler) => {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
};

/** True for a `connected` event with `ok: true`. */
export const isConnectedOk = <S>(event: NodeEvent<S>): boolean => event.type === 'connected' && event.ok;

/** The events of `events` as a short list (`message(12 B)`, `disconnected(MessageTooLargeError)`), for failure messages. */
export function describeEvents(events: readonly NodeEvent<unknown>[]): string {
  const shown = events.map((e) => {
    if (e.type === 'message') return `message(${e.data.byteLength} B)`;
    if (e.type === 'connected') return `connected(${e.ok})`;
    if (e.type === 'disconnected') return `disconnected(${e.error === undefined ? 'no error' : `${e.error.name}: ${e.error.message}`})`;
    return e.type;
  });
  const last = shown.slice(-12);
  return (shown.length > last.length ? `… ${shown.length - last.length} more, ` : '') + (last.join(', ') || 'nothing');
}

/** Like `until`, and on timeout says what was seen instead (`seen()`). */
export async function awaitSeeing(condition: () => boolean, what: string, timeout: number, seen: () => string): Promise<void> {
  try {
    await until(condition, { timeout, what });
  } catch (error) {
    throw new Error(`${(error as Error).message}; saw instead: ${seen()}`);
  }
}

/**
 * What every case uses: nodes that are stopped after the case, and `listen`/`connect` with the
 * suite's addresses and options.
 */
export class Harness {
  private readonly nodes: TestNode<unknown>[] = [];

  constructor(readonly settings: Settings) {}

  /** A recorded node (see `testNode`), stopped after the case. */
  node<S = never>(onEvent?: OnEvent<S>): TestNode<S> {
    const node = testNode<S>(onEvent);
    this.nodes.push(node as unknown as TestNode<unknown>);
    return node;
  }

  /** Listens on the suite's bind address with its listen options. */
  listen<S>(handler: NodeHandler<S>): Promise<ListenResult> {
    const { transport, listenOptions } = this.settings;
    return handler.network().listen(transport, this.settings.bindAddr(), listenOptions as never);
  }

  /** Connects to `addr` with the suite's connect options; returns at once. */
  connect<S>(handler: NodeHandler<S>, addr: string): Endpoint {
    const { transport, connectOptions } = this.settings;
    return handler.network().connect(transport, addr, connectOptions as never);
  }

  /** Connects to `addr` and waits until the connection is ready. */
  connectAndWait<S>(handler: NodeHandler<S>, addr: string): Promise<Endpoint> {
    const { transport, connectOptions } = this.settings;
    return handler.network().connectAndWait(transport, addr, connectOptions as never);
  }

  /** A server node running `onEvent` and listening; a client node connected to it. */
  async pair(onServerEvent: OnEvent<never> = echo): Promise<{ server: TestNode; client: TestNode; endpoint: Endpoint; listener: ListenResult }> {
    const server = this.node(onServerEvent);
    const listener = await this.listen(server.handler);
    const client = this.node();
    const endpoint = await this.connectAndWait(client.handler, listener.addr);
    return { server, client, endpoint, listener };
  }

  /** Sends and expects `Sent`. */
  sendOk<S>(handler: NodeHandler<S>, endpoint: Endpoint, data: Uint8Array): void {
    const status = handler.network().send(endpoint, data);
    if (status !== SendStatus.Sent) throw new Error(`send to ${endpoint.toString()} returned ${status}, expected Sent`);
  }

  /** Stops every node of the case; returns what their callbacks threw. */
  cleanup(): unknown[] {
    const nodes = this.nodes.splice(0);
    for (const node of nodes) node.stop();
    return nodes.flatMap((node) => node.errors);
  }

  /**
   * Registers one case with the suite's timeout. It is skipped when the options say so, or when
   * `applies` is a reason (a capability the transport lacks).
   */
  case(name: CaseName, body: () => Promise<void>, applies: true | string = true): void {
    const reason = this.settings.skip[name] ?? (applies === true ? undefined : applies);
    if (reason !== undefined) {
      it.skip(`${name} (skipped: ${reason})`, () => undefined);
      return;
    }
    it(
      name,
      async () => {
        try {
          await body();
        } catch (error) {
          this.cleanup();
          throw error;
        }
        const errors = this.cleanup();
        if (errors.length > 0) throw new Error(`a node callback threw: ${String(errors[0])}`, { cause: errors[0] });
      },
      this.settings.timeout,
    );
  }
}
