// Groups (`handler.network().group()`): one send to many endpoints, through the adapter contract,
// on every transport. Members are what a server knows of its peers: the endpoint of each peer's
// first message (a connection, or on a datagram transport a listener's peer).
import { expect } from 'vitest';
import { SendStatus, split, type Endpoint, type GroupSendReport, type NodeEvent } from '@message-io/core';
import { awaitSeeing, describeEvents, type Harness } from '../harness.js';
import { bytesOf, joinBytes, messagesOf, sameBytes, sleep, type TestNode } from '../support.js';

const KiB = 1024;

/** The suite's options with `extra` on top. */
function withOptions(options: unknown, extra: object): never {
  return { ...(options as object | undefined), ...extra } as never;
}

/** A message: a tag byte (`g` group, `d` direct), its number in 4 bytes, then bytes that follow from both. */
function tagged(tag: 'g' | 'd', seq: number, size: number): Uint8Array {
  const message = new Uint8Array(size);
  message[0] = tag.charCodeAt(0);
  new DataView(message.buffer).setUint32(1, seq);
  for (let at = 5; at < size; at++) message[at] = (seq * 13 + at + message[0]) & 0xff;
  return message;
}

/** Each client says hello (its index in one byte); resolves with the server's endpoint of each client, in client order. */
async function peersOf(h: Harness, server: TestNode, clients: { node: TestNode; endpoint: Endpoint }[]): Promise<Endpoint[]> {
  clients.forEach((client, i) => h.sendOk(client.node.handler, client.endpoint, Uint8Array.of(100 + i)));
  const hellos = await server.waitCount((e) => e.type === 'message', clients.length, h.settings.wait);
  const peers: Endpoint[] = [];
  for (const hello of hellos) if (hello.type === 'message') peers[hello.data[0]! - 100] = hello.endpoint;
  return peers;
}

/** A listening server and `count` clients connected to it, with the server's endpoint of each. */
async function serverAndClients(
  h: Harness,
  count: number,
): Promise<{ server: TestNode; clients: { node: TestNode; endpoint: Endpoint }[]; peers: Endpoint[] }> {
  const server = h.node(() => undefined);
  const { addr } = await h.listen(server.handler);
  const clients: { node: TestNode; endpoint: Endpoint }[] = [];
  for (let i = 0; i < count; i++) {
    const node = h.node();
    clients.push({ node, endpoint: await h.connectAndWait(node.handler, addr) });
  }
  return { server, clients, peers: await peersOf(h, server, clients) };
}

/** What `client` received after its hello went out: its messages (or, on a stream, its bytes). */
function receivedBy(client: TestNode): Uint8Array[] {
  return messagesOf(client.events);
}

/**
 * Three members; the server sends N group messages, and after each one a direct message to the
 * first member. Every member gets every group message, whole and in order, and the first member
 * gets each direct message after the group message sent before it. Each send's report counts 3.
 */
async function reachesEveryMember(h: Harness): Promise<void> {
  const { transport, wait } = h.settings;
  const count = transport.connectionOriented ? 200 : 30;
  const size = 64;
  const { server, clients, peers } = await serverAndClients(h, 3);
  const net = server.handler.network();
  const group = net.group();
  for (const peer of peers) expect(group.add(peer), 'add a peer of this node').toBe(true);
  expect(group.size).toBe(3);
  expect(group.add(peers[0]!), 'adding a member again').toBe(true);
  expect(group.size).toBe(3);
  const reports: Promise<GroupSendReport>[] = [];
  const buffer = new Uint8Array(size);
  for (let i = 0; i < count; i++) {
    buffer.set(tagged('g', i, size));
    reports.push(group.send(buffer));
    // The group took the bytes when called: changing the buffer changes nothing.
    buffer.fill(0xee);
    h.sendOk(server.handler, peers[0]!, tagged('d', i, size));
    // A datagram transport drops what overflows the receive buffer: let the receivers read.
    if (!transport.connectionOriented) await sleep(2);
    else if (i % 50 === 49) await sleep(1);
  }
  const done = await Promise.all(reports);
  for (const report of done) {
    expect({ sent: report.sent, backpressure: report.backpressure.length, failed: report.failed }).toEqual({ sent: 3, backpressure: 0, failed: [] });
  }
  const groupOnly = Array.from({ length: count }, (_, i) => tagged('g', i, size));
  const withDirect = groupOnly.flatMap((message, i) => [message, tagged('d', i, size)]);
  const wants = [withDirect, groupOnly, groupOnly];
  for (let c = 0; c < clients.length; c++) {
    const want = joinBytes(wants[c]!);
    const client = clients[c]!.node;
    await awaitSeeing(
      () => bytesOf(client.events).byteLength >= want.byteLength,
      `client ${c}: ${wants[c]!.length} messages (${want.byteLength} bytes)`,
      wait,
      () => `${bytesOf(client.events).byteLength} bytes: ${describeEvents(client.events)}`,
    );
    if (transport.packetBased) expect(receivedBy(client), `client ${c}: the messages, in order`).toEqual(wants[c]);
    else expect(bytesOf(client.events), `client ${c}: the stream`).toEqual(want);
  }
}

/**
 * Members leave by themselves: a connection whose peer closes it (`disconnected`) and one the
 * server removes leave at once; on a transport without connections, removing the listener takes
 * its peers out. A send afterwards reaches only who is left; an ended endpoint cannot join again.
 */
async function membersLeave(h: Harness): Promise<void> {
  const { transport, wait } = h.settings;
  const { server, clients, peers } = await serverAndClients(h, 3);
  const net = server.handler.network();
  const group = net.group();
  const other = net.group();
  for (const peer of peers) group.add(peer);
  other.add(peers[1]!);
  if (transport.connectionOriented) {
    // The peer closes: the server sees `disconnected`, and the member is gone from both groups.
    clients[1]!.node.handler.network().remove(clients[1]!.endpoint.resourceId);
    await server.waitFor((e) => e.type === 'disconnected' && e.endpoint === peers[1], wait);
    expect(group.has(peers[1]!), 'a member whose connection ended').toBe(false);
    expect(other.size, 'the other group of that member').toBe(0);
    // The server removes one: gone at once.
    net.remove(peers[2]!.resourceId);
    expect(group.has(peers[2]!), 'a member removed').toBe(false);
    expect([...group]).toEqual([peers[0]]);
    expect(group.add(peers[2]!), 'an ended endpoint joins again').toBe(false);
    const report = await group.send(tagged('g', 1, 16));
    expect({ sent: report.sent, failed: report.failed }).toEqual({ sent: 1, failed: [] });
    await awaitSeeing(
      () => messagesOf(clients[0]!.node.events).length > 0,
      'the group message at the member left',
      wait,
      () => describeEvents(clients[0]!.node.events),
    );
  } else {
    // The peers reach the server through its listener: removing it takes them all out.
    const listenerId = peers[0]!.resourceId;
    net.remove(listenerId);
    expect(group.size, 'members through a removed listener').toBe(0);
    expect(other.size).toBe(0);
    expect(group.add(peers[0]!), 'a peer of a removed listener joins').toBe(false);
    const report = await group.send(tagged('g', 1, 16));
    expect(report).toEqual({ sent: 0, backpressure: [], failed: [] });
  }
  group.clear();
  expect(group.size).toBe(0);
}

/**
 * A member whose peer does not read: group sends to it answer Backpressure (reported), while the
 * other member gets every message the reports counted as sent, whole and in order; once the peer
 * reads again, the stalled member gets `writable`.
 */
async function reportsBackpressure(h: Harness): Promise<void> {
  const { transport, connectOptions, wait } = h.settings;
  const size = Math.min(16 * KiB, h.settings.maxMessageSize);
  // The stalled peer: a node nobody takes events from, so it stops reading past 256 KiB.
  const [stalled, stalledListener] = split({ maxStoredBytes: 256 * KiB });
  try {
    const { addr: stalledAddr } = await h.listen(stalled);
    const reader = h.node();
    const { addr: readerAddr } = await h.listen(reader.handler);
    const sender = h.node();
    const net = sender.handler.network();
    const toStalled = await net.connectAndWait(transport, stalledAddr, withOptions(connectOptions, { maxBufferedBytes: 64 * KiB }));
    const toReader = await net.connectAndWait(transport, readerAddr, withOptions(connectOptions, { maxBufferedBytes: 64 * KiB }));
    const group = net.group();
    group.add(toStalled);
    group.add(toReader);
    const toReaderSent: Uint8Array[] = [];
    const writableSince = (mark: number): boolean => sender.events.slice(mark).some((e) => e.type === 'writable' && e.endpoint === toStalled);
    let refused: GroupSendReport | undefined;
    let stalledNow = false;
    const deadline = Date.now() + wait;
    // Send until a Backpressure for the stalled member is not followed by writable: the system's
    // buffers between it and its peer are full too.
    for (let i = 0; !stalledNow && Date.now() < deadline && i < 8192; i++) {
      const message = tagged('g', i, size);
      const report = await group.send(message);
      expect(report.failed, 'members that failed').toEqual([]);
      if (!report.backpressure.includes(toReader)) toReaderSent.push(message);
      if (report.backpressure.includes(toStalled)) {
        refused = report;
        const mark = sender.events.length;
        const until300 = Date.now() + 300;
        while (!writableSince(mark) && Date.now() < until300) await sleep(5);
        stalledNow = !writableSince(mark);
      } else if (i % 8 === 7) await sleep(1); // let the reader read
    }
    expect(refused, 'a group send answered Backpressure for the member whose peer does not read').toBeDefined();
    expect(stalledNow, 'the member whose peer does not read was held back').toBe(true);
    expect(refused!.sent + refused!.backpressure.length).toBe(2);
    const total = toReaderSent.length * size;
    await awaitSeeing(
      () => bytesOf(reader.events).byteLength >= total,
      `the ${toReaderSent.length} messages the reports counted as sent to the member that reads`,
      wait,
      () => `${bytesOf(reader.events).byteLength} bytes`,
    );
    // Compared as bytes: a deep equality of megabytes is slow.
    const whole = transport.packetBased
      ? messagesOf(reader.events).length === toReaderSent.length && messagesOf(reader.events).every((m, i) => sameBytes(m, toReaderSent[i]!))
      : sameBytes(bytesOf(reader.events), joinBytes(toReaderSent));
    expect(whole, 'the member that reads got what the reports counted, whole and in order').toBe(true);
    const mark = sender.events.length;
    void stalledListener.forEach((_event: NodeEvent<never>) => undefined);
    await awaitSeeing(
      () => sender.events.slice(mark).some((e) => e.type === 'writable' && e.endpoint === toStalled),
      'writable for the member that met Backpressure, once its peer reads',
      wait,
      () => describeEvents(sender.events.slice(mark)),
    );
    expect(net.send(toStalled, tagged('d', 0, 16)), 'a send after writable').toBe(SendStatus.Sent);
  } finally {
    stalled.stop();
  }
}

/** Registers the group cases. */
export function registerGroupCases(h: Harness): void {
  const connections: true | string = h.settings.transport.connectionOriented || 'not connection-oriented';
  h.case('a group send reaches every member, in order, before later direct sends', () => reachesEveryMember(h));
  h.case('group members leave when they end', () => membersLeave(h));
  h.case('a group send reports backpressure', () => reportsBackpressure(h), connections);
}
