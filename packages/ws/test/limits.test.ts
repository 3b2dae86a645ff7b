// docs/reliability.md WS-01 (inbound oversize), WS-02 (size boundary) and WS-03 (protocol violations),
// driven by a hand-written raw client, and the fragmentation of big messages into ≤ maxFrameSize frames.
import { afterEach, describe, expect, it } from 'vitest';
import { MessageTooLargeError, ProtocolError, SendStatus, type NodeEvent, type NodeHandler } from '@message-io/core';
import { Ws, type WsListenOptions } from '@message-io/ws';
import { closePayload, frame, rawPeer, upgradeRequest, type RawPeer } from './raw.js';
import { randomBytes, rng, sleep, testNode, until, type TestNode } from './support.js';

const MiB = 1024 * 1024;
const nodes: TestNode[] = [];
const peers: RawPeer[] = [];
function node(onEvent?: (event: NodeEvent<never>, handler: NodeHandler<never>) => void): TestNode {
  const n = testNode(onEvent);
  nodes.push(n);
  return n;
}
afterEach(() => {
  for (const p of peers.splice(0)) p.socket.destroy();
  for (const n of nodes.splice(0)) n.handler.stop();
});

const echo = (event: NodeEvent<never>, handler: NodeHandler<never>): void => {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
};

/** A raw client that completed its upgrade on `port`. */
async function upgraded(port: number, host = '127.0.0.1'): Promise<RawPeer> {
  const peer = rawPeer(host, port, upgradeRequest('/'));
  peers.push(peer);
  await until(() => peer.head !== undefined, { timeout: 3000, what: 'the 101 response' });
  expect(peer.head).toMatch(/^HTTP\/1\.1 101/);
  return peer;
}

async function server(options: WsListenOptions = {}) {
  const n = node(echo);
  const { addr } = await n.handler.network().listen(Ws, '127.0.0.1:0', options);
  return { n, addr, port: Number(addr.split(':')[1]) };
}

describe('WS-01 inbound oversize (maxPayload 1 MiB)', () => {
  const cases: [string, () => Buffer[]][] = [
    ['1 MiB + 1 in one frame', () => [frame(2, Buffer.alloc(MiB + 1))]],
    [
      '1 MiB + 1 in 16 fragments',
      () => Array.from({ length: 16 }, (_, i) => frame(i === 0 ? 2 : 0, Buffer.alloc(i === 0 ? MiB / 16 + 1 : MiB / 16), { fin: i === 15 })),
    ],
    ['a header declaring 2^62 bytes and no payload', () => [frame(2, Buffer.alloc(0), { length: 2n ** 62n })]],
  ];
  it.each(cases)('%s: Close 1009, one disconnected, no message, the other client unaffected', async (_name, frames) => {
    const { n, port } = await server({ maxPayload: MiB });
    const bystander = await upgraded(port);
    const attacker = await upgraded(port);
    await n.waitCount((e) => e.type === 'accepted', 2);
    const before = process.memoryUsage().rss;
    for (const f of frames()) attacker.socket.write(f);
    await until(() => attacker.closeCode() !== undefined, { timeout: 3000, what: 'a Close frame' });
    expect(attacker.closeCode()).toBe(1009);
    await n.waitFor((e) => e.type === 'disconnected', 3000);
    await until(() => attacker.closed, { timeout: 3000, what: 'the attacker to be closed' });
    const disconnected = n.events.filter((e) => e.type === 'disconnected');
    expect(disconnected).toHaveLength(1);
    expect((disconnected[0] as { error?: Error }).error).toBeInstanceOf(MessageTooLargeError);
    expect(n.events.some((e) => e.type === 'message')).toBe(false);
    expect(process.memoryUsage().rss - before).toBeLessThan(8 * MiB + MiB);

    bystander.socket.write(frame(2, Buffer.from('still here')));
    await until(() => bystander.frames.some((f) => f.opcode === 2), { timeout: 3000, what: 'the bystander echo' });
    expect(bystander.frames.find((f) => f.opcode === 2)!.payload.toString()).toBe('still here');
    await sleep(50);
    expect(n.events.filter((e) => e.type === 'disconnected')).toHaveLength(1);
  });
});

describe('WS-02 size boundary between two of our nodes (maxPayload 1 MiB)', () => {
  it('delivers maxPayload - 1 and maxPayload byte-exact; maxPayload + 1 is MaxPacketSizeExceeded and the connection stays up', async () => {
    const { n, addr } = await server({ maxPayload: MiB });
    const client = node();
    const net = client.handler.network();
    const ep = await net.connectAndWait(Ws, addr, { maxPayload: MiB });
    const random = rng(2);
    const below = randomBytes(random, MiB - 1);
    const exact = randomBytes(random, MiB);
    expect(net.send(ep, below)).toBe(SendStatus.Sent);
    expect(net.send(ep, exact)).toBe(SendStatus.Sent);
    expect(net.send(ep, new Uint8Array(MiB + 1))).toBe(SendStatus.MaxPacketSizeExceeded);
    expect(net.send(ep, Buffer.from('after'))).toBe(SendStatus.Sent);
    const echoes = await client.waitCount((e) => e.type === 'message', 3, 10_000);
    const data = echoes.map((e) => (e as { data: Uint8Array }).data);
    expect(Buffer.compare(data[0]!, below)).toBe(0);
    expect(Buffer.compare(data[1]!, exact)).toBe(0);
    expect(Buffer.from(data[2]!).toString()).toBe('after');
    expect(n.events.some((e) => e.type === 'disconnected')).toBe(false);
  });

  it('sends a message bigger than the transport default only if maxPayload allows it', async () => {
    const { addr } = await server();
    const client = node();
    const ep = await client.handler.network().connectAndWait(Ws, addr);
    expect(Ws.maxMessageSize).toBe(64 * MiB);
    expect(client.handler.network().send(ep, new Uint8Array(64 * MiB + 1))).toBe(SendStatus.MaxPacketSizeExceeded);
  });
});

describe('fragmentation: never a frame over maxFrameSize', () => {
  it.each([
    [200_000, 65_536],
    [3000, 1000],
  ])('splits a message of %i bytes into continuation frames of at most maxFrameSize = %i', async (size, maxFrameSize) => {
    const payload = randomBytes(rng(3), size);
    const n = node((event, handler) => {
      if (event.type === 'accepted') handler.network().send(event.endpoint, payload);
    });
    const { addr } = await n.handler.network().listen(Ws, '127.0.0.1:0', { maxFrameSize });
    const peer = await upgraded(Number(addr.split(':')[1]));
    await until(() => peer.frames.some((f) => f.fin), { timeout: 5000, what: 'the last fragment' });
    const count = Math.ceil(size / maxFrameSize);
    expect(peer.frames.map((f) => [f.opcode, f.fin, f.payload.length])).toEqual(
      Array.from({ length: count }, (_, i) => [i === 0 ? 2 : 0, i === count - 1, Math.min(maxFrameSize, size - i * maxFrameSize)]),
    );
    expect(Buffer.compare(Buffer.concat(peer.frames.map((f) => f.payload)), payload)).toBe(0);
  });

  it('sends 20 MiB (over the Rust reader frame limit) as 16 MiB + 4 MiB frames', async () => {
    const size = 20 * MiB;
    const payload = randomBytes(rng(20), size);
    const n = node((event, handler) => {
      if (event.type === 'accepted') expect(handler.network().send(event.endpoint, payload)).toBe(SendStatus.Sent);
    });
    const { addr } = await n.handler.network().listen(Ws, '127.0.0.1:0');
    const peer = await upgraded(Number(addr.split(':')[1]));
    await until(() => peer.frames.some((f) => f.fin), { timeout: 10_000, what: 'the last fragment' });
    expect(peer.frames.map((f) => [f.opcode, f.fin, f.payload.length])).toEqual([
      [2, false, 16 * MiB],
      [0, true, 4 * MiB],
    ]);
    expect(Buffer.compare(Buffer.concat(peer.frames.map((f) => f.payload)), payload)).toBe(0);
  });

  it('a 20 MiB message between two of our nodes arrives as one message', async () => {
    const size = 20 * MiB;
    const { n, addr } = await server();
    const peer = node();
    const ep = await peer.handler.network().connectAndWait(Ws, addr);
    const payload = randomBytes(rng(21), size);
    expect(peer.handler.network().send(ep, payload)).toBe(SendStatus.Sent);
    const got = await n.waitFor((e) => e.type === 'message', 12_000);
    expect(Buffer.compare((got as { data: Uint8Array }).data, payload)).toBe(0);
    expect(n.events.filter((e) => e.type === 'message')).toHaveLength(1);
  });
});

describe('WS-03 protocol violations close with the right code and one disconnected', () => {
  const violations: [string, Buffer, number][] = [
    ['an unmasked client frame', frame(2, Buffer.from('x'), { mask: false }), 1002],
    ['RSV1 without deflate', frame(2, Buffer.from('x'), { rsv: 4 }), 1002],
    ['RSV2', frame(2, Buffer.from('x'), { rsv: 2 }), 1002],
    ['RSV3', frame(2, Buffer.from('x'), { rsv: 1 }), 1002],
    ['reserved opcode 3', frame(3, Buffer.from('x')), 1002],
    ['reserved opcode 0xB', frame(0xb, Buffer.from('x')), 1002],
    ['a ping with a 126-byte payload', frame(9, Buffer.alloc(126)), 1002],
    ['a fragmented ping', frame(9, Buffer.from('x'), { fin: false }), 1002],
    ['a continuation with nothing to continue', frame(0, Buffer.from('x')), 1002],
    ['a new text frame inside a fragmented message', Buffer.concat([frame(1, Buffer.from('a'), { fin: false }), frame(1, Buffer.from('b'))]), 1002],
    ['invalid UTF-8 in text', frame(1, Buffer.from([0xc3, 0x28])), 1007],
    ['a close payload of 1 byte', frame(8, Buffer.from([3])), 1002],
    ['close code 999', frame(8, closePayload(999)), 1002],
    ['close code 1005', frame(8, closePayload(1005)), 1002],
    ['close code 5000', frame(8, closePayload(5000)), 1002],
    // ws answers a declared length over 2^53 - 1 (MSB set or not) with 1009, before any payload.
    ['a 64-bit length with its MSB set', frame(2, Buffer.alloc(0), { length: 2n ** 63n }), 1009],
    ['a length over 2^53 - 1', frame(2, Buffer.alloc(0), { length: 2n ** 60n }), 1009],
  ];
  it.each(violations)('%s', async (_name, bytes, code) => {
    const { n, port } = await server({ maxPayload: MiB });
    const peer = await upgraded(port);
    await n.waitFor((e) => e.type === 'accepted');
    peer.socket.write(bytes);
    peer.socket.write(frame(2, Buffer.from('after the violation')));
    await until(() => peer.closeCode() !== undefined, { timeout: 2000, what: 'a Close frame' });
    expect(peer.closeCode()).toBe(code);
    const event = await n.waitFor((e) => e.type === 'disconnected', 2000);
    expect((event as { error?: Error }).error).toBeInstanceOf(code === 1009 ? MessageTooLargeError : ProtocolError);
    await sleep(30);
    expect(n.events.filter((e) => e.type === 'disconnected')).toHaveLength(1);
    expect(n.events.some((e) => e.type === 'message')).toBe(false);
  });

  it('ignores data after a Close frame: one disconnected, no message', async () => {
    const { n, port } = await server();
    const peer = await upgraded(port);
    await n.waitFor((e) => e.type === 'accepted');
    peer.socket.write(Buffer.concat([frame(8, closePayload(1000)), frame(2, Buffer.from('late'))]));
    await until(() => peer.closeCode() !== undefined, { timeout: 2000, what: 'the Close answer' });
    expect(peer.closeCode()).toBe(1000);
    const event = await n.waitFor((e) => e.type === 'disconnected', 2000);
    expect((event as { error?: Error }).error).toBeUndefined();
    await sleep(30);
    expect(n.events.filter((e) => e.type === 'disconnected')).toHaveLength(1);
    expect(n.events.some((e) => e.type === 'message')).toBe(false);
  });
});
