// The core's diagnostics channels and counters on real sockets: a listener, a connection and its
// accept, a peer that breaks the framing (its disconnect carries the error), connections refused
// by Tcp and FramedTcp (maxConnections, TLS), and the counts of real traffic.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect as rawConnect, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DIAGNOSTICS_CHANNELS, MessageTooLargeError, STORED_EVENT_COST, split } from '@message-io/core';
import { FramedTcp, Tcp } from '@message-io/tcp';
import { skipWithout } from '../../../test/support/peers.js';
import { usePki } from '../../../test/support/pki.js';
import { testNode, until, type TestNode } from './support.js';

const seen: { channel: string; message: Record<string, unknown> }[] = [];
const handlers = Object.values(DIAGNOSTICS_CHANNELS).map((name) => {
  const handler = (message: unknown): void => void seen.push({ channel: name, message: message as Record<string, unknown> });
  subscribe(name, handler);
  return { name, handler };
});
afterAll(() => {
  for (const { name, handler } of handlers) unsubscribe(name, handler);
});
const nodes: TestNode[] = [];
/** Raw clients of the refusal tests, destroyed after each test. */
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const n of nodes.splice(0)) n.stop();
  seen.splice(0);
});
const on = (name: string) => seen.filter((s) => s.channel === name).map((s) => s.message);

describe('diagnostics channels on FramedTcp', () => {
  it('listen, connect, accept, and the disconnect of a peer that announced too large a message', async () => {
    const server = testNode();
    nodes.push(server);
    const { id, addr } = await server.handler.network().listen(FramedTcp, '127.0.0.1:0', { maxMessageSize: 1024 });
    expect(on('message-io:listen')).toEqual([{ listenerId: id, transport: 'FramedTcp', addr }]);
    const client = testNode();
    nodes.push(client);
    const endpoint = await client.handler.network().connectAndWait(FramedTcp, addr);
    expect(on('message-io:connect')).toEqual([{ endpoint, transport: 'FramedTcp' }]);
    await until(() => on('message-io:accept').length === 1, { what: 'the accept' });

    // A raw peer announcing 1 MiB to a listener that takes 1 KiB.
    const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
    const raw = rawConnect({ host, port }, () => raw.write(Buffer.of(0x80, 0x80, 0x40)));
    raw.on('error', () => undefined);
    try {
      await until(() => on('message-io:disconnect').some((m) => m.reason === 'error'), { what: 'the disconnect of the raw peer' });
      const ended = on('message-io:disconnect').find((m) => m.reason === 'error')!;
      expect(ended.error).toBeInstanceOf(MessageTooLargeError);
      expect(on('message-io:accept')).toHaveLength(2);
      expect(ended.endpoint).toBe(on('message-io:accept')[1]!.endpoint);
    } finally {
      raw.destroy();
    }
  });
});

/** A raw TCP client of `addr` (`host:port`), destroyed after the test; resolves once connected, with its local port. */
async function rawClient(addr: string): Promise<number> {
  const socket = rawConnect({ host: addr.slice(0, addr.lastIndexOf(':')), port: Number(addr.slice(addr.lastIndexOf(':') + 1)) });
  socket.on('error', () => undefined);
  sockets.push(socket);
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket.localPort!;
}

describe('refusals and counters on Tcp and FramedTcp', () => {
  it('a connection past maxConnections, closed by Node before it is a socket: refused (limit), with its address', async () => {
    const server = testNode();
    nodes.push(server);
    const { id, addr } = await server.handler.network().listen(FramedTcp, '127.0.0.1:0', { maxConnections: 1 });
    await rawClient(addr);
    await until(() => server.handler.network().stats().connections === 1, { what: 'the first connection' });
    const port = await rawClient(addr);
    await until(() => on('message-io:refuse').length === 1, { what: 'the refusal' });
    expect(on('message-io:refuse')).toEqual([{ listenerId: id, reason: 'limit', addr: `127.0.0.1:${port}`, detail: 'maxConnections (1)' }]);
    expect(server.handler.network().stats()).toMatchObject({ connections: 1, refused: 1, byListener: [{ id, connections: 1, refused: 1 }] });
  });

  it('counts the messages and bytes of real traffic, both ways', async () => {
    const server = testNode((event, handler) => {
      if (event.type === 'message') handler.network().send(event.endpoint, event.data.subarray(0, 1));
    });
    nodes.push(server);
    const { addr } = await server.handler.network().listen(FramedTcp, '127.0.0.1:0');
    const client = testNode();
    nodes.push(client);
    const endpoint = await client.handler.network().connectAndWait(FramedTcp, addr);
    for (let i = 1; i <= 100; i++) client.handler.network().send(endpoint, new Uint8Array(i));
    await until(() => client.events.filter((e) => e.type === 'message').length === 100, { what: 'the 100 answers' });
    const sum = (100 * 101) / 2;
    expect(server.handler.network().stats()).toMatchObject({ messagesIn: 100, bytesIn: sum, messagesOut: 100, bytesOut: 100, connections: 1 });
    expect(client.handler.network().stats()).toMatchObject({ messagesOut: 100, bytesOut: sum, messagesIn: 100, bytesIn: 100, connections: 1 });
  });
});

describe('every disconnect reason, backpressure and the bytes held, on real FramedTcp sockets', () => {
  it('closed, removed, stopped and failed, each published with its endpoint', async () => {
    const server = testNode();
    const client = testNode();
    nodes.push(server, client);
    const { addr, id } = await server.handler.network().listen(FramedTcp, '127.0.0.1:0');
    const removed = await client.handler.network().connectAndWait(FramedTcp, addr);
    await until(() => on('message-io:accept').length === 1, { what: 'the first accept' });
    const serverSide = on('message-io:accept')[0]!.endpoint;
    client.handler.network().remove(removed.resourceId);
    await until(() => on('message-io:disconnect').length === 2, { what: 'both ends of the removed connection' });
    expect(on('message-io:disconnect')).toEqual(
      expect.arrayContaining([
        { endpoint: removed, reason: 'removed' },
        { endpoint: serverSide, reason: 'closed' },
      ]),
    );
    const stopped = await client.handler.network().connectAndWait(FramedTcp, addr);
    server.handler.network().remove(id);
    const failed = client.handler.network().connect(FramedTcp, addr);
    await until(() => on('message-io:disconnect').some((m) => m.endpoint === failed), { what: 'the refused connection' });
    expect(on('message-io:disconnect').find((m) => m.endpoint === failed)).toMatchObject({ reason: 'failed', error: expect.any(Error) });
    client.handler.stop();
    expect(on('message-io:disconnect').find((m) => m.endpoint === stopped)).toEqual({ endpoint: stopped, reason: 'stopped' });
  });

  it('a slow consumer: stored events and their bytes, sends answered Backpressure (full, counted), the bytes held, then writable', async () => {
    const [receiver, receiverEvents] = split({ maxStoredBytes: 256 * 1024 });
    try {
      const { addr } = await receiver.network().listen(FramedTcp, '127.0.0.1:0');
      const sender = testNode();
      nodes.push(sender);
      const net = sender.handler.network();
      const endpoint = await net.connectAndWait(FramedTcp, addr, { maxBufferedBytes: 64 * 1024 });
      const message = new Uint8Array(16 * 1024);
      // Nobody consumes the receiver's events: it stores them up to 256 KiB, then stops reading;
      // the kernel's buffers fill, then the sender's own.
      let sent = 0;
      let refused = 0;
      /** Sends until one is refused or `most` are sent; true when one was refused. */
      const sendTurn = (most: number): boolean => {
        for (let i = 0; i < most; i++) {
          if (net.send(endpoint, message) !== 'Sent') return ++refused > 0;
          sent++;
        }
        return false;
      };
      const turn = (): Promise<unknown> => new Promise((resolve) => setImmediate(resolve));
      const deadline = Date.now() + 10_000;
      while (receiver.network().stats().storedBytes <= 256 * 1024 && Date.now() < deadline) {
        sendTurn(16);
        await turn();
      }
      // The receiver stopped reading: send until one is refused, then two more in that same turn
      // (nothing can drain within it).
      const before = refused;
      for (let i = 0; i < 10_000 && !sendTurn(1); i++) await turn();
      for (let i = 0; i < 2; i++) if (net.send(endpoint, message) !== 'Sent') refused++;
      expect(refused - before).toBe(3);
      const pressure = on('message-io:backpressure');
      expect(pressure.at(-1)).toEqual({ endpoint, state: 'full', bufferedBytes: expect.any(Number) });
      // Each 'full' is followed by 'writable' once it drained, but the last.
      expect(pressure.filter((m) => m.state === 'full').length - pressure.filter((m) => m.state === 'writable').length).toBe(1);
      const held = net.stats();
      expect(held).toMatchObject({ backpressure: refused, messagesOut: sent, bytesOut: sent * message.byteLength });
      expect(held.bufferedBytes).toBeGreaterThanOrEqual(64 * 1024);
      expect(held.bufferedBytes).toBe(net.bufferedBytes(endpoint));

      const stored = receiver.network().stats();
      // The accepted event, then whole messages of 16 KiB (FramedTcp: one event each).
      expect(stored.storedEvents).toBeGreaterThan(1);
      expect(stored.storedBytes).toBe((stored.storedEvents - 1) * message.byteLength + stored.storedEvents * STORED_EVENT_COST);
      expect(stored.storedBytes).toBeGreaterThan(256 * 1024);

      let received = 0;
      void receiverEvents.forEach((event) => {
        if (event.type === 'message') received++;
      });
      const count = pressure.length;
      await until(() => on('message-io:backpressure').length === count + 1, { timeout: 10_000, what: 'writable' });
      expect(on('message-io:backpressure')[count]).toMatchObject({ endpoint, state: 'writable' });
      await until(() => received === sent, { timeout: 10_000, what: 'every message sent' });
      expect(receiver.network().stats()).toMatchObject({ storedEvents: 0, storedBytes: 0, messagesIn: sent, bytesIn: sent * message.byteLength });
    } finally {
      receiver.stop();
    }
  });
});

describe.skipIf(skipWithout('openssl'))('refusals of Tcp over TLS', () => {
  const pki = usePki();
  it('TLS: a failed handshake is refused (tls, with the error), a silent client past handshakeTimeout too (timeout)', async () => {
    const server = testNode();
    nodes.push(server);
    const { id, addr } = await server.handler
      .network()
      .listen(Tcp, '127.0.0.1:0', { tls: { cert: pki.server.cert, key: pki.server.key, handshakeTimeout: 300 } });
    // Not TLS at all: the server's handshake fails on the first bytes.
    const garbage = await rawClient(addr);
    sockets.at(-1)!.write('GET / HTTP/1.1\r\n\r\n');
    await until(() => on('message-io:refuse').length === 1, { what: 'the failed handshake' });
    expect(on('message-io:refuse')[0]).toMatchObject({ listenerId: id, reason: 'tls', addr: `127.0.0.1:${garbage}`, error: expect.any(Error) });
    // Says nothing.
    const silent = await rawClient(addr);
    await until(() => on('message-io:refuse').length === 2, { timeout: 3000, what: 'the handshake timeout' });
    expect(on('message-io:refuse')[1]).toMatchObject({ listenerId: id, reason: 'timeout', addr: `127.0.0.1:${silent}` });
    expect(server.handler.network().stats()).toMatchObject({ refused: 2, connections: 0 });
    expect(server.events.filter((e) => e.type === 'accepted')).toEqual([]);
  });
});
