// Lifecycle and misuse: docs/design/guarantees.md for Udp (connected, never accepted or disconnected),
// remove()/stop() release the sockets, docs/reliability.md IP-01 (IPv6 parity: a connection takes
// the peer's family), LC-08 and LC-09.
import { createSocket } from 'node:dgram';
import type { LookupFunction } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectError, Endpoint, InvalidAddressError, InvalidArgumentError, InvalidOptionError, ListenError, SendStatus, split } from '@message-io/core';
import { Udp } from '@message-io/udp';

/** Lets one turn of the event loop pass. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
import { echo, messages, portOf, sleep, stopNodes, testNode, until } from './support.js';

const T = 15_000;
afterEach(stopNodes);

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** True when a plain socket (no reuseAddr) can bind `host:port`: nobody holds it. */
async function bindable(host: string, port: number): Promise<boolean> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const ok = await new Promise<boolean>((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind({ address: host, port, exclusive: true }, () => resolve(true));
  });
  socket.close();
  return ok;
}

const udpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;

/** The number of open UDP handles once sockets closed by earlier tests are gone. */
async function settledUdpHandles(): Promise<number> {
  await sleep(30);
  return udpHandles();
}

describe('lifecycle', () => {
  it(
    'connected with ok: true even when nobody listens; never accepted nor disconnected',
    async () => {
      const probe = testNode();
      const released = await probe.handler.network().listen(Udp, '127.0.0.1:0');
      probe.handler.network().remove(released.id);
      const client = testNode();
      const ep = client.handler.network().connect(Udp, released.addr);
      expect(client.handler.network().isReady(ep.resourceId)).toBe(false);
      expect(client.handler.network().send(ep, Uint8Array.of(1))).toBe(SendStatus.ResourceNotAvailable);
      await client.waitFor((e) => e.type === 'connected');
      expect(client.events).toEqual([{ type: 'connected', endpoint: ep, ok: true }]);
      expect(client.handler.network().isReady(ep.resourceId)).toBe(true);
    },
    T,
  );

  it(
    'remove() releases the socket of a connection and of a listener; later sends find nothing',
    async () => {
      const node = testNode();
      const net = node.handler.network();
      const listener = await net.listen(Udp, '127.0.0.1:0');
      const source = await net.listen(Udp, '127.0.0.1:0');
      net.remove(source.id);
      await nextTurn(); // the sockets close on a later turn
      const ep = await net.connectAndWait(Udp, listener.addr, { sourceAddress: source.addr });
      expect(await bindable('127.0.0.1', portOf(source.addr))).toBe(false);
      expect(await bindable('127.0.0.1', portOf(listener.addr))).toBe(false);
      expect(net.remove(ep.resourceId)).toBe(true);
      expect(net.remove(listener.id)).toBe(true);
      expect(net.remove(listener.id)).toBe(false);
      await nextTurn(); // the sockets close on a later turn
      expect(await bindable('127.0.0.1', portOf(source.addr))).toBe(true);
      expect(await bindable('127.0.0.1', portOf(listener.addr))).toBe(true);
      expect(net.send(ep, Uint8Array.of(1))).toBe(SendStatus.ResourceNotFound);
      expect(net.send(Endpoint.fromListener(listener.id, '127.0.0.1:9'), Uint8Array.of(1))).toBe(SendStatus.ResourceNotFound);
      expect(node.events).toEqual([{ type: 'connected', endpoint: ep, ok: true }]);
    },
    T,
  );

  it(
    'remove() right after connect() aborts it: no event, no socket left',
    async () => {
      const before = await settledUdpHandles();
      const node = testNode();
      const ep = node.handler.network().connect(Udp, '127.0.0.1:9');
      expect(node.handler.network().remove(ep.resourceId)).toBe(true);
      const named = node.handler.network().connect(Udp, 'localhost:9');
      expect(node.handler.network().remove(named.resourceId)).toBe(true);
      await sleep(100);
      expect(node.events).toEqual([]);
      expect(udpHandles()).toBe(before);
    },
    T,
  );

  it(
    'stop() closes every Udp socket of the node',
    async () => {
      const before = await settledUdpHandles();
      const server = testNode(echo);
      const { addr } = await server.handler.network().listen(Udp, '127.0.0.1:0');
      const group = await server.handler.network().listen(Udp, '239.255.77.1:0', { multicastInterface: '127.0.0.1' });
      const ep = await server.handler.network().connectAndWait(Udp, addr);
      server.handler.network().send(ep, Uint8Array.of(1));
      await server.waitCount((e) => e.type === 'message', 2);
      expect(udpHandles()).toBe(before + 3);
      server.handler.stop();
      await server.done;
      await until(() => udpHandles() === before, { timeout: 2000, what: 'the sockets to close' });
      expect(await bindable('127.0.0.1', portOf(addr))).toBe(true);
      expect(group.addr).toMatch(/^239\.255\.77\.1:/);
    },
    T,
  );
});

describe('IP-01 IPv6 parity', () => {
  it(
    'listen on [::1]:0, connect with the default options (source picked from the peer family), echo, remove',
    async () => {
      const server = testNode(echo);
      const { addr } = await server.handler.network().listen(Udp, '[::1]:0');
      expect(addr).toMatch(/^\[::1\]:\d+$/);
      const client = testNode();
      const ep = await client.handler.network().connectAndWait(Udp, addr);
      expect(client.handler.network().send(ep, Buffer.from('over IPv6'))).toBe(SendStatus.Sent);
      await client.waitFor((e) => e.type === 'message');
      expect(messages(client).map((m) => Buffer.from(m).toString())).toEqual(['over IPv6']);
      const got = server.events.find((e) => e.type === 'message');
      expect(got?.type === 'message' && got.endpoint.addr).toMatch(/^\[::1\]:\d+$/);
      expect(client.handler.network().remove(ep.resourceId)).toBe(true);
      expect(client.events.map((e) => e.type)).toEqual(['connected', 'message']);
    },
    T,
  );

  it(
    'a listener on IPv6 refuses to send to an IPv4 address (and the other way round) with InvalidAddressError',
    async () => {
      const node = testNode();
      const v6 = await node.handler.network().listen(Udp, '[::1]:0');
      const v4 = await node.handler.network().listen(Udp, '127.0.0.1:0');
      expect(thrown(() => node.handler.network().send(Endpoint.fromListener(v6.id, v4.addr), Uint8Array.of(1)))).toBeInstanceOf(InvalidAddressError);
      expect(thrown(() => node.handler.network().send(Endpoint.fromListener(v4.id, v6.addr), Uint8Array.of(1)))).toBeInstanceOf(InvalidAddressError);
      // A URL (a broker's reply address) is no address for a Udp listener: refused by the core.
      expect(thrown(() => node.handler.network().send(Endpoint.fromListener(v4.id, 'nats://127.0.0.1:4222/x'), Uint8Array.of(1)))).toBeInstanceOf(
        InvalidAddressError,
      );
    },
    T,
  );

  it(
    'an IPv6 group with the interface of an IPv4 group is refused before anything is opened (multicast6.test.ts joins one, in a namespace)',
    async () => {
      const node = testNode();
      await expect(node.handler.network().listen(Udp, '[ff15::1234]:0', { multicastInterface: '127.0.0.1' })).rejects.toBeInstanceOf(InvalidOptionError);
      expect(thrown(() => node.handler.network().connect(Udp, '[ff02::1]:9', { multicastInterface: '127.0.0.1' }))).toBeInstanceOf(InvalidOptionError);
      await expect(node.handler.network().listen(Udp, '239.255.0.1:0', { multicastInterface: 'lo' })).rejects.toBeInstanceOf(InvalidOptionError);
    },
    T,
  );
});

describe('LC-08 listen errors', () => {
  it(
    'address in use, an address not local, an unresolvable name: ListenError, and the node still listens',
    async () => {
      const node = testNode();
      const net = node.handler.network();
      const taken = await net.listen(Udp, '127.0.0.1:0');
      await expect(net.listen(Udp, taken.addr)).rejects.toBeInstanceOf(ListenError);
      const notLocal = await net.listen(Udp, '203.0.113.1:0').catch((e: unknown) => e);
      expect(notLocal).toBeInstanceOf(ListenError);
      expect(((notLocal as Error).cause as NodeJS.ErrnoException).code).toBe('EADDRNOTAVAIL');
      const nowhere: LookupFunction = (host, _options, callback) =>
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), '', 4);
      await expect(net.listen(Udp, 'nowhere.invalid:0', { lookup: nowhere })).rejects.toBeInstanceOf(ListenError);
      await expect(net.listen(Udp, '127.0.0.1:0')).resolves.toBeDefined();
    },
    T,
  );
});

describe('LC-09 invalid addresses and misuse never crash', () => {
  it(
    'connect to localhost:P resolves (through /etc/hosts) and works; so does a listener sending to localhost:P',
    async () => {
      const server = testNode(echo);
      const { id, addr } = await server.handler.network().listen(Udp, 'localhost:0');
      const port = portOf(addr);
      const client = testNode();
      const ep = await client.handler.network().connectAndWait(Udp, `localhost:${port}`);
      expect(ep.addr).toBe(`localhost:${port}`);
      client.handler.network().send(ep, Buffer.from('hello'));
      await client.waitFor((e) => e.type === 'message' && e.endpoint === ep);
      const back = await client.handler.network().listen(Udp, '127.0.0.1:0');
      const status = server.handler.network().send(Endpoint.fromListener(id, `localhost:${portOf(back.addr)}`), Buffer.from('by name'));
      expect(status).toBe(SendStatus.Sent);
      await client.waitFor((e) => e.type === 'message' && e.endpoint.resourceId === back.id);
    },
    T,
  );

  it(
    'the lookup option resolves names for connect, listen and sends from a listener',
    async () => {
      const asked: string[] = [];
      const fake: LookupFunction = (host, options, callback) => {
        asked.push(`${host}/${(options as { family?: number }).family ?? 0}`);
        if (host === 'peer.test') callback(null, '127.0.0.1', 4);
        else callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), '', 4);
      };
      const server = testNode(echo);
      const { id, addr } = await server.handler.network().listen(Udp, 'peer.test:0', { lookup: fake });
      expect(addr).toMatch(/^127\.0\.0\.1:/);
      const client = testNode();
      const ep = await client.handler.network().connectAndWait(Udp, `peer.test:${portOf(addr)}`, { lookup: fake });
      client.handler.network().send(ep, Buffer.from('by a fake name'));
      await client.waitFor((e) => e.type === 'message' && e.endpoint === ep);
      const back = await client.handler.network().listen(Udp, '127.0.0.1:0');
      expect(server.handler.network().send(Endpoint.fromListener(id, `peer.test:${portOf(back.addr)}`), Buffer.from('x'))).toBe(SendStatus.Sent);
      await client.waitFor((e) => e.type === 'message' && e.endpoint.resourceId === back.id);
      expect(asked).toEqual(['peer.test/0', 'peer.test/0', 'peer.test/4']);
    },
    T,
  );

  it(
    'an unresolvable name gives connected with ok: false (ConnectError), through an injected resolver',
    async () => {
      const client = testNode();
      const nowhere: LookupFunction = (host, _options, callback) =>
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), '', 4);
      const ep = client.handler.network().connect(Udp, 'nowhere.invalid:9', { lookup: nowhere });
      const event = await client.waitFor((e) => e.type === 'connected');
      expect(event).toMatchObject({ endpoint: ep, ok: false });
      expect(event.type === 'connected' && event.error).toBeInstanceOf(ConnectError);
    },
    T,
  );

  it.each([
    ['host without port', 'localhost'],
    ['port not a number', '127.0.0.1:abc'],
    ['port 70000', '127.0.0.1:70000'],
    ['a ws URL', 'ws://127.0.0.1:1'],
    ['not a url', 'not a url'],
    ['unbracketed IPv6', '::1:80'],
    ['undefined', undefined],
  ])('connect with %s throws InvalidAddressError', (_name, addr) => {
    const [handler] = split();
    expect(thrown(() => handler.network().connect(Udp, addr as never))).toBeInstanceOf(InvalidAddressError);
    expect(handler.isRunning()).toBe(true);
    handler.stop();
  });

  it(
    'send with bad data throws InvalidArgumentError; an empty datagram is a message',
    async () => {
      const server = testNode();
      const { id, addr } = await server.handler.network().listen(Udp, '127.0.0.1:0');
      const client = testNode();
      const ep = await client.handler.network().connectAndWait(Udp, addr);
      for (const data of ['text', 42, undefined, new ArrayBuffer(2)]) {
        expect(thrown(() => client.handler.network().send(ep, data as never))).toBeInstanceOf(InvalidArgumentError);
        expect(thrown(() => server.handler.network().send(Endpoint.fromListener(id, '127.0.0.1:9'), data as never))).toBeInstanceOf(InvalidArgumentError);
      }
      expect(client.handler.network().send(ep, new Uint8Array(0))).toBe(SendStatus.Sent);
      const got = await server.waitFor((e) => e.type === 'message');
      expect(got.type === 'message' && got.data.byteLength).toBe(0);
    },
    T,
  );
});
