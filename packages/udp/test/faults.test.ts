// Faults: docs/reliability.md UDP-03 (ICMP port unreachable on a connected socket) and isolation:
// an error on one socket never reaches another, never closes a listener, never goes unhandled.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Endpoint, SendStatus } from '@message-io/core';
import { Udp } from '@message-io/udp';
import { echo, messages, portOf, sleep, stopNodes, testNode } from './support.js';

const T = 15_000;
const raw: Socket[] = [];
afterEach(() => {
  stopNodes();
  for (const socket of raw.splice(0)) socket.close();
});

/** A port on 127.0.0.1 that nothing listens on (just released). */
async function closedPort(host = '127.0.0.1'): Promise<number> {
  const probe = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((r) => probe.bind(0, host, r));
  const port = probe.address().port;
  await new Promise<void>((r) => probe.close(r));
  return port;
}

const code = (e: Error): string => (e as NodeJS.ErrnoException).code ?? e.message;

describe('UDP-03 ICMP port unreachable on a connected socket', () => {
  it.each(['127.0.0.1', '::1'])(
    '%s: the send after a refusal answers ResourceNotFound (nothing sent), the next tries again; onError hears of it; no disconnected; a listener ends it',
    async (host) => {
      const port = await closedPort(host);
      const peer = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      const client = testNode();
      const errors: Error[] = [];
      const ep = client.handler.network().connect(Udp, peer, { onError: (e) => errors.push(e) });
      const connected = await client.waitFor((e) => e.type === 'connected');
      expect(connected).toMatchObject({ endpoint: ep, ok: true });
      const net = client.handler.network();
      const statuses: SendStatus[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(net.send(ep, Uint8Array.of(i)));
        await sleep(50);
      }
      // Sent; refused (the ICMP of the first came back); Sent again; refused again.
      expect(statuses).toEqual([SendStatus.Sent, SendStatus.ResourceNotFound, SendStatus.Sent, SendStatus.ResourceNotFound]);
      expect(errors.map(code)).toContain('ECONNREFUSED');
      expect(client.events.map((e) => e.type)).toEqual(['connected']);
      expect(net.isReady(ep.resourceId)).toBe(true);

      const server = testNode();
      await server.handler.network().listen(Udp, peer);
      // The refusal of the last datagram may still be pending: one send answers it.
      let status = net.send(ep, Uint8Array.of(7));
      if (status === SendStatus.ResourceNotFound) status = net.send(ep, Uint8Array.of(7));
      expect(status).toBe(SendStatus.Sent);
      const got = await server.waitFor((e) => e.type === 'message');
      expect(got.type === 'message' && [...got.data]).toEqual([7]);
    },
    T,
  );

  it(
    'without onError, the refusals still answer the next send; nothing is thrown, nothing unhandled',
    async () => {
      const port = await closedPort();
      const client = testNode();
      const ep = await client.handler.network().connectAndWait(Udp, `127.0.0.1:${port}`);
      const statuses: SendStatus[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(client.handler.network().send(ep, Uint8Array.of(i)));
        await sleep(30);
      }
      expect(statuses).toEqual([SendStatus.Sent, SendStatus.ResourceNotFound, SendStatus.Sent, SendStatus.ResourceNotFound]);
      expect(client.handler.isRunning()).toBe(true);
      expect(client.events.map((e) => e.type)).toEqual(['connected']);
    },
    T,
  );
});

describe('isolation', () => {
  it(
    'refusals on one connection reach neither another connection nor a listener of the same node',
    async () => {
      const echoServer = testNode(echo);
      const { addr } = await echoServer.handler.network().listen(Udp, '127.0.0.1:0');
      const node = testNode();
      const net = node.handler.network();
      const errors = { bad: [] as Error[], good: [] as Error[], listener: [] as Error[] };
      const own = await net.listen(Udp, '127.0.0.1:0', { onError: (e) => errors.listener.push(e) });
      const bad = await net.connectAndWait(Udp, `127.0.0.1:${await closedPort()}`, { onError: (e) => errors.bad.push(e) });
      const good = await net.connectAndWait(Udp, addr, { onError: (e) => errors.good.push(e) });
      for (let i = 0; i < 3; i++) {
        net.send(bad, Uint8Array.of(i));
        await sleep(30);
      }
      expect(net.send(good, Buffer.from('still fine'))).toBe(SendStatus.Sent);
      await node.waitFor((e) => e.type === 'message' && e.endpoint === good);

      const sender = createSocket('udp4');
      raw.push(sender);
      sender.send('to the listener', portOf(own.addr), '127.0.0.1');
      await node.waitFor((e) => e.type === 'message' && e.endpoint.resourceId === own.id);
      expect(errors.bad.map(code)).toContain('ECONNREFUSED');
      expect(errors.good).toEqual([]);
      expect(errors.listener).toEqual([]);
      expect(node.events.filter((e) => e.type === 'disconnected')).toEqual([]);
    },
    T,
  );

  it(
    'a listener that sends to a closed port keeps receiving',
    async () => {
      const server = testNode();
      const errors: Error[] = [];
      const { id, addr } = await server.handler.network().listen(Udp, '127.0.0.1:0', { onError: (e) => errors.push(e) });
      const nowhere = Endpoint.fromListener(id, `127.0.0.1:${await closedPort()}`);
      for (let i = 0; i < 3; i++) {
        expect(server.handler.network().send(nowhere, Uint8Array.of(i))).toBe(SendStatus.Sent);
        await sleep(30);
      }
      const client = testNode();
      const ep = await client.handler.network().connectAndWait(Udp, addr);
      client.handler.network().send(ep, Buffer.from('hello'));
      await server.waitFor((e) => e.type === 'message');
      expect(Buffer.from(messages(server)[0]!).toString()).toBe('hello');
      expect(server.handler.network().isReady(id)).toBe(true);
      console.log(`errors reported to a listener that sent to a closed port: ${errors.map(code).join(', ') || 'none'}`);
    },
    T,
  );
});
