// Nats on a real nats-server: addresses and options, request and reply, queue groups, the
// server's max_payload, backpressure, a server restart during traffic, a client that gives up, a
// plain NATS client as the peer, the application's own connection, a consumer that falls behind, and TLS to the server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectError,
  InvalidAddressError,
  InvalidOptionError,
  ListenError,
  SendStatus,
  split,
  type Endpoint,
  type NodeEvent,
  type NetEvent,
} from '@message-io/core';
import { sleep, testNode, text, until, utf8, type OnEvent, type TestNode } from '@message-io/adapter-testkit';
import { Nats } from '@message-io/nats';
import { connect } from '@nats-io/transport-node';
import { skipWithout } from '../../../test/support/peers.js';
import { usePki } from '../../../test/support/pki.js';
import { freePort, startNatsServer, type NatsServer } from '../../../test/support/nats-server.js';

const T = 30_000;
const nodes: TestNode<never>[] = [];

function node(onEvent?: OnEvent<never>): TestNode<never> {
  const made = testNode<never>(onEvent);
  nodes.push(made);
  return made;
}

afterEach(async () => {
  for (const made of nodes.splice(0)) made.stop();
});

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Texts of the messages among `events`, optionally of one endpoint. */
function texts(events: readonly NodeEvent<never>[], endpoint?: Endpoint): string[] {
  return events.flatMap((e) => (e.type === 'message' && (endpoint === undefined || e.endpoint === endpoint) ? [text(e.data)] : []));
}

const echo: OnEvent<never> = (event, handler) => {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
};

describe('Nats addresses and options (no server needed)', () => {
  it('refuses socket addresses, other schemes, wildcards to send to, and bad options', async () => {
    const { handler } = node();
    const net = handler.network();
    expect(thrown(() => net.connect(Nats, '127.0.0.1:4222'))).toBeInstanceOf(InvalidAddressError);
    expect(thrown(() => net.connect(Nats, 'ws://127.0.0.1:4222/orders'))).toBeInstanceOf(InvalidAddressError);
    expect(thrown(() => net.connect(Nats, 'nats://127.0.0.1:4222/'))).toBeInstanceOf(InvalidAddressError);
    expect(thrown(() => net.connect(Nats, 'nats://127.0.0.1:4222/orders.*'))).toBeInstanceOf(InvalidAddressError);
    expect(thrown(() => net.connect(Nats, 'nats://127.0.0.1:4222/orders..new'))).toBeInstanceOf(InvalidAddressError);
    expect(thrown(() => net.connect(Nats, 'nats://127.0.0.1:4222/orders?x=1'))).toBeInstanceOf(InvalidAddressError);
    expect(thrown(() => net.connect(Nats, 'nats://127.0.0.1:4222/a', { maxReconnectAttempts: -2 }))).toBeInstanceOf(InvalidOptionError);
    expect(thrown(() => net.connect(Nats, 'nats://127.0.0.1:4222/a', { tls: 'yes' } as never))).toBeInstanceOf(InvalidOptionError);
    expect(thrown(() => net.connect(Nats, 'nats://127.0.0.1:4222/a', { connection: {} } as never))).toBeInstanceOf(InvalidOptionError);
    expect(thrown(() => net.connect(Nats, 'nats://127.0.0.1:4222/a', { queue: 'q' } as never))).toBeInstanceOf(InvalidOptionError);
    // The client reconnects by itself, and a broker has no connections to count.
    expect(thrown(() => net.connect(Nats, 'nats://127.0.0.1:4222/a', { reconnect: true } as never))).toBeInstanceOf(InvalidOptionError);
    await expect(net.listen(Nats, 'nats://127.0.0.1:4222/a', { maxConnections: 5 } as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(net.listen(Nats, 'nats://127.0.0.1:4222/a.>.b')).rejects.toBeInstanceOf(InvalidAddressError);
    await expect(net.listen(Nats, 'nats://127.0.0.1:4222/a', { queue: 'two words' })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(net.listen(Nats, '127.0.0.1:4222')).rejects.toBeInstanceOf(InvalidAddressError);
  });

  it('with no server: listen rejects with ListenError, connect ends with connected ok: false and a ConnectError', async () => {
    const port = await freePort();
    const client = node();
    const net = client.handler.network();
    await expect(net.listen(Nats, `nats://127.0.0.1:${port}/a`)).rejects.toBeInstanceOf(ListenError);
    const endpoint = net.connect(Nats, `nats://127.0.0.1:${port}/a`);
    expect(net.send(endpoint, utf8('x'))).toBe(SendStatus.ResourceNotAvailable);
    const failed = await client.waitFor((e) => e.type === 'connected' && e.endpoint === endpoint, 10_000);
    expect(failed.type === 'connected' && !failed.ok && failed.error).toBeInstanceOf(ConnectError);
    expect(net.send(endpoint, utf8('x'))).toBe(SendStatus.ResourceNotFound);
  });
});

describe.skipIf(skipWithout('nats-server'))('Nats on a nats-server', () => {
  let server: NatsServer;
  let subjects = 0;
  const subject = (): string => server.url(`test.${++subjects}`);
  beforeAll(async () => {
    server = await startNatsServer({ maxPayload: 64 * 1024 });
  });
  afterAll(() => server?.stop());

  it(
    'request and reply: a message comes from its reply subject, and sending there answers the sender',
    async () => {
      const worker = node((event, handler) => {
        if (event.type === 'message') handler.network().send(event.endpoint, utf8(`done: ${text(event.data)}`));
      });
      const addr = subject();
      const listening = await worker.handler.network().listen(Nats, addr);
      expect(listening.addr).toBe(addr);
      const client = node();
      const endpoint = await client.handler.network().connectAndWait(Nats, addr);
      expect(endpoint.addr).toBe(addr);
      for (let i = 0; i < 50; i++) expect(client.handler.network().send(endpoint, utf8(`job ${i}`))).toBe(SendStatus.Sent);
      await client.waitCount((e) => e.type === 'message', 50);
      expect(texts(client.events, endpoint)).toEqual(Array.from({ length: 50 }, (_, i) => `done: job ${i}`));
      // Every job came from the same endpoint: the client's inbox, an address of this server.
      const senders = new Set(worker.events.flatMap((e) => (e.type === 'message' ? [e.endpoint] : [])));
      expect(senders.size).toBe(1);
      const [sender] = senders;
      expect(sender!.resourceId).toBe(listening.id);
      expect(sender!.addr.startsWith(`nats://127.0.0.1:${server.port}/_INBOX.`)).toBe(true);
      // No accepted, no disconnected: a broker does not tell when a peer comes or goes.
      expect(worker.events.filter((e) => e.type !== 'message').map((e) => e.type)).toEqual([]);
    },
    T,
  );

  it(
    'a queue group shares the messages between two listeners, each message to one of them; without it, both get all',
    async () => {
      const addr = subject();
      const a = node(echo);
      const b = node(echo);
      await a.handler.network().listen(Nats, addr, { queue: 'workers' });
      await b.handler.network().listen(Nats, addr, { queue: 'workers' });
      const all = node();
      await all.handler.network().listen(Nats, addr);
      const client = node();
      const endpoint = await client.handler.network().connectAndWait(Nats, addr);
      const count = 400;
      for (let i = 0; i < count; i++) {
        client.handler.network().send(endpoint, utf8(String(i)));
        if (i % 50 === 49) await sleep(1);
      }
      await until(() => texts(a.events).length + texts(b.events).length === count && texts(all.events).length === count, { what: 'every job' });
      const got = [...texts(a.events), ...texts(b.events)].map(Number);
      expect(new Set(got).size).toBe(count);
      expect(texts(a.events).length).toBeGreaterThan(0);
      expect(texts(b.events).length).toBeGreaterThan(0);
      // Each listener sees its share in the order it was sent; the listener outside the group sees all, in order.
      for (const share of [texts(a.events).map(Number), texts(b.events).map(Number)]) expect(share).toEqual([...share].sort((x, y) => x - y));
      expect(texts(all.events).map(Number)).toEqual(Array.from({ length: count }, (_, i) => i));
      // The echoes of both workers reach the client: once each.
      await client.waitCount((e) => e.type === 'message', count);
      expect(new Set(texts(client.events).map(Number)).size).toBe(count);
    },
    T,
  );

  it(
    "a send to a subject nobody listens on is lost, as NATS publishes are: the server's no-responders notice is not a message",
    async () => {
      const client = node();
      const net = client.handler.network();
      const endpoint = await net.connectAndWait(Nats, subject());
      for (let i = 0; i < 10; i++) expect(net.send(endpoint, utf8('anyone?'))).toBe(SendStatus.Sent);
      // A listener that comes later gets what is sent from then on, and its answer is the only message.
      const addr = server.url(`test.${subjects}`);
      const worker = node(echo);
      await worker.handler.network().listen(Nats, addr);
      net.send(endpoint, utf8('now'));
      await client.waitFor((e) => e.type === 'message');
      await sleep(100);
      expect(texts(client.events)).toEqual(['now']);
    },
    T,
  );

  it(
    'a consumer that falls behind: what arrives past maxStoredBytes is dropped, on a listener and on an endpoint, and what is kept is whole',
    async () => {
      const KiB = 1024;
      const addr = subject();
      // A node whose callback has not started: every event is stored, up to 64 KiB.
      const [handler, listener] = split({ maxStoredBytes: 64 * KiB });
      const net = handler.network();
      try {
        await net.listen(Nats, addr);
        const sender = node();
        const endpoint = await sender.handler.network().connectAndWait(Nats, addr);
        const message = new Uint8Array(KiB);
        for (let i = 0; i < 1_000; i++) {
          message.fill(i % 251);
          sender.handler.network().send(endpoint, message);
          if (i % 100 === 99) await sleep(1);
        }
        await sleep(300);
        // The other way: a slow endpoint, flooded by a listener's answers.
        const answers = await net.connectAndWait(Nats, server.url(`test.answers.${subjects}`));
        const answerer = node((event, h) => {
          if (event.type === 'message') for (let i = 0; i < 1_000; i++) h.network().send(event.endpoint, message);
        });
        await answerer.handler.network().listen(Nats, server.url(`test.answers.${subjects}`));
        net.send(answers, utf8('flood me'));
        await sleep(300);
        let atListener = 0;
        let atEndpoint = 0;
        const done = listener.forEach((event) => {
          if (event.type !== 'message') return;
          expect(event.data.every((b) => b === event.data[0])).toBe(true);
          if (event.endpoint === answers) atEndpoint++;
          else atListener++;
        });
        await sleep(300);
        handler.stop();
        await done;
        // Bounded by the 64 KiB of stored events (about 64 messages of 1 KiB each, give or take the events around them).
        expect(atListener).toBeGreaterThan(0);
        expect(atListener).toBeLessThan(200);
        expect(atEndpoint).toBeLessThan(200);
      } finally {
        handler.stop();
      }
    },
    T,
  );

  it(
    "a client whose internals are not where this package reads them (another version): messages still go, as copies, through the client's publish",
    async () => {
      const real = await connect({ servers: `127.0.0.1:${server.port}` });
      // The same connection, seen without its protocol handler: every method works, on the real client.
      const hidden = new Proxy(real, {
        get: (target, key) => {
          if (key === 'protocol') return undefined;
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      try {
        const addr = subject();
        const worker = node(echo);
        await worker.handler.network().listen(Nats, addr);
        const client = node();
        const net = client.handler.network();
        const endpoint = await net.connectAndWait(Nats, addr, { connection: hidden });
        const message = utf8('first');
        expect(net.send(endpoint, message)).toBe(SendStatus.Sent);
        message.set(utf8('XXXXX'));
        expect(net.send(endpoint, utf8('second'))).toBe(SendStatus.Sent);
        await client.waitCount((e) => e.type === 'message', 2);
        expect(texts(client.events)).toEqual(['first', 'second']);
        expect(net.bufferedBytes(endpoint)).toBe(0);
      } finally {
        await real.close();
      }
    },
    T,
  );

  it(
    "the largest message is the server's max_payload: one byte more answers MaxPacketSizeExceeded",
    async () => {
      const addr = subject();
      const worker = node(echo);
      await worker.handler.network().listen(Nats, addr);
      const client = node();
      const net = client.handler.network();
      const endpoint = await net.connectAndWait(Nats, addr);
      const largest = new Uint8Array(64 * 1024).fill(7);
      expect(net.send(endpoint, largest)).toBe(SendStatus.Sent);
      expect(net.send(endpoint, new Uint8Array(64 * 1024 + 1))).toBe(SendStatus.MaxPacketSizeExceeded);
      const echoed = await client.waitFor((e) => e.type === 'message');
      expect(echoed.type === 'message' && echoed.data).toEqual(largest);
      // From the listener too.
      const from = worker.events.find((e) => e.type === 'message') as NetEvent & { type: 'message' };
      expect(worker.handler.network().send(from.endpoint, new Uint8Array(64 * 1024 + 1))).toBe(SendStatus.MaxPacketSizeExceeded);
    },
    T,
  );

  it(
    'backpressure: over maxBufferedBytes sends answer Backpressure, a writable event follows, and nothing sent is lost or reordered',
    async () => {
      const addr = subject();
      const worker = node();
      await worker.handler.network().listen(Nats, addr);
      const client = node();
      const net = client.handler.network();
      const endpoint = await net.connectAndWait(Nats, addr, { maxBufferedBytes: 256 * 1024 });
      const sent: number[] = [];
      let refused = 0;
      const message = new Uint8Array(16 * 1024);
      // A frozen server reads nothing: the kernel's buffers fill, then the client's.
      server.pause();
      try {
        for (let i = 0; i < 4096 && refused === 0; i++) {
          new DataView(message.buffer).setUint32(0, i);
          const status = net.send(endpoint, message);
          if (status === SendStatus.Sent) sent.push(i);
          else if (status === SendStatus.Backpressure) refused++;
          if (i % 64 === 63) await sleep(1); // the client writes on a later microtask; let it
        }
        expect(refused).toBe(1);
        expect(net.bufferedBytes(endpoint)).toBeGreaterThanOrEqual(256 * 1024);
        await sleep(50);
        expect(client.events.filter((e) => e.type === 'writable')).toEqual([]);
      } finally {
        server.resume();
      }
      await client.waitFor((e) => e.type === 'writable' && e.endpoint === endpoint);
      expect(net.bufferedBytes(endpoint)).toBeLessThan(256 * 1024);
      await worker.waitCount((e) => e.type === 'message', sent.length, 10_000);
      const got = worker.events.flatMap((e) => (e.type === 'message' ? [new DataView(e.data.buffer, e.data.byteOffset).getUint32(0)] : []));
      expect(got).toEqual(sent);
    },
    T,
  );

  it(
    'a plain NATS client as the peer: its request is answered; a message with no reply subject comes from the server address, where sends find nobody',
    async () => {
      const addr = subject();
      const worker = node((event, handler) => {
        if (event.type === 'message') handler.network().send(event.endpoint, utf8(text(event.data).toUpperCase()));
      });
      await worker.handler.network().listen(Nats, addr);
      const nc = await connect({ servers: `127.0.0.1:${server.port}` });
      try {
        const reply = await nc.request(`test.${subjects}`, utf8('ping'), { timeout: 5_000 });
        expect(text(reply.data)).toBe('PING');
        nc.publish(`test.${subjects}`, utf8('no reply'));
        await worker.waitCount((e) => e.type === 'message', 2);
        const last = worker.events.filter((e) => e.type === 'message').at(-1) as NetEvent & { type: 'message' };
        expect(last.endpoint.addr).toBe(`nats://127.0.0.1:${server.port}/`);
        expect(worker.handler.network().send(last.endpoint, utf8('x'))).toBe(SendStatus.ResourceNotFound);
        // A message-io client reaches a plain subscriber, and its reply subject is answered.
        const sub = nc.subscribe('plain.echo', { callback: (_err, msg) => void msg.respond(msg.data) });
        await nc.flush();
        const client = node();
        const endpoint = await client.handler.network().connectAndWait(Nats, `nats://127.0.0.1:${server.port}/plain.echo`);
        client.handler.network().send(endpoint, utf8('round trip'));
        const back = await client.waitFor((e) => e.type === 'message');
        expect(back.type === 'message' && text(back.data)).toBe('round trip');
        sub.unsubscribe();
      } finally {
        await nc.close();
      }
    },
    T,
  );

  it(
    "the application's own connection: used for both sides, left open after remove and stop",
    async () => {
      const nc = await connect({ servers: `127.0.0.1:${server.port}` });
      try {
        const addr = subject();
        const worker = node(echo);
        const listening = await worker.handler.network().listen(Nats, addr, { connection: nc });
        const client = node();
        const endpoint = await client.handler.network().connectAndWait(Nats, addr, { connection: nc });
        client.handler.network().send(endpoint, utf8('shared'));
        const back = await client.waitFor((e) => e.type === 'message');
        expect(back.type === 'message' && text(back.data)).toBe('shared');
        expect(client.handler.network().remove(endpoint.resourceId)).toBe(true);
        expect(worker.handler.network().remove(listening.id)).toBe(true);
        client.stop();
        worker.stop();
        await sleep(50);
        expect(nc.isClosed()).toBe(false);
        await nc.flush();
      } finally {
        await nc.close();
      }
    },
    T,
  );
});

describe.skipIf(skipWithout('nats-server'))('Nats when the server goes away', () => {
  it(
    'a server restart during traffic: sends answer ResourceNotAvailable while it is down, then both sides carry on with the same endpoints, in order',
    async () => {
      const server = await startNatsServer();
      try {
        const addr = server.url('restart');
        const options = { reconnectTimeWait: 100, maxReconnectAttempts: -1 };
        const worker = node(echo);
        const listening = await worker.handler.network().listen(Nats, addr, options);
        const client = node();
        const net = client.handler.network();
        const endpoint = await net.connectAndWait(Nats, addr, options);
        const statuses: SendStatus[] = [];
        const sent: number[] = [];
        let tick = 0;
        const send = (): void => {
          const status = net.send(endpoint, utf8(String(tick)));
          statuses.push(status);
          if (status === SendStatus.Sent) sent.push(tick);
          tick++;
        };
        const ticking = setInterval(send, 5);
        try {
          await until(() => texts(client.events).length >= 20, { what: 'echoes before the restart' });
          await server.stop();
          await until(() => statuses.at(-1) === SendStatus.ResourceNotAvailable, { what: 'sends refused while the server is down' });
          const before = texts(client.events).length;
          await sleep(200);
          await server.start();
          await until(() => texts(client.events).length >= before + 20, { timeout: 15_000, what: 'echoes after the restart' });
        } finally {
          clearInterval(ticking);
        }
        // The endpoint stayed the same and neither side saw an end; the listener is still there.
        expect(client.events.filter((e) => e.type === 'disconnected')).toEqual([]);
        expect(worker.handler.network().isReady(listening.id)).toBe(true);
        expect(statuses).toContain(SendStatus.ResourceNotAvailable);
        // What came back was sent, once, in order (at most once: some sent around the loss may be missing).
        const echoed = texts(client.events, endpoint).map(Number);
        expect(echoed).toEqual([...new Set(echoed)].sort((x, y) => x - y));
        for (const n of echoed) expect(sent).toContain(n);
      } finally {
        await server.stop();
      }
    },
    T,
  );

  it(
    'a client that gives up: the connection ends with disconnected and a ConnectError, the listener is removed',
    async () => {
      const server = await startNatsServer();
      try {
        const addr = server.url('gives-up');
        const options = { reconnectTimeWait: 50, maxReconnectAttempts: 2 };
        const worker = node();
        await worker.handler.network().listen(Nats, addr, options);
        const client = node();
        const endpoint = await client.handler.network().connectAndWait(Nats, addr, options);
        expect(worker.handler.network().stats().listeners).toBe(1);
        await server.stop();
        const ended = await client.waitFor((e) => e.type === 'disconnected' && e.endpoint === endpoint, 15_000);
        expect(ended.type === 'disconnected' && ended.error).toBeInstanceOf(ConnectError);
        expect(client.handler.network().send(endpoint, utf8('x'))).toBe(SendStatus.ResourceNotFound);
        await until(() => worker.handler.network().stats().listeners === 0, { timeout: 15_000, what: 'the listener removed' });
      } finally {
        await server.stop();
      }
    },
    T,
  );
});

describe.skipIf(skipWithout('nats-server', 'openssl'))('Nats to a server that requires TLS', () => {
  const pki = usePki();

  it(
    "with the server's authority in the tls option, both sides work; without it, connect ends with ok: false and listen rejects",
    async () => {
      const server = await startNatsServer({ tls: pki.server });
      try {
        const addr = server.url('tls.jobs');
        const tls = { ca: pki.ca };
        const worker = node(echo);
        await worker.handler.network().listen(Nats, addr, { tls });
        const client = node();
        const endpoint = await client.handler.network().connectAndWait(Nats, addr, { tls });
        client.handler.network().send(endpoint, utf8('over TLS'));
        const back = await client.waitFor((e) => e.type === 'message');
        expect(back.type === 'message' && text(back.data)).toBe('over TLS');
        // No authority that signed the server's certificate: refused by the client.
        const stranger = client.handler.network().connect(Nats, addr);
        const failed = await client.waitFor((e) => e.type === 'connected' && e.endpoint === stranger, 15_000);
        expect(failed.type === 'connected' && failed.ok).toBe(false);
        expect(failed.type === 'connected' && failed.error).toBeInstanceOf(ConnectError);
        await expect(worker.handler.network().listen(Nats, addr)).rejects.toBeInstanceOf(ListenError);
      } finally {
        await server.stop();
      }
    },
    T,
  );
});
