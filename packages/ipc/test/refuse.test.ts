// A connection an Ipc listener turns away past maxConnections (the core closes it before it is an
// endpoint): published on message-io:refuse and counted, on a real Unix socket.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DIAGNOSTICS_CHANNELS } from '@message-io/core';
import { testNode, until, type TestNode } from '@message-io/adapter-testkit';
import { Ipc } from '@message-io/ipc';

const dir = mkdtempSync(join(tmpdir(), 'mio-ipc-refuse-'));
const refusals: unknown[] = [];
const onRefuse = (message: unknown): void => void refusals.push(message);
subscribe(DIAGNOSTICS_CHANNELS.refuse, onRefuse);
const nodes: TestNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.stop();
});
afterAll(() => {
  unsubscribe(DIAGNOSTICS_CHANNELS.refuse, onRefuse);
  rmSync(dir, { recursive: true, force: true });
});

describe('Ipc refusals', () => {
  it("a connection past maxConnections is refused (limit), known by the listener's address as every accepted Ipc connection is", async () => {
    const server = testNode();
    const client = testNode();
    nodes.push(server, client);
    const { id, addr } = await server.handler.network().listen(Ipc, `ipc://${join(dir, 'limit.sock')}`, { maxConnections: 1 });
    await client.handler.network().connectAndWait(Ipc, addr);
    await until(() => server.handler.network().stats().connections === 1, { what: 'the first connection' });
    client.handler.network().connect(Ipc, addr);
    await until(() => refusals.length === 1, { what: 'the refusal' });
    // A Unix socket client has no address of its own: the connection is known by the listener's.
    expect(refusals).toEqual([{ listenerId: id, reason: 'limit', detail: 'maxConnections (1)', addr }]);
    expect(server.handler.network().stats()).toMatchObject({ refused: 1, connections: 1, byListener: [{ id, refused: 1 }] });
    expect(server.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
  });
});
