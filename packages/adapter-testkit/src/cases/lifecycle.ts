// The guarantees of docs/design/guarantees.md that hold for every adapter: no re-entrant callback, events kept
// until forEach, connected/accepted -> messages -> disconnected at most once, nothing after remove/stop.
import { expect } from 'vitest';
import { SendStatus, split, type Endpoint, type NodeEvent, type NodeHandler } from '@message-io/core';
import { awaitSeeing, describeEvents, echo, type Harness } from '../harness.js';
import { bytesOf, eventsOf, sleep, text, until, utf8 } from '../support.js';

const MESSAGES = 5;
const MESSAGE_SIZE = 8;
const PER_CONNECTION = MESSAGES * MESSAGE_SIZE;

/** An 8-byte message whose first byte is `flag`. */
function flagged(flag: number, i: number): Uint8Array {
  return Uint8Array.of(flag, i, 0, 0, 0, 0, 0, 0xff);
}

async function noReentry(h: Harness): Promise<void> {
  const { wait } = h.settings;
  const server = h.node<'tick'>((event, handler) => {
    if (event.type !== 'message') return;
    for (let i = 0; i < 3; i++) handler.network().send(event.endpoint, event.data);
    handler.signals().send('tick');
    handler.signals().sendWithPriority('tick');
  });
  const { addr } = await h.listen(server.handler);
  const connections: Endpoint[] = [];
  const client = h.node((event, handler) => {
    if (event.type !== 'connected' || !event.ok) return;
    if (event.endpoint === connections[3]) handler.network().remove(event.endpoint.resourceId);
    else for (let i = 0; i < MESSAGES; i++) handler.network().send(event.endpoint, flagged(0, i));
  });
  for (let c = 0; c < 4; c++) connections.push(h.connect(client.handler, addr));
  const expected = 3 * PER_CONNECTION;
  await until(() => bytesOf(client.events).byteLength >= 3 * expected, { timeout: wait, what: 'every echo' });
  await until(() => server.events.some((e) => e.type === 'signal'), { timeout: wait, what: 'the signals sent from the callback' });
  const stopper = h.node<'stop'>((event, handler) => {
    if (event.type !== 'signal') return;
    handler.signals().send('stop');
    handler.stop();
  });
  stopper.handler.signals().send('stop');
  await stopper.done;
  expect(stopper.events).toHaveLength(1);
  for (const node of [server, client, stopper]) expect(node.maxDepth()).toBe(1);
}

async function keptBeforeForEach(h: Harness): Promise<void> {
  const { transport } = h.settings;
  const server = h.node((event, handler) => {
    if (event.type === 'accepted') {
      for (let i = 0; i < 20; i++) handler.network().send(event.endpoint, utf8(`m${i};`));
      handler.network().remove(event.endpoint.resourceId);
    } else echo(event, handler);
  });
  const { addr } = await h.listen(server.handler);
  const sent = Array.from({ length: 20 }, (_, i) => `m${i};`).join('');
  const [handler, listener] = split<string>();
  const endpoint = h.connect(handler, addr);
  try {
    if (transport.connectionOriented) {
      await until(() => handler.network().isReady(endpoint.resourceId) === undefined, {
        timeout: h.settings.wait,
        what: 'the connection to end before forEach',
      });
    } else {
      await until(() => handler.network().isReady(endpoint.resourceId) === true, { timeout: h.settings.wait, what: 'the connection' });
      for (let i = 0; i < 20; i++) handler.network().send(endpoint, utf8(`m${i};`));
      await until(() => bytesOf(server.events).byteLength >= sent.length, { timeout: h.settings.wait, what: 'the server to echo' });
      await sleep(100);
    }
    const got: NodeEvent<string>[] = [];
    void listener.forEach((event) => void got.push(event.type === 'message' ? { ...event, data: new Uint8Array(event.data) } : event));
    handler.signals().send('after');
    await until(() => got.some((e) => e.type === 'signal'), { timeout: 2_000, what: 'the signal sent after forEach' });
    const types = got.map((e) => (e.type === 'connected' ? `connected:${e.ok}` : e.type));
    const expectedEnd = transport.connectionOriented ? ['disconnected', 'signal'] : ['signal'];
    expect(types[0]).toBe('connected:true');
    expect(types.slice(-expectedEnd.length)).toEqual(expectedEnd);
    expect(types.slice(1, -expectedEnd.length).every((t) => t === 'message')).toBe(true);
    expect(text(bytesOf(got, endpoint))).toBe(sent);
  } finally {
    handler.stop();
  }
}

/** Checks one connection's events: `first`, then messages only, then at most one `disconnected`. */
function checkSequence(events: NodeEvent<never>[], first: 'connected' | 'accepted', endsWithDisconnect: boolean): void {
  const types = events.map((e) => e.type);
  expect(types[0]).toBe(first);
  const last = types.lastIndexOf('disconnected');
  expect(types.filter((t) => t === 'disconnected')).toHaveLength(endsWithDisconnect ? 1 : 0);
  if (last >= 0) expect(last).toBe(types.length - 1);
  expect(types.slice(1, last >= 0 ? last : undefined).every((t) => t === 'message')).toBe(true);
  expect(types.filter((t) => t === first)).toHaveLength(1);
}

/**
 * Removes a connection from inside the callback once `PER_CONNECTION` bytes came from it and its
 * first byte (the flag of its messages) is `flag`; remembers where in `events` that happened.
 */
function remover(flag: number, removedAt: Map<Endpoint, number>, enabled: boolean) {
  const received = new Map<Endpoint, { flag: number; bytes: number }>();
  return (event: NodeEvent<never>, handler: NodeHandler<never>, events: NodeEvent<never>[]): void => {
    if (event.type !== 'message') return;
    const seen = received.get(event.endpoint) ?? { flag: event.data[0] ?? -1, bytes: 0 };
    seen.bytes += event.data.byteLength;
    received.set(event.endpoint, seen);
    if (enabled && seen.flag === flag && seen.bytes >= PER_CONNECTION && !removedAt.has(event.endpoint)) {
      handler.network().remove(event.endpoint.resourceId);
      removedAt.set(event.endpoint, events.length);
    }
  };
}

async function eventOrder(h: Harness): Promise<void> {
  const { transport, wait } = h.settings;
  const removedAt = new Map<Endpoint, number>();
  const serverRemoves = remover(1, removedAt, transport.connectionOriented);
  const server = h.node((event, handler) => {
    echo(event, handler);
    serverRemoves(event, handler, server.events);
  });
  const { addr } = await h.listen(server.handler);
  const clientRemoves = remover(0, removedAt, transport.connectionOriented);
  const endpoints: Endpoint[] = [];
  const client = h.node((event, handler) => {
    if (event.type === 'connected' && event.ok) {
      const flag = endpoints.indexOf(event.endpoint) % 2;
      for (let i = 0; i < MESSAGES; i++) handler.network().send(event.endpoint, flagged(flag, i));
    }
    clientRemoves(event, handler, client.events);
  });
  for (let i = 0; i < 10; i++) endpoints.push(h.connect(client.handler, addr));
  await until(() => endpoints.every((ep) => bytesOf(client.events, ep).byteLength >= PER_CONNECTION), { timeout: wait, what: 'every echo' });
  if (transport.connectionOriented) {
    await server.waitCount((e) => e.type === 'disconnected', 5, wait);
    await client.waitCount((e) => e.type === 'disconnected', 5, wait);
  }
  await sleep(50);
  checkOrder(h, { server, client, endpoints, removedAt });
}

function checkOrder(
  h: Harness,
  run: { server: { events: NodeEvent<never>[] }; client: { events: NodeEvent<never>[] }; endpoints: Endpoint[]; removedAt: Map<Endpoint, number> },
): void {
  const { transport } = h.settings;
  const { server, client, endpoints, removedAt } = run;
  endpoints.forEach((endpoint, i) => {
    checkSequence(eventsOf(client.events, endpoint), 'connected', transport.connectionOriented && i % 2 === 1);
  });
  const accepted = server.events.flatMap((e) => (e.type === 'accepted' ? [e.endpoint] : []));
  expect(accepted).toHaveLength(transport.connectionOriented ? 10 : 0);
  for (const endpoint of accepted) {
    const removedByServer = removedAt.has(endpoint);
    checkSequence(eventsOf(server.events, endpoint), 'accepted', !removedByServer);
  }
  for (const [endpoint, index] of removedAt) {
    const node = accepted.includes(endpoint) ? server : client;
    expect(eventsOf(node.events.slice(index), endpoint)).toEqual([]);
  }
  if (!transport.connectionOriented) expect(server.events.filter((e) => e.type === 'disconnected')).toEqual([]);
  expect(new Set(client.events.flatMap((e) => (e.type === 'signal' ? [] : [e.endpoint]))).size).toBe(10);
}

/** A burst of small messages, so that bytes are already buffered inbound when the peer acts. */
function flood(h: Harness, client: { handler: NodeHandler<never> }, endpoint: Endpoint): void {
  for (let i = 0; i < 200; i++) h.sendOk(client.handler, endpoint, flagged(2, i));
}

export async function nothingAfterRemove(h: Harness): Promise<void> {
  const { transport, wait } = h.settings;
  let removed: Endpoint | undefined;
  let removedAt = -1;
  const server = h.node((event, handler) => {
    if (event.type !== 'message' || removed !== undefined) return;
    removed = event.endpoint;
    handler.network().remove(event.endpoint.resourceId);
    removedAt = server.events.length;
  });
  const { addr } = await h.listen(server.handler);
  const client = h.node();
  const endpoint = await h.connectAndWait(client.handler, addr);
  flood(h, client, endpoint);
  await until(() => removed !== undefined, { timeout: wait, what: 'the first message' });
  if (transport.connectionOriented) {
    await awaitSeeing(
      () => client.events.some((e) => e.type === 'disconnected' && e.endpoint === endpoint),
      'disconnected on the peer of the removed connection',
      wait,
      () => describeEvents(eventsOf(client.events, endpoint)),
    );
  }
  await sleep(100);
  expect(eventsOf(server.events.slice(removedAt), removed!), 'events of the connection after remove()').toEqual([]);
  expect(server.handler.network().isReady(removed!.resourceId)).toBeUndefined();
  if (transport.connectionOriented) return;
  const before = client.events.length;
  expect(client.handler.network().remove(endpoint.resourceId)).toBe(true);
  await sleep(100);
  expect(eventsOf(client.events.slice(before), endpoint)).toEqual([]);
}

async function nothingAfterStop(h: Harness): Promise<void> {
  const { transport, wait } = h.settings;
  let stopped = false;
  let calledAfterStop = 0;
  const server = h.node((event, handler) => {
    if (stopped) calledAfterStop++;
    if (event.type !== 'message') return;
    handler.stop();
    stopped = true;
  });
  const { addr } = await h.listen(server.handler);
  const client = h.node();
  const endpoint = await h.connectAndWait(client.handler, addr);
  flood(h, client, endpoint);
  await server.done;
  const delivered = server.events.length;
  if (transport.connectionOriented) await client.waitFor((e) => e.type === 'disconnected' && e.endpoint === endpoint, wait);
  else flood(h, client, endpoint);
  await sleep(100);
  expect(calledAfterStop).toBe(0);
  expect(server.events).toHaveLength(delivered);
  expect(server.events.at(-1)?.type).toBe('message');
}

/**
 * The `reconnect` connect option (done by the core; the adapter must take the key and must make a
 * new connection each time its `connect` is called): the server node stops, so the client sees
 * `reconnecting`, not `disconnected`, and its sends answer `ResourceNotAvailable`; a new server
 * listens on the same address, so the client is `connected` again (`reconnected: true`) with the
 * same endpoint, which echoes.
 */
async function reconnect(h: Harness): Promise<void> {
  const { transport, listenOptions, connectOptions, wait } = h.settings;
  const first = h.node(echo);
  const { addr } = await h.listen(first.handler);
  const client = h.node();
  const options = {
    ...(connectOptions as object),
    reconnect: { initialDelay: 50, maxDelay: 200 },
  };
  const endpoint = await client.handler.network().connectAndWait(transport, addr, options as never);
  h.sendOk(client.handler, endpoint, utf8('before'));
  await until(() => text(bytesOf(client.events, endpoint)) === 'before', {
    timeout: wait,
    what: 'the echo before the server stops',
  });
  first.handler.stop();
  const seen = (): string => describeEvents(client.events);
  await awaitSeeing(() => client.events.some((e) => e.type === 'reconnecting'), 'reconnecting once the server stopped', wait, seen);
  expect(
    client.events.some((e) => e.type === 'disconnected'),
    'disconnected while reconnecting',
  ).toBe(false);
  expect(client.handler.network().send(endpoint, utf8('lost')), 'send while reconnecting').toBe(SendStatus.ResourceNotAvailable);
  const second = h.node(echo);
  await second.handler.network().listen(transport, addr, listenOptions as never);
  const back = (): boolean => client.events.some((e) => e.type === 'connected' && e.ok && e.reconnected === true && e.endpoint === endpoint);
  await awaitSeeing(back, 'connected (reconnected: true) once a server listens again', wait, seen);
  h.sendOk(client.handler, endpoint, utf8(' after'));
  await until(() => text(bytesOf(client.events, endpoint)) === 'before after', {
    timeout: wait,
    what: 'the echo through the new connection',
  });
}

/**
 * The listen option `idleTimeoutOption` (1 s): of two clients, the quiet one is closed by the
 * listener with `IdleTimeoutError` (and sees `disconnected`), the one sending every 100 ms for
 * 2.5 s is not.
 */
async function idleTimeout(h: Harness, key: string): Promise<void> {
  const { transport, listenOptions, wait } = h.settings;
  const server = h.node(echo);
  const { addr } = await server.handler.network().listen(transport, h.settings.bindAddr(), { ...(listenOptions as object), [key]: 1_000 } as never);
  const client = h.node();
  const quiet = await h.connectAndWait(client.handler, addr);
  const busy = await h.connectAndWait(client.handler, addr);
  for (let i = 0; i < 25; i++) {
    h.sendOk(client.handler, busy, utf8('.'));
    await sleep(100);
  }
  const idled = (e: NodeEvent<never>): boolean => e.type === 'disconnected' && (e.error as { code?: string } | undefined)?.code === 'ERR_IDLE_TIMEOUT';
  const seen = (): string => describeEvents(server.events);
  await awaitSeeing(() => server.events.some(idled), `disconnected with IdleTimeoutError after ${key} 1000 on the listener`, wait, seen);
  await until(() => client.events.some((e) => e.type === 'disconnected' && e.endpoint === quiet), { timeout: wait, what: 'the quiet client to be closed' });
  expect(server.events.filter((e) => e.type === 'disconnected').length, 'connections the listener closed').toBe(1);
  expect(
    client.events.some((e) => e.type === 'disconnected' && e.endpoint === busy),
    'the busy client was closed',
  ).toBe(false);
}

/** Registers the lifecycle guarantees. */
export function registerLifecycleCases(h: Harness): void {
  h.case('no re-entrant callback', () => noReentry(h));
  h.case('events before forEach', () => keptBeforeForEach(h));
  h.case('event order per connection', () => eventOrder(h));
  h.case('nothing after remove', () => nothingAfterRemove(h));
  h.case('nothing after stop', () => nothingAfterStop(h));
  h.case('reconnect', () => reconnect(h), h.settings.transport.connectionOriented || 'not connection-oriented');
  const idleKey = h.settings.idleTimeoutOption;
  const idle: true | string = !h.settings.transport.connectionOriented
    ? 'not connection-oriented'
    : idleKey === undefined
      ? 'no idleTimeoutOption given: the transport declares no idle timeout'
      : true;
  h.case('idle timeout', () => idleTimeout(h, idleKey ?? ''), idle);
}
