// An Ipc listener takes its connections on their libuv handle (node-net's acceptHandles): Node
// builds no `net.Socket` for them. What such a connection must still do as one on a `net.Socket`
// did: hand over messages that stay the user's (small reads copied out of the shared buffer, bulk
// reads into buffers of their own), in order, both ways, and end as the peer ends.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SendStatus, type Endpoint } from '@message-io/core';
import { BorrowedBytes } from '@message-io/core/adapter';
import { testNode, until, type TestNode } from '@message-io/adapter-testkit';
import { Ipc, ipcUrl } from '@message-io/ipc';
import { countSocketsBuilt, stopCounting } from '../../../test/support/sockets-built.js';

const dir = mkdtempSync(join(tmpdir(), 'mio-ipc-handles-'));
let count = 0;
const address = (): string => ipcUrl(join(dir, `h${count++}.sock`));

const nodes: TestNode[] = [];
afterEach(() => {
  stopCounting();
  for (const n of nodes.splice(0)) n.stop();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A node that echoes every message it gets. */
function echoNode(): TestNode {
  const created = testNode((event, handler) => {
    if (event.type === 'message') handler.network().send(event.endpoint, event.data);
  });
  nodes.push(created);
  return created;
}

function plainNode(): TestNode {
  const created = testNode();
  nodes.push(created);
  return created;
}

const received = (n: TestNode): Uint8Array[] => n.events.flatMap((e) => (e.type === 'message' ? [e.data] : []));

describe('Ipc connections accepted on their handle', () => {
  it('builds no net.Socket for what the listener accepts, and each connection still carries messages both ways', async () => {
    const built = countSocketsBuilt();
    const server = echoNode();
    const { addr } = await server.handler.network().listen(Ipc, address());
    const clients = [plainNode(), plainNode(), plainNode()];
    for (const [i, client] of clients.entries()) {
      const endpoint = await client.handler.network().connectAndWait(Ipc, addr);
      expect(client.handler.network().send(endpoint, Buffer.from(`hello ${i}`))).toBe(SendStatus.Sent);
    }
    for (const [i, client] of clients.entries()) {
      await until(() => received(client).length === 1, { what: `the echo to client ${i}` });
      expect(Buffer.from(received(client)[0]!).toString()).toBe(`hello ${i}`);
    }
    expect(server.events.filter((e) => e.type === 'accepted')).toHaveLength(3);
    expect(built.count).toBe(0);
  });

  it('small and bulk messages arrive whole, in order, and stay as they were after later reads (the user owns them)', async () => {
    // The bytes as the listener's consumer got them (the test node's record is a copy of its own).
    const kept: Uint8Array[] = [];
    const server = testNode((event, handler) => {
      if (event.type !== 'message') return;
      kept.push(event.data);
      handler.network().send(event.endpoint, event.data);
    });
    nodes.push(server);
    const { addr } = await server.handler.network().listen(Ipc, address());
    const client = plainNode();
    const endpoint: Endpoint = await client.handler.network().connectAndWait(Ipc, addr);
    // Bursts, each sent once the one before came back: small messages (reads copied out of the
    // shared buffer, which every burst's reads fill again from its start), large ones (reads of
    // 64 KiB and more go into buffers of their own), then small ones again, twice.
    const small = (n: number, spread: number): Buffer[] => Array.from({ length: n }, (_, i) => randomBytes(1 + (i % spread)));
    const bursts = [small(200, 50), [1024 * 1024, 3 * 1024 * 1024 + 17, 200 * 1024].map((size) => randomBytes(size)), small(200, 70), small(300, 30)];
    const sent: Buffer[] = [];
    for (const burst of bursts) {
      for (const message of burst) expect(client.handler.network().send(endpoint, message)).toBe(SendStatus.Sent);
      sent.push(...burst);
      await until(() => received(client).length === sent.length, { what: 'the echoes of a burst', timeout: 20_000 });
    }
    // What the server's consumer got was read from its accepted connection's handle: every message,
    // checked only now that all later reads have happened, is still what was sent, in that order.
    expect(kept).toHaveLength(sent.length);
    expect(kept.filter((data) => data instanceof BorrowedBytes)).toEqual([]);
    for (const [i, message] of sent.entries()) expect(Buffer.from(kept[i]!).equals(message), `message ${i} at the server`).toBe(true);
    const back = received(client);
    for (const [i, message] of sent.entries()) expect(Buffer.from(back[i]!).equals(message), `message ${i} back`).toBe(true);
  });

  it('a client that goes away is disconnected on the listener side, and a refused one is never accepted', async () => {
    const server = plainNode();
    const { addr } = await server.handler.network().listen(Ipc, address(), { maxConnections: 1 });
    const first = plainNode();
    const endpoint = await first.handler.network().connectAndWait(Ipc, addr);
    await until(() => server.events.some((e) => e.type === 'accepted'), { what: 'the accept' });
    const second = plainNode();
    second.handler.network().connect(Ipc, addr);
    await until(() => second.events.some((e) => e.type === 'disconnected' || e.type === 'connected'), { what: 'the second client told' });
    expect(server.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
    first.handler.network().remove(endpoint.resourceId);
    await until(() => server.events.some((e) => e.type === 'disconnected'), { what: 'the disconnect on the listener side' });
    expect(server.handler.network().stats().connections).toBe(0);
  });
});
