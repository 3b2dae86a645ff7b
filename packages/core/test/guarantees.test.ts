// The guarantees of docs/design/guarantees.md that the core keeps whatever the transport: no
// re-entrant callback (1), events kept until forEach (2), one lifecycle per endpoint (3), nothing
// after stop() (5). They run on the testkit's in-memory transport; the Tcp-specific ones (raw
// sockets, framing, receive buffers) stay in packages/tcp/test/guarantees.test.ts.
import { describe, expect, it } from 'vitest';
import { ConnectAbortedError, NodeStoppedError, SendStatus, type Endpoint, type NodeEvent, type NodeHandler } from '@message-io/core';
import { eventsOf, sleep, text, until, utf8 } from '@message-io/adapter-testkit';
import { afterTest, Memory, newNode, recorder } from './support.js';

/** A server that sends `count` messages `m<i>` to each connection it accepts, then removes it (flushed, then ended). */
async function sendingServer(count: number): Promise<string> {
  const server = recorder((event, handler) => {
    if (event.type !== 'accepted') return;
    for (let i = 0; i < count; i++) handler.network().send(event.endpoint, utf8(`m${i}`));
    handler.network().remove(event.endpoint.resourceId);
  });
  return (await server.handler.network().listen(Memory, '127.0.0.1:0')).addr;
}

const echo = (event: NodeEvent<never>, handler: NodeHandler<never>): void => {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
};

describe('guarantee 1: the callback is never re-entered', () => {
  it('send, signals, remove and stop inside the callback never nest a callback', async () => {
    const perClient = 50;
    let echoed = 0;
    const server = recorder<'stop'>((event, handler) => {
      if (event.type !== 'message') return;
      for (let i = 0; i < 3; i++) handler.network().send(event.endpoint, event.data);
      handler.signals().send('stop');
      handler.signals().sendWithPriority('stop');
      echoed++;
      if (text(event.data) === `c0-${perClient - 1}`) handler.network().remove(event.endpoint.resourceId);
    });
    const { addr } = await server.handler.network().listen(Memory, '127.0.0.1:0');
    const connections: Endpoint[] = [];
    const client = recorder((event, handler) => {
      if (event.type === 'connected' && event.ok) {
        const index = connections.indexOf(event.endpoint);
        for (let i = 0; i < perClient; i++) handler.network().send(event.endpoint, utf8(`c${index}-${i}`));
      }
    });
    for (let c = 0; c < 3; c++) connections.push(client.handler.network().connect(Memory, addr));
    await until(() => echoed === 3 * perClient, { what: 'every message at the server' });
    await until(() => client.events.filter((e) => e.type === 'message').length === 3 * 3 * perClient, { what: 'every echo' });
    await until(() => client.events.some((e) => e.type === 'disconnected'), { what: 'the removed connection to end' });
    const stopper = recorder<'stop'>((event, handler) => {
      if (event.type !== 'signal') return;
      handler.signals().send('stop');
      handler.stop();
    });
    stopper.handler.signals().send('stop');
    await stopper.done;
    expect(server.maxDepth()).toBe(1);
    expect(client.maxDepth()).toBe(1);
    expect(stopper.maxDepth()).toBe(1);
    expect(stopper.events).toHaveLength(1);
  });

  it('a callback that is slow never sees a second event before it returns', async () => {
    let busy = false;
    let overlapped = false;
    let count = 0;
    const server = recorder((event) => {
      if (busy) overlapped = true;
      busy = true;
      if (event.type === 'message') {
        count++;
        const end = Date.now() + 1;
        while (Date.now() < end) {
          // hold the callback while more messages arrive
        }
      }
      busy = false;
    });
    const { addr } = await server.handler.network().listen(Memory, '127.0.0.1:0');
    const client = recorder();
    const endpoint = await client.handler.network().connectAndWait(Memory, addr);
    for (let i = 0; i < 200; i++) expect(client.handler.network().send(endpoint, utf8(`m${i}`))).toBe(SendStatus.Sent);
    await until(() => count === 200, { what: '200 messages' });
    expect(overlapped).toBe(false);
    expect(server.maxDepth()).toBe(1);
  });
});

describe('guarantee 2: events that happen before forEach are kept', () => {
  it('connected, messages and disconnected that arrived before forEach come first, in order', async () => {
    const addr = await sendingServer(20);
    const [handler, listener] = newNode<string>();
    const endpoint = handler.network().connect(Memory, addr);
    // Without a consumer, the disconnection is known once the network forgets the connection.
    await until(() => handler.network().isReady(endpoint.resourceId) === undefined, { what: 'the connection to end before forEach' });
    const got: string[] = [];
    const done = listener.forEach((event) => {
      if (event.type === 'message') got.push(text(event.data));
      else if (event.type === 'connected') {
        expect(event.endpoint).toBe(endpoint);
        got.push(`connected:${event.ok}`);
      } else if (event.type === 'signal') got.push(`signal:${event.signal}`);
      else got.push(event.type);
    });
    handler.signals().send('after');
    await until(() => got.length === 23, { timeout: 2_000, what: 'every stored event' });
    expect(got).toEqual(['connected:true', ...Array.from({ length: 20 }, (_, i) => `m${i}`), 'disconnected', 'signal:after']);
    handler.stop();
    await done;
  });

  it('the async iterator also gets the events from before it started, in order', async () => {
    const server = recorder(echo);
    const { addr } = await server.handler.network().listen(Memory, '127.0.0.1:0');
    const [handler, listener] = newNode();
    const endpoint = await handler.network().connectAndWait(Memory, addr);
    for (let i = 0; i < 10; i++) handler.network().send(endpoint, utf8(`e${i}`));
    await until(() => server.events.filter((e) => e.type === 'message').length === 10, { what: 'the server to echo' });
    await sleep(50); // let the echoes reach the client before iterating (not required for order)
    const got: string[] = [];
    const guard = setTimeout(() => handler.stop(), 5_000);
    for await (const event of listener) {
      got.push(event.type === 'message' ? text(event.data) : event.type);
      if (got.length === 11) break;
    }
    clearTimeout(guard);
    expect(got).toEqual(['connected', ...Array.from({ length: 10 }, (_, i) => `e${i}`)]);
  });
});

describe('guarantee 3: lifecycle per endpoint', () => {
  it('connected/accepted, then messages, then disconnected at most once; nothing after remove()', async () => {
    const removedAt = new Map<Endpoint, number>();
    const server = recorder((event, handler) => {
      if (event.type !== 'message') return;
      handler.network().send(event.endpoint, event.data);
      if (text(event.data).endsWith('-2')) {
        handler.network().remove(event.endpoint.resourceId);
        removedAt.set(event.endpoint, server.events.length);
      }
    });
    const { addr, id } = await server.handler.network().listen(Memory, '127.0.0.1:0');
    const client = recorder((event, handler) => {
      if (event.type === 'connected' && event.ok) {
        for (let i = 0; i < 5; i++) handler.network().send(event.endpoint, utf8(`${event.endpoint.resourceId.id}-${i}`));
      }
    });
    const endpoints = Array.from({ length: 10 }, () => client.handler.network().connect(Memory, addr));
    await until(() => client.events.filter((e) => e.type === 'disconnected').length === 10, { what: 'every client connection to end' });
    await sleep(50);
    // client side: connected, the three echoes the server sent before remove(), disconnected once
    for (const endpoint of endpoints) {
      const seq = eventsOf(client.events, endpoint).map((e) => (e.type === 'message' ? text(e.data) : e.type));
      const n = endpoint.resourceId.id;
      expect(seq).toEqual(['connected', `${n}-0`, `${n}-1`, `${n}-2`, 'disconnected']);
    }
    // server side: accepted first, messages up to the one that removed it, and nothing after
    const accepted = server.events.flatMap((e) => (e.type === 'accepted' ? [e] : []));
    expect(accepted).toHaveLength(10);
    for (const event of accepted) {
      expect(event.listenerId).toBe(id);
      const seq = eventsOf(server.events, event.endpoint);
      expect(seq.map((e) => e.type)).toEqual(['accepted', 'message', 'message', 'message']);
      expect(eventsOf(server.events.slice(removedAt.get(event.endpoint)), event.endpoint)).toEqual([]);
      expect(server.handler.network().isReady(event.endpoint.resourceId)).toBeUndefined();
    }
    // the same connection always gives the same Endpoint object
    expect(new Set(client.events.map((e) => (e.type === 'signal' ? undefined : e.endpoint))).size).toBe(10);
  });
});

describe('guarantee 5: nothing after stop()', () => {
  it('stop() inside the callback, with traffic, signals and timers pending', async () => {
    let stopped = false;
    let afterStop = 0;
    const server = recorder<string>((event, handler) => {
      if (stopped) afterStop++;
      if (event.type !== 'message') return;
      handler.network().send(event.endpoint, event.data);
      handler.signals().send('queued');
      handler.signals().sendWithTimer('timer', 1);
      if (server.events.filter((e) => e.type === 'message').length === 20) {
        handler.stop();
        stopped = true;
      }
    });
    const { addr } = await server.handler.network().listen(Memory, '127.0.0.1:0');
    const client = recorder((event, handler) => {
      if (event.type === 'connected' && event.ok) {
        const ticker = setInterval(() => {
          if (handler.network().send(event.endpoint, utf8('tick')) !== SendStatus.Sent) clearInterval(ticker);
        }, 1);
        afterTest(() => clearInterval(ticker));
      }
    });
    const endpoint = client.handler.network().connect(Memory, addr);
    await server.done; // settles because the node stopped
    expect(server.handler.isRunning()).toBe(false);
    await until(() => eventsOf(client.events, endpoint).some((e) => e.type === 'disconnected'), { what: 'the client to see the end' });
    await sleep(50);
    expect(afterStop).toBe(0);
    // the listener is closed too: a new connection is refused
    const refused = client.handler.network().connect(Memory, addr);
    const event = await client.waitFor((e) => e.type === 'connected' && e.endpoint === refused, 2_000);
    expect(event).toMatchObject({ ok: false });
  });

  /** A node whose connection got 20 messages and was closed by its peer; every event is stored, none delivered. */
  async function nodeWithStoredEvents(): Promise<ReturnType<typeof newNode<never>>> {
    const addr = await sendingServer(20);
    const [handler, listener] = newNode();
    const endpoint = handler.network().connect(Memory, addr);
    await until(() => handler.network().isReady(endpoint.resourceId) === undefined, { what: 'the connection to end' });
    return [handler, listener];
  }

  it('events stored before stop() are dropped: a later forEach or iteration gets nothing', async () => {
    const [handler, listener] = await nodeWithStoredEvents();
    handler.stop();
    const got: unknown[] = [];
    await expect(listener.forEach((event) => void got.push(event))).resolves.toBeUndefined();
    await sleep(20);
    expect(got).toEqual([]);

    const [other, otherListener] = await nodeWithStoredEvents();
    other.stop();
    const iterated: unknown[] = [];
    for await (const event of otherListener) iterated.push(event);
    expect(iterated).toEqual([]);
  });

  it('stop() inside the callback drops the events still stored', async () => {
    const [handler, listener] = await nodeWithStoredEvents();
    const got: string[] = [];
    const done = listener.forEach((event) => {
      got.push(event.type === 'message' ? text(event.data) : event.type);
      if (got.length === 3) handler.stop();
    });
    await expect(done).resolves.toBeUndefined();
    await sleep(20);
    expect(got).toEqual(['connected', 'm0', 'm1']);
  });

  it('stop() from outside: the promise settles, later calls are refused, nothing is delivered', async () => {
    let stopped = false;
    let afterStop = 0;
    const server = recorder<string>(() => {
      if (stopped) afterStop++;
    });
    const { addr, id } = await server.handler.network().listen(Memory, '127.0.0.1:0');
    const peer = recorder();
    const toServer = await peer.handler.network().connectAndWait(Memory, addr);
    const accepted = await server.waitFor((e) => e.type === 'accepted');
    const endpoint = accepted.type === 'accepted' ? accepted.endpoint : undefined!;
    for (let i = 0; i < 100; i++) peer.handler.network().send(toServer, utf8('before stop'));
    server.handler.signals().send('dropped');
    server.handler.signals().sendWithTimer('dropped timer', 5);
    // a connection still connecting when stop() is called: connectAndWait rejects, no event
    const pending = server.handler.network().connectAndWait(Memory, addr);
    pending.catch(() => undefined);
    server.handler.stop();
    stopped = true;
    peer.handler.network().send(toServer, utf8('after stop'));

    await expect(server.done).resolves.toBeUndefined();
    await expect(pending).rejects.toBeInstanceOf(ConnectAbortedError);
    const net = server.handler.network();
    expect(() => net.connect(Memory, addr)).toThrow(NodeStoppedError);
    await expect(net.listen(Memory, '127.0.0.1:0')).rejects.toBeInstanceOf(NodeStoppedError);
    expect(net.send(endpoint, utf8('x'))).toBe(SendStatus.ResourceNotFound);
    expect(net.isReady(id)).toBeUndefined();
    expect(net.remove(endpoint.resourceId)).toBe(false);
    await peer.waitFor((e) => e.type === 'disconnected' && e.endpoint === toServer, 2_000);
    await sleep(30);
    expect(afterStop).toBe(0);
  });
});
