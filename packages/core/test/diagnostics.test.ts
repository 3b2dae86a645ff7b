// The diagnostics channels the core publishes on, for every adapter (here the in-memory transport):
// each message checked against what happened, and nothing built while nobody subscribes.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { DIAGNOSTICS_CHANNELS, type LocalWatch } from '@message-io/core';
import { sleep, until, utf8 } from '@message-io/adapter-testkit';
import { Memory, newNode, recorder, withListeners } from './support.js';

const seen: { channel: string; message: Record<string, unknown> }[] = [];
const handlers = Object.values(DIAGNOSTICS_CHANNELS).map((name) => {
  const handler = (message: unknown): void => void seen.push({ channel: name, message: message as Record<string, unknown> });
  subscribe(name, handler);
  return { name, handler };
});
afterEach(() => void seen.splice(0));

const on = (name: string) => seen.filter((s) => s.channel === name).map((s) => s.message);

describe('diagnostics channels', () => {
  it('listen, connect, accept, and a disconnect for each way a connection ends', async () => {
    const server = recorder();
    const { id, addr } = await server.handler.network().listen(Memory, '127.0.0.1:0');
    expect(on('message-io:listen')).toEqual([{ listenerId: id, transport: 'Memory', addr }]);

    const client = recorder();
    const first = await client.handler.network().connectAndWait(Memory, addr);
    expect(on('message-io:connect')).toEqual([{ endpoint: first, transport: 'Memory' }]);
    await until(() => on('message-io:accept').length === 1, { what: 'the accept' });
    const accepted = server.events.find((e) => e.type === 'accepted')!;
    expect(on('message-io:accept')).toEqual([{ endpoint: accepted.endpoint, listenerId: id }]);

    // The client removes its connection: 'removed' on its side, 'closed' (by the peer) on the server's.
    client.handler.network().remove(first.resourceId);
    await until(() => on('message-io:disconnect').length === 2, { what: 'both ends of the removed connection' });
    expect(on('message-io:disconnect')).toEqual(
      expect.arrayContaining([
        { endpoint: first, reason: 'removed' },
        { endpoint: accepted.endpoint, reason: 'closed' },
      ]),
    );

    // A connection to nothing fails; one alive when its node stops ends with 'stopped'.
    seen.splice(0);
    server.handler.network().remove(id);
    const failed = client.handler.network().connect(Memory, addr);
    await until(() => on('message-io:disconnect').length === 1, { what: 'the failed connection' });
    expect(on('message-io:disconnect')[0]).toMatchObject({ endpoint: failed, reason: 'failed', error: expect.any(Error) });

    const again = recorder();
    const { addr: addr2 } = await again.handler.network().listen(Memory, '127.0.0.1:0');
    const kept = await client.handler.network().connectAndWait(Memory, addr2);
    seen.splice(0);
    client.handler.stop();
    expect(on('message-io:disconnect')).toEqual([{ endpoint: kept, reason: 'stopped' }]);
  });

  it('backpressure: full when a send is first refused, writable when it drains', async () => {
    const [receiver, listener] = newNode({ maxStoredBytes: 64 * 1024 });
    const { addr } = await receiver.network().listen(Memory, '127.0.0.1:0');
    const sender = recorder();
    const endpoint = await sender.handler.network().connectAndWait(Memory, addr, { maxBufferedBytes: 16 * 1024 });
    let refused = 0;
    for (let i = 0; i < 1000 && refused < 3; i++) if (sender.handler.network().send(endpoint, new Uint8Array(4096)) !== 'Sent') refused++;
    expect(refused).toBe(3);
    expect(on('message-io:backpressure')).toEqual([{ endpoint, state: 'full', bufferedBytes: expect.any(Number) }]);
    void listener.forEach(() => undefined);
    await until(() => on('message-io:backpressure').length === 2, { what: 'writable' });
    expect(on('message-io:backpressure')[1]).toMatchObject({ endpoint, state: 'writable' });
    expect(sender.events.some((e) => e.type === 'writable')).toBe(true);
  });

  it('error: a listener whose socket failed, which no event tells', async () => {
    const watches: LocalWatch[] = [];
    const failing = withListeners('Failing', (local) => {
      const source = local.source.bind(local);
      local.source = (watch) => {
        watches.push(watch);
        source(watch);
      };
    });
    const server = recorder();
    const { id } = await server.handler.network().listen(failing, '127.0.0.1:0');
    const cause = new Error('the socket failed');
    watches[0]!.closed(cause);
    expect(on('message-io:error')).toEqual([{ resourceId: id, error: cause }]);
    expect(server.handler.network().remove(id)).toBe(false);
  });

  it('publishes nothing once nobody subscribes', async () => {
    for (const { name, handler } of handlers) unsubscribe(name, handler);
    try {
      const server = recorder();
      const { addr } = await server.handler.network().listen(Memory, '127.0.0.1:0');
      const client = recorder();
      const endpoint = await client.handler.network().connectAndWait(Memory, addr);
      client.handler.network().send(endpoint, utf8('x'));
      client.handler.network().remove(endpoint.resourceId);
      await sleep(20);
      expect(seen).toEqual([]);
    } finally {
      for (const { name, handler } of handlers) subscribe(name, handler);
    }
  });
});
