// The guarantees of docs/design/guarantees.md and docs/reliability.md LC-06, LC-08, LC-09 that
// depend on Tcp and FramedTcp themselves, on real sockets (127.0.0.1 and ::1): bytes already
// buffered inbound when remove() runs, flushing on remove, the receive buffer messages are views
// of, listen() errors from the system, and the options only Tcp takes. What the core keeps for any
// transport is tested in packages/core/test (guarantees.test.ts, network.test.ts) on the memory
// transport, and by the conformance suite (conformance.test.ts). Every test is bounded in time;
// every node and socket is closed afterwards.
import * as rawNet from 'node:net';
import type { LookupFunction } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Endpoint, InvalidOptionError, ListenError, SendStatus, split, type NodeEvent, type NodeHandler } from '@message-io/core';
import { FramedTcp, Tcp } from '@message-io/tcp';
import { eventsOf, sleep, until } from '@message-io/adapter-testkit';

const T = 15_000; // per-test timeout for network tests
const HOSTS = [
  { name: 'IPv4', host: '127.0.0.1', any: '127.0.0.1:0' },
  { name: 'IPv6', host: '::1', any: '[::1]:0' },
] as const;
const TRANSPORTS = [
  { name: 'FramedTcp', transport: FramedTcp },
  { name: 'Tcp', transport: Tcp },
] as const;

// ---------------------------------------------------------------- helpers

const cleanups: (() => void)[] = [];
/** Errors thrown by recorder callbacks: a test fails when any is left. */
const callbackErrors: unknown[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch {
      // best effort: the next cleanup still runs
    }
  }
  expect(callbackErrors.splice(0)).toEqual([]);
});

/** The error thrown by `run`, or a failure when nothing is thrown. */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

const text = (data: Uint8Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString();
const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);

/** A split node, stopped after the test. */
function newNode<S = never>(): [NodeHandler<S>, ReturnType<typeof split<S>>[1]] {
  const pair = split<S>();
  cleanups.push(() => pair[0].stop());
  return pair;
}

interface Recorder<S> {
  handler: NodeHandler<S>;
  /** Every event, message data copied. */
  events: NodeEvent<S>[];
  /** Deepest nesting of the callback seen so far (1 means never re-entered). */
  maxDepth(): number;
  done: Promise<void>;
}

/** A node whose callback records every event (with copied data) and then runs `onEvent`. */
function recorder<S = never>(onEvent?: (event: NodeEvent<S>, handler: NodeHandler<S>) => void): Recorder<S> {
  const [handler, listener] = newNode<S>();
  const events: NodeEvent<S>[] = [];
  let depth = 0;
  let deepest = 0;
  const done = listener.forEach((event) => {
    depth++;
    deepest = Math.max(deepest, depth);
    try {
      events.push(event.type === 'message' ? { ...event, data: new Uint8Array(event.data) } : event);
      onEvent?.(event, handler);
    } catch (error) {
      callbackErrors.push(error);
      throw error;
    } finally {
      depth--;
    }
  });
  done.catch(() => undefined);
  return { handler, events, maxDepth: () => deepest, done };
}

/** An unsigned LEB128 length prefix followed by the payload: one FramedTcp frame. */
function frame(payload: Uint8Array): Buffer {
  const prefix: number[] = [];
  let n = payload.byteLength;
  do {
    prefix.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.concat([Buffer.from(prefix), payload]);
}

/** A raw node:net server, closed after the test; collects each connection's bytes. */
async function rawServer(host: string): Promise<{ port: number; sockets: rawNet.Socket[]; received: Buffer[][]; ended: boolean[] }> {
  const sockets: rawNet.Socket[] = [];
  const received: Buffer[][] = [];
  const ended: boolean[] = [];
  const server = rawNet.createServer((socket) => {
    const index = sockets.push(socket) - 1;
    received[index] = [];
    ended[index] = false;
    socket.on('data', (chunk) => received[index]!.push(chunk));
    socket.on('end', () => {
      ended[index] = true;
      socket.end();
    });
    socket.on('error', () => undefined);
  });
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return { port: (server.address() as rawNet.AddressInfo).port, sockets, received, ended };
}

/** A raw node:net client, destroyed after the test. */
async function rawClient(host: string, port: number, options: { allowHalfOpen?: boolean } = {}): Promise<rawNet.Socket> {
  const socket = rawNet.connect({ host, port, allowHalfOpen: options.allowHalfOpen ?? false });
  socket.on('error', () => undefined);
  cleanups.push(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** A port on `host` with nothing listening (bound once, then closed). */
async function closedPort(host: string): Promise<number> {
  const server = rawNet.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as rawNet.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------- LC-06 case 5: bytes already buffered inbound

describe.each(HOSTS)('LC-06 case 5: nothing after remove() ($name)', ({ host, any }) => {
  it.each(TRANSPORTS)(
    '$name: no message or disconnected after remove(), while the peer keeps sending (LC-06 case 5: bytes already buffered inbound)',
    async ({ transport }) => {
      let removed: Endpoint | undefined;
      let afterRemove = 0;
      const server = recorder((event, handler) => {
        if (event.type !== 'signal' && event.endpoint === removed) afterRemove++;
        if (event.type === 'message' && removed === undefined) {
          removed = event.endpoint;
          expect(handler.network().remove(event.endpoint.resourceId)).toBe(true);
        }
      });
      const { addr } = await server.handler.network().listen(transport, any);
      const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
      const socket = await rawClient(host, port, { allowHalfOpen: true });
      let writes = 0;
      let failed = false;
      socket.on('error', () => (failed = true));
      socket.on('close', () => (failed = true));
      // A first burst (many frames in one chunk: the rest are buffered inbound when remove() runs),
      // then one write every 2 ms for up to 400 ms.
      socket.write(Buffer.concat(Array.from({ length: 500 }, (_, i) => frame(bytes(`burst${i}`)))));
      const deadline = Date.now() + 400;
      while (!failed && Date.now() < deadline && writes < 200) {
        socket.write(frame(bytes(`late${writes++}`)));
        await sleep(2);
      }
      await sleep(50);
      expect(removed).toBeDefined();
      expect(afterRemove).toBe(0);
      expect(eventsOf(server.events, removed!).map((e) => e.type)).toEqual(['accepted', 'message']);
      expect(server.handler.network().send(removed!, bytes('x'))).toBe(SendStatus.ResourceNotFound);
      expect(server.handler.network().remove(removed!.resourceId)).toBe(false);
    },
    T,
  );
});

// ---------------------------------------------------------------- guarantee 6: message data

describe.each(HOSTS)('guarantee 6: message data ($name)', ({ host, any }) => {
  it(
    'forEach gets a Uint8Array view into the receive buffer',
    async () => {
      const views: { isUint8Array: boolean; view: boolean; value: string }[] = [];
      const server = recorder((event) => {
        if (event.type === 'message') {
          views.push({
            isUint8Array: event.data instanceof Uint8Array,
            view: event.data.buffer.byteLength > event.data.byteLength, // not a copy of its own
            value: text(event.data),
          });
        }
      });
      const { addr } = await server.handler.network().listen(FramedTcp, any);
      const socket = await rawClient(host, Number(addr.slice(addr.lastIndexOf(':') + 1)));
      socket.write(Buffer.concat([frame(bytes('one')), frame(bytes('two'))]));
      await until(() => views.length === 2, { what: 'two messages' });
      expect(views).toEqual([
        { isUint8Array: true, view: true, value: 'one' },
        { isUint8Array: true, view: true, value: 'two' },
      ]);
    },
    T,
  );

  it(
    'events from the async iterator stay intact after later messages',
    async () => {
      const [handler, listener] = newNode();
      const { addr } = await handler.network().listen(FramedTcp, any);
      const socket = await rawClient(host, Number(addr.slice(addr.lastIndexOf(':') + 1)));
      // Two frames in one write, so that they most likely arrive in one chunk.
      socket.write(Buffer.concat([frame(bytes('first')), frame(bytes('second'))]));
      const kept: Uint8Array[] = [];
      const guard = setTimeout(() => handler.stop(), 5_000);
      for await (const event of listener) {
        if (event.type !== 'message') continue;
        kept.push(event.data);
        if (kept.length === 2) socket.write(Buffer.concat(Array.from({ length: 50 }, () => frame(bytes('overwrite!')))));
        if (kept.length === 52) break;
      }
      clearTimeout(guard);
      expect(text(kept[0]!)).toBe('first');
      expect(text(kept[1]!)).toBe('second');
      for (const data of kept.slice(2)) expect(text(data)).toBe('overwrite!');
    },
    T,
  );

  it(
    'events stored before forEach stay intact after later messages',
    async () => {
      const [handler, listener] = newNode();
      const { addr } = await handler.network().listen(FramedTcp, any);
      const socket = await rawClient(host, Number(addr.slice(addr.lastIndexOf(':') + 1)));
      socket.write(Buffer.concat([frame(bytes('a')), frame(bytes('b'))]));
      socket.end();
      await sleep(100); // both frames arrive while there is no consumer
      const kept: Uint8Array[] = [];
      const second = await rawClient(host, Number(addr.slice(addr.lastIndexOf(':') + 1)));
      void listener.forEach((event) => {
        if (event.type !== 'message') return;
        kept.push(event.data); // kept as it is, no copy
        if (kept.length === 2) second.write(Buffer.concat(Array.from({ length: 50 }, () => frame(bytes('later')))));
      });
      await until(() => kept.length === 52, { what: 'every message' });
      expect(kept.slice(0, 2).map(text)).toEqual(['a', 'b']);
      for (const data of kept.slice(2)) expect(text(data)).toBe('later');
    },
    T,
  );
});

// ---------------------------------------------------------------- LC-08 listen() errors

describe('LC-08 listen() errors are typed and leave the node usable', () => {
  const serverHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

  it.each(HOSTS)(
    'the same port twice gives ListenError (EADDRINUSE), twice, without leaking ($name)',
    async ({ host, any }) => {
      const [handler] = newNode();
      const net = handler.network();
      const first = await net.listen(FramedTcp, any);
      const before = serverHandles();
      for (let i = 0; i < 2; i++) {
        const error = await net.listen(FramedTcp, first.addr).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ListenError);
        expect((error as ListenError).code).toBe('ERR_LISTEN');
        expect(((error as ListenError).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
        await expect(net.listen(Tcp, first.addr)).rejects.toBeInstanceOf(ListenError);
      }
      // Node closes a server that failed to bind a little later: its handle must go away.
      await until(() => serverHandles() <= before, { timeout: 2_000, what: 'the failed servers to close their handles' });
      // the first listener still works, and a later listen on a free port works
      const later = await net.listen(FramedTcp, any);
      expect(later.addr).not.toBe(first.addr);
      const socket = await rawClient(host, Number(first.addr.slice(first.addr.lastIndexOf(':') + 1)));
      expect(socket.destroyed).toBe(false);
    },
    T,
  );

  it(
    'an address that is not local (203.0.113.1:0) gives ListenError',
    async () => {
      const [handler] = newNode();
      const error = await handler
        .network()
        .listen(FramedTcp, '203.0.113.1:0')
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(ListenError);
      expect(((error as ListenError).cause as NodeJS.ErrnoException).code).toBe('EADDRNOTAVAIL');
      await expect(handler.network().listen(Tcp, '203.0.113.1:0')).rejects.toBeInstanceOf(ListenError);
      await expect(handler.network().listen(FramedTcp, '127.0.0.1:0')).resolves.toMatchObject({ addr: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    },
    T,
  );

  it(
    'an unresolvable name, through an injected resolver, gives ListenError; a later listen works',
    async () => {
      const asked: string[] = [];
      const failing = ((hostname: string, _options: unknown, callback: (error: Error | null, address?: string, family?: number) => void) => {
        asked.push(hostname);
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
      }) as unknown as LookupFunction;
      const [handler] = newNode();
      const error = await handler
        .network()
        .listen(FramedTcp, 'no-such-host.invalid:0', { lookup: failing })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(ListenError);
      expect(((error as ListenError).cause as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
      expect(asked).toEqual(['no-such-host.invalid']);
      const resolving = ((_h: string, _o: unknown, callback: (error: null, address: string, family: number) => void) =>
        callback(null, '127.0.0.1', 4)) as unknown as LookupFunction;
      const ok = await handler.network().listen(FramedTcp, 'my-service.test:0', { lookup: resolving });
      expect(ok.addr).toMatch(/^127\.0\.0\.1:\d+$/);
      await expect(handler.network().listen(Tcp, '[::1]:0')).resolves.toBeDefined();
    },
    T,
  );
});

// ---------------------------------------------------------------- LC-09 invalid addresses and misuse

describe('LC-09 addresses and options that only Tcp takes', () => {
  it.each(TRANSPORTS)(
    '$name: connect to localhost:P resolves and works',
    async ({ transport }) => {
      const server = recorder((event, handler) => {
        if (event.type === 'message') handler.network().send(event.endpoint, event.data);
      });
      const { addr } = await server.handler.network().listen(transport, 'localhost:0');
      const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
      const client = recorder();
      const endpoint = await client.handler.network().connectAndWait(transport, `localhost:${port}`);
      expect(endpoint.addr).toBe(`localhost:${port}`);
      expect(client.handler.network().send(endpoint, bytes('hello'))).toBe(SendStatus.Sent);
      await until(() => client.events.some((e) => e.type === 'message'), { what: 'the echo' });
      const echo = client.events
        .filter((e) => e.type === 'message')
        .map((e) => (e.type === 'message' ? text(e.data) : ''))
        .join('');
      expect(echo).toBe('hello');
    },
    T,
  );

  it.each([
    ['noDelay as a string', { noDelay: 'yes' }],
    ['keepAlive as a string', { keepAlive: 'on' }],
    ['keepAlive negative', { keepAlive: -5 }],
    ['maxMessageSize -1', { maxMessageSize: -1 }],
    ['maxMessageSize fractional', { maxMessageSize: 1.5 }],
    ['lookup not a function', { lookup: 'dns' }],
    ['reuseReceiveBuffer as a string', { reuseReceiveBuffer: 'no' }],
    ['sourceAddress not an address', { sourceAddress: 'nowhere' }],
    ['sourceAddress a host name', { sourceAddress: 'localhost:0' }],
  ])(
    'connect with %s (a Tcp option) throws InvalidOptionError',
    async (_name, options) => {
      const [handler] = newNode();
      const port = await closedPort('127.0.0.1');
      const error = thrown(() => handler.network().connect(FramedTcp, `127.0.0.1:${port}`, options as never));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).code).toBe('ERR_INVALID_OPTION');
    },
    T,
  );

  it('Tcp refuses maxMessageSize (a byte stream has no messages)', () => {
    const [handler] = newNode();
    expect(thrown(() => handler.network().connect(Tcp, '127.0.0.1:1', { maxMessageSize: 10 } as never))).toBeInstanceOf(InvalidOptionError);
  });

  it.each([
    ['noDelay as a string', { noDelay: 'yes' }],
    ['backlog -1', { backlog: -1 }],
    ['ipv6Only as a number', { ipv6Only: 1 }],
    ['maxMessageSize as a string', { maxMessageSize: '1MB' }],
    ['reuseReceiveBuffer as a number', { reuseReceiveBuffer: 0 }],
  ])(
    'listen with %s (a Tcp option) rejects with InvalidOptionError, and binds nothing',
    async (_name, options) => {
      const [handler] = newNode();
      const before = process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
      const error = await handler
        .network()
        .listen(FramedTcp, '127.0.0.1:0', options as never)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length).toBeLessThanOrEqual(before);
    },
    T,
  );
});

// ---------------------------------------------------------------- LC-06 case 6: send then remove at once

describe.each(HOSTS)('LC-06 case 6: remove() flushes what was sent ($name)', ({ host }) => {
  it.each(TRANSPORTS)(
    '$name: case 6, send 1 MiB then remove at once: the peer gets all of it, then the end',
    async ({ name, transport }) => {
      const peer = await rawServer(host);
      const [handler] = newNode();
      const net = handler.network();
      const endpoint = await net.connectAndWait(transport, { host, port: peer.port });
      const payload = new Uint8Array(1024 * 1024);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
      expect(net.send(endpoint, payload)).toBe(SendStatus.Sent);
      expect(net.remove(endpoint.resourceId)).toBe(true);
      await until(() => peer.ended[0] === true, { timeout: 10_000, what: 'the end of the stream at the peer' });
      const got = Buffer.concat(peer.received[0]!);
      const expected = name === 'FramedTcp' ? frame(payload) : Buffer.from(payload);
      expect(got.length).toBe(expected.length);
      expect(got.equals(expected)).toBe(true);
    },
    T,
  );
});
