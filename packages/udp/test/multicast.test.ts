// Multicast and broadcast on loopback only: docs/reliability.md UDP-04 (the interface pinned to
// 127.0.0.1; /proc/net/igmp shows where the group is joined), two nodes finding each other by
// multicast, and broadcasts to 127.255.255.255.
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectError, Endpoint, SendStatus, type NodeEvent, type NodeHandler } from '@message-io/core';
import { Udp, type UdpConnectOptions } from '@message-io/udp';
import { messages, portOf, sleep, stopNodes, testNode, until } from './support.js';

const T = 15_000;
afterEach(stopNodes);

const LOOPBACK = { multicastInterface: '127.0.0.1' } as const;
const SENDER: UdpConnectOptions = { sourceAddress: '127.0.0.1:0', multicastInterface: '127.0.0.1', multicastTtl: 1, multicastLoopback: true };
/** A group of 239.255.0.0/16 (administratively scoped) per test process, so parallel runs don't meet. */
const group = (salt: number): string => `239.255.${(process.pid >> 8) & 255}.${(process.pid + salt) & 255}`;
const text = (data: Uint8Array): string => Buffer.from(data).toString();

let saidNoIgmp = false;

/**
 * The interfaces on which `group` is joined, from /proc/net/igmp. Undefined where that file does not
 * exist (off Linux): the membership checks are then left out, and a line says so once.
 */
function joinedOn(groupAddr: string): string[] | undefined {
  if (!existsSync('/proc/net/igmp')) {
    if (!saidNoIgmp) console.warn('skipped: the group-membership checks of UDP-04: they read /proc/net/igmp, which this system does not have');
    saidNoIgmp = true;
    return undefined;
  }
  const hex = groupAddr
    .split('.')
    .map((n) => Number(n).toString(16).padStart(2, '0'))
    .reverse()
    .join('')
    .toUpperCase();
  const found: string[] = [];
  let device = '';
  for (const line of readFileSync('/proc/net/igmp', 'utf8').split('\n')) {
    const header = /^\d+\s+(\S+)\s*:/.exec(line);
    if (header) device = header[1]!;
    else if (line.trim().startsWith(hex)) found.push(device);
  }
  return found;
}

describe('UDP-04 multicast on loopback, interface pinned', () => {
  it(
    'two listeners receive a datagram; after remove() only the other one does, and the group is left',
    async () => {
      const g = group(1);
      const a = testNode();
      const b = testNode();
      const la = await a.handler.network().listen(Udp, `${g}:0`, LOOPBACK);
      expect(la.addr).toMatch(new RegExp(`^${g.replaceAll('.', '\\.')}:\\d+$`));
      const lb = await b.handler.network().listen(Udp, la.addr, LOOPBACK);
      expect(lb.addr).toBe(la.addr);
      const interfaces = joinedOn(g);
      if (interfaces !== undefined) expect(interfaces).toEqual(['lo']);

      const sender = testNode();
      const ep = await sender.handler.network().connectAndWait(Udp, la.addr, SENDER);
      expect(sender.handler.network().send(ep, Buffer.from('one'))).toBe(SendStatus.Sent);
      await a.waitFor((e) => e.type === 'message');
      await b.waitFor((e) => e.type === 'message');

      expect(a.handler.network().remove(la.id)).toBe(true);
      if (interfaces !== undefined) await until(() => joinedOn(g)!.length === 1, { timeout: 2000, what: 'one membership left' });
      expect(sender.handler.network().send(ep, Buffer.from('two'))).toBe(SendStatus.Sent);
      await b.waitCount((e) => e.type === 'message', 2);
      await sleep(100);
      expect(messages(a).map(text)).toEqual(['one']);
      expect(messages(b).map(text)).toEqual(['one', 'two']);
      const from = b.events.find((e) => e.type === 'message');
      expect(from?.type === 'message' && from.endpoint.addr).toMatch(/^127\.0\.0\.1:\d+$/);

      expect(b.handler.network().remove(lb.id)).toBe(true);
      if (interfaces !== undefined) await until(() => joinedOn(g)!.length === 0, { timeout: 2000, what: 'the group to be left' });
    },
    T,
  );

  it(
    'a listener sends to the group with Endpoint.fromListener; the group listener answers it the same way',
    async () => {
      const g = group(2);
      const member = testNode((event, handler) => {
        if (event.type === 'message') handler.network().send(event.endpoint, Buffer.from(`re: ${text(event.data)}`));
      });
      const { addr } = await member.handler.network().listen(Udp, `${g}:0`, LOOPBACK);
      const peer = testNode();
      const own = await peer.handler.network().listen(Udp, '127.0.0.1:0', { multicastInterface: '127.0.0.1', multicastTtl: 1 });
      const toGroup = Endpoint.fromListener(own.id, addr);
      expect(peer.handler.network().send(toGroup, Buffer.from('hi'))).toBe(SendStatus.Sent);
      const answer = await peer.waitFor((e) => e.type === 'message');
      expect(answer.type === 'message' && text(answer.data)).toBe('re: hi');
      // The answer comes from the group's port on a unicast address: the member replied from its own socket.
      expect(answer.type === 'message' && answer.endpoint.addr).toBe(`127.0.0.1:${portOf(addr)}`);
      expect(answer.type === 'message' && answer.endpoint.resourceId).toBe(own.id);
    },
    T,
  );
});

type Discovery = { handler: NodeHandler<never>; unicast: string; found: Set<string>; greeted: Set<string> };

describe('discovery', () => {
  it(
    'two nodes find each other by multicast on loopback, then talk over unicast',
    async () => {
      const g = group(3);
      const peers: Discovery[] = [];
      const onEvent = (self: () => Discovery) => (event: NodeEvent<never>, handler: NodeHandler<never>) => {
        if (event.type !== 'message') return;
        const me = self();
        const said = text(event.data);
        if (said.startsWith('here: ')) {
          const other = said.slice(6);
          if (other === me.unicast || me.found.has(other)) return;
          me.found.add(other);
          void handler
            .network()
            .connectAndWait(Udp, other, { sourceAddress: '127.0.0.1:0' })
            .then((ep) => handler.network().send(ep, Buffer.from(`hello from ${me.unicast}`)));
        } else if (said.startsWith('hello from ')) {
          me.greeted.add(said.slice(11));
        }
      };
      let port = 0;
      for (let i = 0; i < 2; i++) {
        let me: Discovery | undefined;
        const node = testNode(onEvent(() => me!));
        const net = node.handler.network();
        const unicast = (await net.listen(Udp, '127.0.0.1:0')).addr;
        const joined = await net.listen(Udp, `${g}:${port}`, LOOPBACK);
        port = portOf(joined.addr);
        me = { handler: node.handler, unicast, found: new Set(), greeted: new Set() };
        peers.push(me);
      }
      const announcers = await Promise.all(peers.map((p) => p.handler.network().connectAndWait(Udp, `${g}:${port}`, SENDER)));
      const deadline = Date.now() + 3000;
      while (peers.some((p) => p.greeted.size === 0) && Date.now() < deadline) {
        peers.forEach((p, i) => p.handler.network().send(announcers[i]!, Buffer.from(`here: ${p.unicast}`)));
        await sleep(50);
      }
      expect([...peers[0]!.found]).toEqual([peers[1]!.unicast]);
      expect([...peers[1]!.found]).toEqual([peers[0]!.unicast]);
      expect([...peers[0]!.greeted]).toEqual([peers[1]!.unicast]);
      expect([...peers[1]!.greeted]).toEqual([peers[0]!.unicast]);
    },
    T,
  );
});

describe('broadcast on loopback (127.255.255.255)', () => {
  it(
    'a connection with broadcast: true reaches a listener bound to the broadcast address',
    async () => {
      const server = testNode();
      const { addr } = await server.handler.network().listen(Udp, '127.255.255.255:0');
      expect(addr).toMatch(/^127\.255\.255\.255:\d+$/);
      const client = testNode();
      const ep = await client.handler.network().connectAndWait(Udp, addr, { broadcast: true, sourceAddress: '127.0.0.1:0' });
      expect(client.handler.network().send(ep, Buffer.from('to all'))).toBe(SendStatus.Sent);
      const got = await server.waitFor((e) => e.type === 'message');
      expect(got.type === 'message' && text(got.data)).toBe('to all');
      expect(got.type === 'message' && got.endpoint.addr).toMatch(/^127\.0\.0\.1:\d+$/);
    },
    T,
  );

  it(
    'without broadcast: true, the system refuses: connect fails (EACCES), a send from a listener is reported lost',
    async () => {
      const server = testNode();
      const { addr } = await server.handler.network().listen(Udp, '127.255.255.255:0');
      const client = testNode();
      const ep = client.handler.network().connect(Udp, addr, { sourceAddress: '127.0.0.1:0' });
      const failed = await client.waitFor((e) => e.type === 'connected');
      expect(failed).toMatchObject({ endpoint: ep, ok: false });
      const error = failed.type === 'connected' ? failed.error : undefined;
      expect(error).toBeInstanceOf(ConnectError);
      expect((error?.cause as NodeJS.ErrnoException | undefined)?.code).toBe('EACCES');

      const errors: string[] = [];
      const quiet = await client.handler.network().listen(Udp, '127.0.0.1:0', { onError: (e) => errors.push((e as NodeJS.ErrnoException).code ?? '') });
      expect(client.handler.network().send(Endpoint.fromListener(quiet.id, addr), Buffer.from('lost'))).toBe(SendStatus.Sent);
      await until(() => errors.length > 0, { timeout: 2000, what: 'the EACCES report' });
      expect(errors).toEqual(['EACCES']);

      const loud = await client.handler.network().listen(Udp, '127.0.0.1:0', { broadcast: true });
      expect(client.handler.network().send(Endpoint.fromListener(loud.id, addr), Buffer.from('heard'))).toBe(SendStatus.Sent);
      await server.waitFor((e) => e.type === 'message');
      await sleep(50);
      expect(messages(server).map(text)).toEqual(['heard']);
    },
    T,
  );
});
