// remove() of a connection and of a listener, and stop(), for any transport.
import { expect } from 'vitest';
import { NodeStoppedError, SendStatus, split, type Endpoint, type NodeEvent } from '@message-io/core';
import { socketHandles, type Harness } from '../harness.js';
import { bytesOf, sleep, text, until, utf8, type TestNode } from '../support.js';

/** Sends `payload` on `endpoint` and waits for the echo to come back whole. */
async function roundTrip(h: Harness, client: TestNode, endpoint: Endpoint, payload: string): Promise<void> {
  const before = bytesOf(client.events, endpoint).byteLength;
  h.sendOk(client.handler, endpoint, utf8(payload));
  const echoed = (): string => text(bytesOf(client.events, endpoint).subarray(before));
  await until(() => echoed().length >= payload.length, { timeout: h.settings.wait, what: `the echo of "${payload}"` });
  expect(echoed()).toBe(payload);
}

/**
 * A connection's events wait, stored, for a consumer that has not taken them (a `forEach` started
 * late, an async iterator that is behind); `remove()` must drop them: nothing of that connection is
 * delivered after it returns, whichever the consumer.
 */
async function queuedAfterRemove(h: Harness): Promise<void> {
  const { wait } = h.settings;
  const server = h.node((event, handler) => {
    if (event.type === 'accepted') for (let i = 0; i < 100; i++) handler.network().send(event.endpoint, utf8(`message ${i}`));
  });
  const { addr } = await h.listen(server.handler);
  for (const consumer of ['forEach started late', 'async iterator behind'] as const) {
    const [handler, listener] = split();
    try {
      const endpoint = h.connect(handler, addr);
      const seen: NodeEvent<never>[] = [];
      let late: Promise<void> | undefined;
      if (consumer === 'async iterator behind') {
        const iterator = listener[Symbol.asyncIterator]();
        const first = await iterator.next(); // `connected`; then nothing is taken for a while
        expect(first.value).toMatchObject({ type: 'connected', endpoint, ok: true });
        await until(() => server.events.filter((e) => e.type === 'accepted').length > 0, { timeout: wait, what: 'the accepted connection' });
        await sleep(300); // the 100 messages arrive and are stored
        expect(handler.network().remove(endpoint.resourceId)).toBe(true);
        late = (async () => {
          const next = iterator.next();
          const timeout = sleep(300).then(() => undefined);
          const event = await Promise.race([next, timeout]);
          if (event !== undefined && !event.done) seen.push(event.value);
        })();
      } else {
        await until(() => handler.network().isReady(endpoint.resourceId) === true, { timeout: wait, what: 'the connection' });
        await sleep(300); // `connected` and the 100 messages are stored: no consumer yet
        expect(handler.network().remove(endpoint.resourceId)).toBe(true);
        void listener.forEach((event) => void seen.push(event));
        late = sleep(300);
      }
      await late;
      expect(
        seen.filter((e) => e.type !== 'signal' && e.endpoint === endpoint).map((e) => e.type),
        consumer,
      ).toEqual([]);
    } finally {
      handler.stop();
    }
  }
}

async function removeConnection(h: Harness): Promise<void> {
  const { transport } = h.settings;
  const { server, client, endpoint: first, listener } = await h.pair();
  const second = await h.connectAndWait(client.handler, listener.addr);
  const net = client.handler.network();
  if (transport.connectionOriented) await server.waitCount((e) => e.type === 'accepted', 2);
  expect(net.remove(second.resourceId)).toBe(true);
  expect(net.remove(second.resourceId)).toBe(false);
  expect(net.isReady(second.resourceId)).toBeUndefined();
  expect(net.send(second, utf8('gone'))).toBe(SendStatus.ResourceNotFound);
  if (transport.connectionOriented) await server.waitFor((e) => e.type === 'disconnected');
  await roundTrip(h, client, first, 'the other connection still works');
  await sleep(50);
  expect(client.events.filter((e) => e.type === 'disconnected')).toEqual([]);
  if (transport.connectionOriented) expect(server.events.filter((e) => e.type === 'disconnected')).toHaveLength(1);
}

async function removeListener(h: Harness): Promise<void> {
  const { transport } = h.settings;
  const { server, client, endpoint, listener } = await h.pair();
  const net = server.handler.network();
  if (transport.connectionOriented) await server.waitFor((e) => e.type === 'accepted');
  expect(net.remove(listener.id)).toBe(true);
  expect(net.isReady(listener.id)).toBeUndefined();
  expect(net.remove(listener.id)).toBe(false);
  if (transport.connectionOriented) {
    const refused = h.connect(client.handler, listener.addr);
    await client.waitFor((e) => e.type === 'connected' && e.endpoint === refused && !e.ok, 2_000);
    await roundTrip(h, client, endpoint, 'accepted connections stay up');
    return;
  }
  const before = server.events.length;
  h.sendOk(client.handler, endpoint, utf8('to a removed listener'));
  await sleep(200);
  expect(server.events.slice(before)).toEqual([]);
}

async function stop(h: Harness): Promise<void> {
  const { transport, wait } = h.settings;
  const baseline = socketHandles();
  const { server, client, endpoint, listener } = await h.pair();
  if (transport.connectionOriented) await server.waitFor((e) => e.type === 'accepted');
  await roundTrip(h, client, endpoint, 'before stop');
  server.stop();
  const delivered = server.events.length;
  expect(server.handler.isRunning()).toBe(false);
  await server.done;
  const net = server.handler.network();
  expect(() => h.connect(server.handler, '127.0.0.1:1')).toThrow(NodeStoppedError);
  await expect(h.listen(server.handler)).rejects.toBeInstanceOf(NodeStoppedError);
  if (transport.connectionOriented) await client.waitFor((e) => e.type === 'disconnected' && e.endpoint === endpoint, wait);
  await sleep(50);
  expect(server.events).toHaveLength(delivered);
  expect(net.isReady(listener.id)).toBeUndefined();
  client.stop();
  await client.done;
  await until(() => socketHandles() <= baseline, { timeout: 2_000, what: 'every socket of both nodes to be released' });
}

/** Registers remove() and stop() cases. */
export function registerRemovalCases(h: Harness): void {
  h.case('remove a connection', () => removeConnection(h));
  h.case('nothing queued is delivered after remove', () => queuedAfterRemove(h), h.settings.transport.connectionOriented || 'not connection-oriented');
  h.case('remove a listener', () => removeListener(h));
  h.case('stop', () => stop(h));
}
