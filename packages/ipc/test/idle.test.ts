// idleTimeout on Ipc: a connection that reads and writes nothing for that long is closed, and the
// side whose timer fired sees disconnected with an IdleTimeoutError; traffic keeps it open.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { IdleTimeoutError, InvalidOptionError } from '@message-io/core';
import { sleep, testNode, utf8, type TestNode } from '@message-io/adapter-testkit';
import { Ipc, ipcUrl } from '@message-io/ipc';

const dir = mkdtempSync(join(tmpdir(), 'mio-ipc-idle-'));
let count = 0;
const address = (): string => ipcUrl(join(dir, `i${count++}.sock`));

const nodes: TestNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.stop();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function node(): TestNode {
  const created = testNode((event, handler) => {
    if (event.type === 'message') handler.network().send(event.endpoint, event.data);
  });
  nodes.push(created);
  return created;
}

/** How early a timer may seem to fire, measured from before the connection: Node times it from the loop's clock. */
const TIMER_SLACK = 25;

describe('Ipc idleTimeout', () => {
  it.each(['listen', 'connect'] as const)('set on %s: a silent connection is closed after it, with IdleTimeoutError on that side', async (side) => {
    const idleTimeout = 300;
    const server = node();
    const { addr } = await server.handler.network().listen(Ipc, address(), side === 'listen' ? { idleTimeout } : {});
    const client = node();
    const started = performance.now();
    await client.handler.network().connectAndWait(Ipc, addr, side === 'connect' ? { idleTimeout } : {});
    const [timed, other] = side === 'listen' ? [server, client] : [client, server];
    const ended = await timed.waitFor((e) => e.type === 'disconnected', 5_000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(idleTimeout - TIMER_SLACK);
    expect(ended.type === 'disconnected' && ended.error).toBeInstanceOf(IdleTimeoutError);
    await other.waitFor((e) => e.type === 'disconnected', 5_000);
  });

  it('traffic keeps the connection open past the timeout', async () => {
    const server = node();
    const { addr } = await server.handler.network().listen(Ipc, address(), { idleTimeout: 300 });
    const client = node();
    const endpoint = await client.handler.network().connectAndWait(Ipc, addr);
    for (let i = 0; i < 8; i++) {
      client.handler.network().send(endpoint, utf8(`ping ${i}`));
      await sleep(100);
    }
    expect(server.events.filter((e) => e.type === 'disconnected')).toEqual([]);
    expect(client.handler.network().isReady(endpoint.resourceId)).toBe(true);
  });

  it('is checked: an integer from 0', async () => {
    const n = node();
    await expect(n.handler.network().listen(Ipc, address(), { idleTimeout: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => n.handler.network().connect(Ipc, address(), { idleTimeout: 1.5 })).toThrow(/idleTimeout/);
  });
});
