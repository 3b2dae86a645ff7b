// The `reconnect` connect option, done by the core for every connection-oriented adapter: here on
// the in-memory transport, whose listeners can go away and come back on the same port. The same
// behaviour against real server processes is tested at the repository level (test/reconnect).
import { describe, expect, it } from 'vitest';
import {
  ConnectAbortedError,
  ConnectError,
  InvalidOptionError,
  ReconnectFailedError,
  SendStatus,
  type NodeEvent,
  type ReconnectingEvent,
  type Transport,
} from '@message-io/core';
import { sleep, text, until, utf8, type OnEvent } from '@message-io/adapter-testkit';
import { Memory, portOf, recorder, thrown } from './support.js';

const reconnectings = (events: readonly NodeEvent<never>[]): ReconnectingEvent[] => events.filter((e): e is ReconnectingEvent => e.type === 'reconnecting');
const connecteds = (events: readonly NodeEvent<never>[]) => events.filter((e) => e.type === 'connected');

const echo: OnEvent<never> = (event, handler) => {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
};

/** A server node echoing on `addr` (port 0 for a new one); returns it and its address. */
async function server(addr = '127.0.0.1:0') {
  const node = recorder(echo);
  const listening = await node.handler.network().listen(Memory, addr);
  return { node, addr: listening.addr };
}

describe('reconnect: a lost connection comes back with the same endpoint', () => {
  it('emits reconnecting (not disconnected), refuses sends while down, then connected with reconnected: true', async () => {
    const first = await server();
    const client = recorder();
    const endpoint = await client.handler.network().connectAndWait(Memory, first.addr, {
      reconnect: { initialDelay: 50, jitter: 0 },
    });
    expect(client.handler.network().send(endpoint, utf8('one'))).toBe(SendStatus.Sent);
    await until(() => client.events.some((e) => e.type === 'message'), { what: 'the first echo' });

    first.node.stop();
    await until(() => reconnectings(client.events).length === 1, { what: 'reconnecting after the server stopped' });
    const [lost] = reconnectings(client.events);
    expect(lost).toMatchObject({ endpoint, attempt: 1, delay: 50 });
    expect(client.events.some((e) => e.type === 'disconnected')).toBe(false);
    expect(client.handler.network().send(endpoint, utf8('while down'))).toBe(SendStatus.ResourceNotAvailable);
    expect(client.handler.network().isReady(endpoint.resourceId)).toBe(false);
    expect(client.handler.network().bufferedBytes(endpoint)).toBe(0);
    // Waiting for its next attempt, the connection is not counted as open; what it carried stays.
    expect(client.handler.network().stats()).toMatchObject({ connections: 0, messagesOut: 1, messagesIn: 1 });

    const second = await server(first.addr);
    await until(() => connecteds(client.events).length === 2, { what: 'connected again once the server is back' });
    expect(connecteds(client.events)[1]).toMatchObject({ endpoint, ok: true, reconnected: true });
    expect(connecteds(client.events)[0]).not.toHaveProperty('reconnected');
    expect(client.handler.network().send(endpoint, utf8('two'))).toBe(SendStatus.Sent);
    await until(() => second.node.events.some((e) => e.type === 'message'), { what: 'the message on the new server' });
    await until(() => client.events.filter((e) => e.type === 'message').length === 2, { what: 'the second echo' });
    const echoed = client.events.filter((e) => e.type === 'message');
    expect(echoed.map((e) => text(e.data))).toEqual(['one', 'two']);
    expect(client.handler.network().stats()).toMatchObject({ connections: 1, messagesOut: 2, messagesIn: 2 });
    expect(echoed[1]!.endpoint).toBe(endpoint);
  });

  it('retries a first connect to nothing until a server listens; connectAndWait waits across the retries', async () => {
    const probe = await server();
    probe.node.stop();
    await sleep(10);
    const client = recorder();
    const waiting = client.handler.network().connectAndWait(Memory, probe.addr, {
      reconnect: { initialDelay: 20, maxDelay: 20 },
    });
    await until(() => reconnectings(client.events).length >= 2, { what: 'two retries against a closed port' });
    expect(connecteds(client.events)).toEqual([]);
    expect(reconnectings(client.events)[0]!.error).toBeInstanceOf(ConnectError);
    await server(probe.addr);
    const endpoint = await waiting;
    expect(connecteds(client.events)).toEqual([{ type: 'connected', endpoint, ok: true }]);
  });

  it('the delay doubles up to maxDelay, less at most jitter of it, and the count restarts once ready', async () => {
    const probe = await server();
    probe.node.stop();
    const client = recorder();
    client.handler.network().connect(Memory, probe.addr, {
      reconnect: { initialDelay: 5, maxDelay: 40, jitter: 0 },
    });
    await until(() => reconnectings(client.events).length >= 6, { what: 'six retries' });
    expect(
      reconnectings(client.events)
        .slice(0, 6)
        .map((e) => [e.attempt, e.delay]),
    ).toEqual([
      [1, 5],
      [2, 10],
      [3, 20],
      [4, 40],
      [5, 40],
      [6, 40],
    ]);
    const back = await server(probe.addr);
    await until(() => connecteds(client.events).length === 1, { what: 'connected' });
    back.node.stop();
    await until(() => reconnectings(client.events).at(-1)!.delay === 5, { what: 'a retry after the new loss' });
    expect(reconnectings(client.events).at(-1)!.attempt).toBe(1);

    const jittered = recorder();
    jittered.handler.network().connect(Memory, probe.addr, {
      reconnect: { initialDelay: 100, maxDelay: 100, jitter: 0.5 },
    });
    await until(() => reconnectings(jittered.events).length >= 1, { what: 'a jittered retry' });
    const delay = reconnectings(jittered.events)[0]!.delay;
    expect(delay).toBeGreaterThanOrEqual(50);
    expect(delay).toBeLessThanOrEqual(100);
  });
});

describe('reconnect: giving up', () => {
  it('after maxAttempts a connection that never was ready gets connected ok: false with ReconnectFailedError', async () => {
    const probe = await server();
    probe.node.stop();
    const client = recorder();
    const waiting = client.handler.network().connectAndWait(Memory, probe.addr, {
      reconnect: { initialDelay: 5, maxAttempts: 2 },
    });
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReconnectFailedError);
    expect((error as ReconnectFailedError).code).toBe('ERR_RECONNECT_FAILED');
    expect((error as Error).message).toMatch(/after 2 retries/);
    expect((error as Error).cause).toBeInstanceOf(ConnectError);
    await until(() => connecteds(client.events).length === 1, { what: 'the failed connected event' });
    expect(reconnectings(client.events).map((e) => e.attempt)).toEqual([1, 2]);
    expect(connecteds(client.events)[0]).toMatchObject({ ok: false, error });
    await sleep(50);
    expect(client.events.length).toBe(3);
  });

  it('a connection that was ready ends with disconnected and ReconnectFailedError after maxTime', async () => {
    const first = await server();
    const client = recorder();
    const endpoint = await client.handler.network().connectAndWait(Memory, first.addr, {
      reconnect: { initialDelay: 10, maxTime: 100 },
    });
    first.node.stop();
    await until(() => client.events.some((e) => e.type === 'disconnected'), { what: 'disconnected once maxTime ran out', timeout: 3000 });
    const end = client.events.find((e) => e.type === 'disconnected')!;
    expect(end).toMatchObject({ endpoint, error: expect.any(ReconnectFailedError) });
    expect(reconnectings(client.events).length).toBeGreaterThanOrEqual(2);
    expect(client.handler.network().send(endpoint, utf8('x'))).toBe(SendStatus.ResourceNotFound);
  });
});

describe('reconnect: the user ends it', () => {
  it('remove() while waiting for a retry stops the retries: nothing more is emitted, the server sees no new connection', async () => {
    const first = await server();
    const client = recorder();
    const endpoint = await client.handler.network().connectAndWait(Memory, first.addr, { reconnect: { initialDelay: 100 } });
    first.node.stop();
    await until(() => reconnectings(client.events).length === 1, { what: 'reconnecting' });
    expect(client.handler.network().remove(endpoint.resourceId)).toBe(true);
    expect(client.handler.network().remove(endpoint.resourceId)).toBe(false);
    const second = await server(first.addr);
    await sleep(300);
    expect(second.node.events).toEqual([]);
    expect(client.events.map((e) => e.type)).toEqual(['connected', 'reconnecting']);
  });

  it('an aborted connectAndWait during the retries rejects with ConnectAbortedError and ends them', async () => {
    const probe = await server();
    probe.node.stop();
    const client = recorder();
    const controller = new AbortController();
    const waiting = client.handler.network().connectAndWait(Memory, probe.addr, { reconnect: { initialDelay: 20 } }, { signal: controller.signal });
    await until(() => reconnectings(client.events).length >= 2, { what: 'two retries' });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(ConnectAbortedError);
    const seen = client.events.length;
    const back = await server(probe.addr);
    await sleep(200);
    expect(client.events.length).toBe(seen);
    expect(back.node.events).toEqual([]);
  });

  it('stop() during the retries ends them', async () => {
    const probe = await server();
    probe.node.stop();
    const client = recorder();
    client.handler.network().connect(Memory, probe.addr, { reconnect: { initialDelay: 20 } });
    await until(() => reconnectings(client.events).length >= 1, { what: 'a retry' });
    client.handler.stop();
    const back = await server(probe.addr);
    await sleep(200);
    expect(back.node.events).toEqual([]);
  });
});

describe('reconnect: option checks', () => {
  it('refuses values of the wrong type or out of range, and unknown fields, naming them', () => {
    const client = recorder();
    const connect = (reconnect: unknown) => thrown(() => client.handler.network().connect(Memory, '127.0.0.1:1', { reconnect } as never));
    for (const [value, message] of [
      ['yes', /reconnect must be a boolean or an object, got string/],
      [null, /got null/],
      [{ initialDelay: -1 }, /reconnect.initialDelay must be an integer from 0/],
      [{ maxAttempts: 0 }, /reconnect.maxAttempts must be an integer from 1/],
      [{ jitter: 2 }, /reconnect.jitter must be a number from 0 to 1/],
      [{ initialDelay: 100, maxDelay: 10 }, /maxDelay \(10\) must be at least reconnect.initialDelay \(100\)/],
      [{ intialDelay: 100 }, /unknown field intialDelay of option reconnect/],
    ] as const) {
      const error = connect(value);
      expect(error, String(value)).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('is refused for a transport that is not connection-oriented', () => {
    const client = recorder();
    const datagrams: Transport = { ...Memory, name: 'Datagrams', connectionOriented: false };
    const error = thrown(() => client.handler.network().connect(datagrams, '127.0.0.1:1', { reconnect: true }));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toMatch(/Datagrams has no connection to lose/);
  });

  it('reconnect: false and an absent option leave a lost connection lost', async () => {
    const first = await server();
    const client = recorder();
    await client.handler.network().connectAndWait(Memory, first.addr, { reconnect: false });
    first.node.stop();
    await until(() => client.events.some((e) => e.type === 'disconnected'), { what: 'disconnected' });
    expect(reconnectings(client.events)).toEqual([]);
    expect(portOf(first.addr)).toBeGreaterThan(0);
  });
});
