// Groups on the testkit's in-memory transport: what the core does whatever the transport (slices
// of the event loop, order against direct sends, members that end while owed a message, stop,
// bad input). The conformance suite checks groups on every real transport.
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  InvalidOptionError,
  NodeStoppedError,
  SendStatus,
  split,
  type Endpoint,
  type GroupSendReport,
  type NodeHandler,
} from '@message-io/core';
import { messagesOf, text, until, utf8, type TestNode } from '@message-io/adapter-testkit';
import { Memory, recorder } from './support.js';

/** A server node made with `options`, and `count` clients connected to it, with the server's endpoint of each. */
async function members(count: number, options?: Parameters<typeof split>[0]): Promise<{ server: NodeHandler<never>; clients: TestNode[]; peers: Endpoint[] }> {
  const peers: Endpoint[] = [];
  const [server, listener] = split(options);
  void listener.forEach((event) => {
    if (event.type === 'accepted') peers.push(event.endpoint);
  });
  const { addr } = await server.network().listen(Memory, '127.0.0.1:0');
  const clients: TestNode[] = [];
  for (let i = 0; i < count; i++) {
    const client = recorder();
    await client.handler.network().connectAndWait(Memory, addr);
    clients.push(client);
  }
  await until(() => peers.length === count, { what: `${count} accepted connections` });
  return { server, clients, peers };
}

/** The text of each message `client` received. */
const textsOf = (client: TestNode): string[] => messagesOf(client.events).map(text);

/** A group of `peers` sends 'all': its report, and whether a turn of the event loop (an immediate set after the call) came before the report. */
async function sendToAll(server: NodeHandler<never>, peers: Endpoint[]): Promise<{ report: GroupSendReport; turned: boolean }> {
  const group = server.network().group();
  for (const peer of peers) group.add(peer);
  let turned = false;
  const report = group.send(utf8('all'));
  setImmediate(() => {
    turned = true;
  });
  return { report: await report, turned };
}

describe('a group send in slices', () => {
  it('members past the slice get the message on later turns: other work runs meanwhile, and every member gets it', async () => {
    // groupSliceMs 0: 32 members per turn.
    const { server, clients, peers } = await members(100, { groupSliceMs: 0 });
    try {
      const { report, turned } = await sendToAll(server, peers);
      expect(report).toEqual({ sent: 100, backpressure: [], failed: [] });
      expect(turned, 'a turn of the event loop came before the last member was sent to').toBe(true);
      await until(() => clients.every((c) => textsOf(c).length === 1), { what: 'the message at every client' });
    } finally {
      server.stop();
    }
  });

  it('a group that fits in one slice is sent to at once', async () => {
    const { server, peers } = await members(20, { groupSliceMs: 0 });
    try {
      const { report, turned } = await sendToAll(server, peers);
      expect(report.sent).toBe(20);
      expect(turned, 'no turn was needed').toBe(false);
    } finally {
      server.stop();
    }
  });

  it('a direct send to a member not reached yet comes after the group message; two group sends keep their order', async () => {
    const { server, clients, peers } = await members(100, { groupSliceMs: 0 });
    try {
      const net = server.network();
      const group = net.group();
      for (const peer of peers) group.add(peer);
      const first = group.send(utf8('g1'));
      const second = group.send(utf8('g2'));
      // The last member is still owed both: it gets them before this one.
      expect(net.send(peers[99]!, utf8('direct'))).toBe(SendStatus.Sent);
      expect((await first).sent).toBe(100);
      expect((await second).sent).toBe(100);
      await until(() => clients.every((c) => textsOf(c).length >= 2), { what: 'both group messages everywhere' });
      await until(() => textsOf(clients[99]!).length === 3, { what: 'the direct message' });
      expect(textsOf(clients[99]!)).toEqual(['g1', 'g2', 'direct']);
      for (const client of clients.slice(0, 99)) expect(textsOf(client)).toEqual(['g1', 'g2']);
    } finally {
      server.stop();
    }
  });

  it('a member removed while owed the message is reported ResourceNotFound and left out; stop() settles what is owed', async () => {
    const { server, peers } = await members(100, { groupSliceMs: 0 });
    const net = server.network();
    const group = net.group();
    for (const peer of peers) group.add(peer);
    const report = group.send(utf8('g'));
    net.remove(peers[80]!.resourceId);
    expect(group.size).toBe(99);
    const done = await report;
    expect(done.sent).toBe(99);
    expect(done.failed).toEqual([{ endpoint: peers[80], status: SendStatus.ResourceNotFound }]);
    // Owed when the node stops: every member answered, the promise settles.
    const last = group.send(utf8('late'));
    server.stop();
    const settled = await last;
    expect(settled.sent + settled.failed.length).toBe(99);
    expect(settled.failed.every((f) => f.status === SendStatus.ResourceNotFound)).toBe(true);
    expect(group.size, 'members of a stopped node').toBe(0);
  });
});

describe('group membership', () => {
  it('an endpoint in several groups leaves each as asked, and all of those it is still in when its connection ends', async () => {
    const { server, clients, peers } = await members(2);
    try {
      const net = server.network();
      const [a, b, c] = [net.group(), net.group(), net.group()];
      for (const group of [a, b, c]) group.add(peers[0]!);
      a.add(peers[1]!);
      expect(b.delete(peers[0]!)).toBe(true);
      expect(b.delete(peers[0]!), 'not a member any more').toBe(false);
      expect(c.delete(peers[0]!)).toBe(true);
      c.add(peers[0]!);
      // The client closes: the server sees it end, and the endpoint leaves a and c (not b, left before).
      clients[0]!.handler.network().remove([...clients[0]!.events].find((e) => e.type === 'connected')!.endpoint.resourceId);
      await until(() => !a.has(peers[0]!), { what: 'the ended connection to leave its groups' });
      expect([a.size, b.size, c.size]).toEqual([1, 0, 0]);
      expect([...a]).toEqual([peers[1]]);
      a.clear();
      expect(a.size).toBe(0);
    } finally {
      server.stop();
    }
  });
});

describe('group input', () => {
  it('refuses what is not an endpoint or bytes, takes no endpoint of another node, and nothing after stop', async () => {
    const [handler] = split();
    const [other] = split();
    try {
      const group = handler.network().group();
      expect(() => group.add({} as Endpoint)).toThrow(InvalidArgumentError);
      expect(() => group.send('text' as unknown as Uint8Array)).toThrow(InvalidArgumentError);
      const { addr } = await other.network().listen(Memory, '127.0.0.1:0');
      const foreign = other.network().connect(Memory, addr);
      expect(group.add(foreign), "another node's endpoint").toBe(false);
      expect(group.size).toBe(0);
      expect(await group.send(utf8('nobody'))).toEqual({ sent: 0, backpressure: [], failed: [] });
      handler.stop();
      expect(() => group.send(utf8('x'))).toThrow(NodeStoppedError);
    } finally {
      handler.stop();
      other.stop();
    }
  });

  it('groupSliceMs is a number of milliseconds >= 0', () => {
    expect(() => split({ groupSliceMs: -1 })).toThrow(InvalidOptionError);
    expect(() => split({ groupSliceMs: Number.NaN })).toThrow(InvalidOptionError);
    expect(() => split({ groupSliceMs: '4' as unknown as number })).toThrow(InvalidOptionError);
    split({ groupSliceMs: 0 })[0].stop();
  });
});
