// Runs the cluster chat as a user would: the server in 2 node:cluster workers on one port, clients
// spread over both by the kernel and the primary, every line reaching every client, and a clean
// stop of the primary and its workers on SIGTERM.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Ws, type Endpoint } from 'message-io';
import { testNode, text, until, utf8, type TestNode } from '@message-io/adapter-testkit';
import { exitWithin, start, stopAll, tsBlocks } from '../../../test/support/child.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const nodes: TestNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.stop();
  stopAll();
});

/** True while a process with this PID exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('cluster-chat example', () => {
  it('is what its README shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
    expect(blocks, 'README.md shows src/server.ts').toContain(readFileSync(new URL('../src/server.ts', import.meta.url), 'utf8'));
  });

  it('2 workers on one port: clients spread over both, every line reaches every client, SIGTERM stops all', async () => {
    const server = start(`${dist}server.js`, ['0', '2']);
    const [, url] = await server.waitFor(/chat on (ws:\/\/127\.0\.0\.1:\d+\/) with 2 workers/);
    const pids = [...server.output().matchAll(/worker \d+ \(pid (\d+)\) listening/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(2);

    const clients = 6;
    const node = testNode();
    nodes.push(node);
    const net = node.handler.network();
    const endpoints: Endpoint[] = [];
    for (let i = 0; i < clients; i++) endpoints.push(await net.connectAndWait(Ws, url!));
    const lines = (endpoint: Endpoint): string[] =>
      node.events.filter((e) => e.type === 'message' && e.endpoint === endpoint).map((e) => text((e as { data: Uint8Array }).data));
    await until(() => endpoints.every((e) => lines(e).length === 1), { what: 'a welcome for every client' });
    const workerOf = endpoints.map((e) => /^welcome to worker (\d+)$/.exec(lines(e)[0]!)?.[1]);
    expect(new Set(workerOf).size, `the workers the clients landed on: ${workerOf.join(', ')}`).toBe(2);

    for (const [i, endpoint] of endpoints.entries()) expect(net.send(endpoint, utf8(`line ${i}`))).toBe('Sent');
    await until(() => endpoints.every((e) => lines(e).length === 1 + clients), { timeout: 10_000, what: 'every line at every client' });
    for (const endpoint of endpoints) {
      const said = lines(endpoint)
        .slice(1)
        .map((l) => /: (line \d+)$/.exec(l)?.[1])
        .sort();
      expect(said).toEqual(Array.from({ length: clients }, (_, i) => `line ${i}`).sort());
    }
    // Each line names the worker that holds its sender.
    const line0 = lines(endpoints[1]!).find((l) => l.endsWith(': line 0'))!;
    expect(line0).toMatch(new RegExp(`\\(worker ${workerOf[0]}\\): line 0$`));

    server.child.kill('SIGTERM');
    expect(await exitWithin(server, 10_000)).toBe(0);
    await until(() => pids.every((pid) => !alive(pid)), { what: 'both workers to exit' });
  });
});
