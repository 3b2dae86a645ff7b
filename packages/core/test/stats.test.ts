// network().stats(): the counters the core keeps for every adapter (here the in-memory transport),
// each checked against traffic the test made, and the refusals adapters report (Acceptor.refused).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { DIAGNOSTICS_CHANNELS, STORED_EVENT_COST, type Acceptor } from '@message-io/core';
import { until, utf8 } from '@message-io/adapter-testkit';
import { Memory, newNode, recorder, withListeners } from './support.js';

const refusals: Record<string, unknown>[] = [];
const onRefuse = (message: unknown): void => void refusals.push(message as Record<string, unknown>);
subscribe(DIAGNOSTICS_CHANNELS.refuse, onRefuse);
afterEach(() => void refusals.splice(0));

const zero = { connections: 0, messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0, refused: 0, backpressure: 0, bufferedBytes: 0 };

describe('network().stats()', () => {
  it('counts messages and bytes both ways, for the node and per listener', async () => {
    const server = recorder((event, handler) => {
      if (event.type === 'message' && event.data.byteLength === 20) handler.network().send(event.endpoint, new Uint8Array(5));
    });
    expect(server.handler.network().stats()).toEqual({ ...zero, listeners: 0, storedBytes: 0, storedEvents: 0, byListener: [] });
    const { id, addr } = await server.handler.network().listen(Memory, '127.0.0.1:0');
    const client = recorder();
    const endpoint = await client.handler.network().connectAndWait(Memory, addr);
    for (const size of [10, 20, 30]) expect(client.handler.network().send(endpoint, new Uint8Array(size))).toBe('Sent');
    await until(() => client.events.some((e) => e.type === 'message'), { what: 'the answer' });

    const listener = { ...zero, connections: 1, messagesIn: 3, bytesIn: 60, messagesOut: 1, bytesOut: 5 };
    expect(server.handler.network().stats()).toEqual({
      ...listener,
      listeners: 1,
      storedBytes: 0,
      storedEvents: 0,
      byListener: [{ id, transport: 'Memory', addr, ...listener }],
    });
    expect(client.handler.network().stats()).toMatchObject({ connections: 1, messagesOut: 3, bytesOut: 60, messagesIn: 1, bytesIn: 5, listeners: 0 });

    // The connection closes: no longer counted as open; what it carried stays.
    client.handler.network().remove(endpoint.resourceId);
    await until(() => server.handler.network().stats().connections === 0, { what: 'the server to see the close' });
    expect(server.handler.network().stats()).toMatchObject({ connections: 0, messagesIn: 3, bytesIn: 60, byListener: [{ connections: 0, messagesIn: 3 }] });
    expect(client.handler.network().stats()).toMatchObject({ connections: 0, messagesOut: 3 });
  });

  it("keeps a removed listener's counts in the node's totals, with its connections while they stay open", async () => {
    const server = recorder();
    const first = await server.handler.network().listen(Memory, '127.0.0.1:0');
    const second = await server.handler.network().listen(Memory, '127.0.0.1:0');
    const client = recorder();
    const a = await client.handler.network().connectAndWait(Memory, first.addr);
    const b = await client.handler.network().connectAndWait(Memory, second.addr);
    client.handler.network().send(a, new Uint8Array(7));
    client.handler.network().send(b, new Uint8Array(11));
    await until(() => server.events.filter((e) => e.type === 'message').length === 2, { what: 'both messages' });

    server.handler.network().remove(first.id);
    // Its connection stays up and still counts, in the totals only.
    client.handler.network().send(a, new Uint8Array(100));
    await until(() => server.handler.network().stats().bytesIn === 118, { what: 'the third message' });
    let stats = server.handler.network().stats();
    expect(stats).toMatchObject({ listeners: 1, connections: 2, messagesIn: 3 });
    expect(stats.byListener).toEqual([expect.objectContaining({ id: second.id, connections: 1, messagesIn: 1, bytesIn: 11 })]);

    client.handler.network().remove(a.resourceId);
    await until(() => server.handler.network().stats().connections === 1, { what: 'the close of the removed listener’s connection' });
    // A new listener sweeps the retired counters into the totals: nothing is lost.
    await server.handler.network().listen(Memory, '127.0.0.1:0');
    stats = server.handler.network().stats();
    expect(stats).toMatchObject({ listeners: 2, connections: 1, messagesIn: 3, bytesIn: 118 });
  });

  it('counts every send answered Backpressure, the bytes held for the slow peer, and the events stored for a slow consumer', async () => {
    const [receiver, listener] = newNode({ maxStoredBytes: 64 * 1024 });
    const { addr } = await receiver.network().listen(Memory, '127.0.0.1:0');
    const sender = recorder();
    const endpoint = await sender.handler.network().connectAndWait(Memory, addr, { maxBufferedBytes: 16 * 1024 });
    let refused = 0;
    let sent = 0;
    for (let i = 0; i < 1000 && refused < 4; i++) {
      if (sender.handler.network().send(endpoint, new Uint8Array(4096)) === 'Sent') sent++;
      else refused++;
    }
    const senderStats = sender.handler.network().stats();
    expect(senderStats).toMatchObject({ backpressure: 4, messagesOut: sent, bytesOut: sent * 4096 });
    expect(senderStats.bufferedBytes).toBe(sender.handler.network().bufferedBytes(endpoint));
    expect(senderStats.bufferedBytes).toBeGreaterThan(0);

    // Nobody consumes the receiver's events yet: they are stored, up to its maxStoredBytes.
    await until(() => receiver.network().stats().storedEvents > 1, { what: 'messages stored' });
    const stored = receiver.network().stats();
    // The `accepted` event, then messages of 4096 bytes, each event counted with its fixed cost.
    expect(stored.storedBytes).toBe((stored.storedEvents - 1) * 4096 + stored.storedEvents * STORED_EVENT_COST);

    let received = 0;
    void listener.forEach((event) => {
      if (event.type === 'message') received++;
    });
    await until(() => received === sent, { what: 'every sent message' });
    expect(receiver.network().stats()).toMatchObject({ storedBytes: 0, storedEvents: 0, messagesIn: sent, bytesIn: sent * 4096 });
    await until(() => sender.handler.network().stats().bufferedBytes === 0, { what: 'the sender to drain' });
  });

  it('counts connections turned away past maxConnections, and publishes each on message-io:refuse', async () => {
    const server = recorder();
    const { id, addr } = await server.handler.network().listen(Memory, '127.0.0.1:0', { maxConnections: 1 });
    const client = recorder();
    await client.handler.network().connectAndWait(Memory, addr);
    client.handler.network().connect(Memory, addr);
    client.handler.network().connect(Memory, addr);
    await until(() => server.handler.network().stats().refused === 2, { what: 'two refusals' });
    expect(server.handler.network().stats()).toMatchObject({ connections: 1, refused: 2, byListener: [{ id, refused: 2, connections: 1 }] });
    expect(refusals).toEqual([
      { listenerId: id, reason: 'limit', addr: expect.any(String), detail: 'maxConnections (1)' },
      { listenerId: id, reason: 'limit', addr: expect.any(String), detail: 'maxConnections (1)' },
    ]);
    expect(server.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
  });

  it('counts what an adapter reports through Acceptor.refused, and ignores it once the listener closed', async () => {
    const acceptors: Acceptor[] = [];
    const refusing = withListeners('Refusing', (local) => {
      const accept = local.accept.bind(local);
      local.accept = (acceptor) => {
        acceptors.push(acceptor);
        accept(acceptor);
      };
    });
    const server = recorder();
    const { id } = await server.handler.network().listen(refusing, '127.0.0.1:0');
    const cause = new Error('bad certificate');
    acceptors[0]!.refused({ reason: 'tls', addr: { host: '::1', port: 4000 }, detail: 'no certificate', error: cause });
    acceptors[0]!.refused({ reason: 'path' });
    expect(refusals).toEqual([
      { listenerId: id, reason: 'tls', addr: '[::1]:4000', detail: 'no certificate', error: cause },
      { listenerId: id, reason: 'path' },
    ]);
    expect(server.handler.network().stats()).toMatchObject({ refused: 2, byListener: [{ refused: 2 }] });

    server.handler.network().remove(id);
    acceptors[0]!.refused({ reason: 'limit' });
    expect(refusals).toHaveLength(2);
    expect(server.handler.network().stats()).toMatchObject({ refused: 2, listeners: 0 });
  });

  it('counts with nobody subscribed to the channels', async () => {
    unsubscribe(DIAGNOSTICS_CHANNELS.refuse, onRefuse);
    try {
      const server = recorder();
      const { addr } = await server.handler.network().listen(Memory, '127.0.0.1:0', { maxConnections: 1 });
      const client = recorder();
      const ok = await client.handler.network().connectAndWait(Memory, addr);
      client.handler.network().connect(Memory, addr);
      await until(() => server.handler.network().stats().refused === 1, { what: 'the refusal, counted with no subscriber' });
      expect(refusals).toEqual([]);
      expect(server.handler.network().stats().byListener[0]).toMatchObject({ refused: 1, connections: 1 });
      expect(client.handler.network().send(ok, utf8('hi'))).toBe('Sent');
      expect(client.handler.network().stats()).toMatchObject({ messagesOut: 1, bytesOut: 2 });
    } finally {
      subscribe(DIAGNOSTICS_CHANNELS.refuse, onRefuse);
    }
  });
});
