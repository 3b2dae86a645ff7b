// Backpressure (design note 0003, docs/reliability.md BP-01/BP-02) on the socket's buffered amount: a peer
// that stops reading makes send answer Backpressure at the cap; `writable` follows once it reads
// again; nothing reported Sent is lost or reordered; other connections are still served.
import { afterEach, describe, expect, it } from 'vitest';
import { SendStatus, type Endpoint, type NodeEvent, type NodeHandler } from '@message-io/core';
import { Ws } from '@message-io/ws';
import { rawPeer, upgradeRequest, type RawPeer } from './raw.js';
import { sleep, testNode, until, type TestNode } from './support.js';

const nodes: TestNode[] = [];
const peers: RawPeer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.socket.destroy();
  for (const n of nodes.splice(0)) n.handler.stop();
});

function numbered(i: number, size: number): Uint8Array {
  const message = new Uint8Array(size);
  new DataView(message.buffer).setUint32(0, i);
  return message;
}

/** Sends numbered messages until Backpressure; returns how many were Sent. */
function fill(handler: NodeHandler<never>, ep: Endpoint, from: number, size: number, limit: number): number {
  let i = from;
  while (i < limit) {
    const status = handler.network().send(ep, numbered(i, size));
    if (status === SendStatus.Backpressure) break;
    expect(status).toBe(SendStatus.Sent);
    i++;
  }
  return i;
}

describe.each([
  ['small messages (framed by us)', 1024, 256 * 1024],
  ['large messages (framed by ws)', 64 * 1024, 1024 * 1024],
  ['a cap below the socket high-water mark', 512, 1000],
])('backpressure with %s', (_name, size, cap) => {
  it('stops at the cap, emits writable when the peer reads again, and loses nothing', async () => {
    // More than the kernel's socket buffers on loopback can absorb, so that the peer's pause shows.
    const total = Math.ceil((24 * 1024 * 1024) / size);
    let sent = 0;
    let cycles = 0;
    const n = testNode((event: NodeEvent<never>, handler) => {
      if (event.type === 'writable') {
        cycles++;
        sent = fill(handler, event.endpoint, sent, size, total);
      }
    });
    nodes.push(n);
    const { addr } = await n.handler.network().listen(Ws, '127.0.0.1:0', { maxBufferedBytes: cap });
    const peer = rawPeer('127.0.0.1', Number(addr.split(':')[1]), upgradeRequest('/'));
    peers.push(peer);
    await until(() => peer.head !== undefined, { timeout: 3000, what: 'the upgrade' });
    peer.socket.pause();
    const { endpoint } = await n.waitFor((e) => e.type === 'accepted');
    sent = fill(n.handler, endpoint, 0, size, total);
    const net = n.handler.network();
    await until(() => net.bufferedBytes(endpoint)! >= cap, { timeout: 8000, what: 'the kernel buffers to fill' });
    await sleep(100);
    const stuckAt = sent;
    await sleep(100);
    expect(sent).toBe(stuckAt);
    expect(sent).toBeLessThan(total);
    expect(net.bufferedBytes(endpoint)).toBeGreaterThanOrEqual(cap);
    expect(net.bufferedBytes(endpoint)).toBeLessThan(cap + size + 14);
    expect(net.send(endpoint, numbered(-1, size))).toBe(SendStatus.Backpressure);
    peer.socket.resume();
    await until(() => sent === total, { timeout: 10_000, what: 'every message to be sent' });
    await until(() => peer.frames.length === total, { timeout: 10_000, what: 'every message to arrive' });
    expect(cycles).toBeGreaterThan(0);
    peer.frames.forEach((f, i) => {
      if (f.opcode !== 2 || f.payload.length !== size || f.payload.readUInt32BE(0) !== i) throw new Error(`message ${i} is wrong`);
    });
    expect(n.handler.network().send(endpoint, numbered(total, size))).toBe(SendStatus.Sent);
    await until(() => peer.frames.length === total + 1, { timeout: 3000, what: 'one more' });
  });
});

it('one peer that never reads does not hold up the others: every ping of another client is echoed while it stays stuck (BP-01 isolation)', async () => {
  const n = testNode((event, handler) => {
    if (event.type === 'message') handler.network().send(event.endpoint, event.data);
  });
  nodes.push(n);
  const cap = 1024 * 1024;
  const { addr } = await n.handler.network().listen(Ws, '127.0.0.1:0', { maxBufferedBytes: cap });
  const stuck = rawPeer('127.0.0.1', Number(addr.split(':')[1]), upgradeRequest('/'));
  peers.push(stuck);
  await until(() => stuck.head !== undefined, { timeout: 3000, what: 'the upgrade' });
  stuck.socket.pause();
  const { endpoint } = await n.waitFor((e) => e.type === 'accepted');
  const client = testNode();
  nodes.push(client);
  const ep = await client.handler.network().connectAndWait(Ws, addr);
  let refused = 0;
  for (let round = 0; round < 20; round++) {
    for (let k = 0; k < 64; k++) if (n.handler.network().send(endpoint, new Uint8Array(64 * 1024)) === SendStatus.Backpressure) refused++;
    client.handler.network().send(ep, Buffer.from(`ping ${round}`));
    // The stuck peer never reads again, so an echo that waited for it would never come: the bound
    // only keeps a broken run from hanging, and says nothing about how fast the echo is.
    await client.waitCount((e) => e.type === 'message', round + 1, 10_000);
  }
  const echoes = client.events.flatMap((e) => (e.type === 'message' ? [Buffer.from(e.data).toString()] : []));
  expect(echoes).toEqual(Array.from({ length: 20 }, (_, round) => `ping ${round}`));
  // The stuck peer never read: its connection is held at the cap, and sends to it were refused.
  expect(n.handler.network().bufferedBytes(endpoint)).toBeGreaterThanOrEqual(cap);
  expect(refused).toBeGreaterThan(0);
  expect(n.handler.network().bufferedBytes(endpoint)).toBeLessThan(2 * 1024 * 1024 + 64 * 1024);
});
