// Runs the reconnect example as a user would, with real processes: the server is killed with
// SIGKILL while the client runs, and started again on the same address; the client keeps going.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { start, stopAll, tsBlocks, type Program } from '../../../test/support/child.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
afterEach(stopAll);

/** The tick numbers the client printed as echoed, in order, from `from` in its output. */
function echoed(output: string, from = 0): number[] {
  return [...output.slice(from).matchAll(/tick (\d+);/g)].map((m) => Number(m[1]));
}

/** Waits until the client printed an echo of a tick after position `from` of its output. */
async function nextEcho(client: Program, from: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!/echo: tick/.test(client.output().slice(from))) {
    if (Date.now() > deadline) throw new Error(`no echo within 10 s; output:\n${client.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const cases = [
  { transport: 'framed-tcp', bind: '127.0.0.1:0', dial: (addr: string) => addr },
  { transport: 'tcp', bind: '127.0.0.1:0', dial: (addr: string) => addr },
  {
    transport: 'ws',
    bind: '127.0.0.1:0',
    dial: (addr: string) => `ws://${addr}/`,
  },
  {
    transport: 'ipc',
    bind: `ipc://${join(tmpdir(), `message-io-reconnect-${process.pid}.sock`)}`,
    dial: (addr: string) => addr,
  },
];

describe('reconnect example', () => {
  it('is what its README shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
    for (const name of ['client.ts', 'server.ts']) {
      expect(blocks, `README.md shows src/${name}`).toContain(readFileSync(new URL(`../src/${name}`, import.meta.url), 'utf8'));
    }
  });

  for (const { transport, bind, dial } of cases) {
    it(`${transport}: the client comes back when its server process is killed and started again`, async () => {
      const first = start(`${dist}server.js`, [transport, bind]);
      const [, addr] = await first.waitFor(/listening on (\S+)/);
      const client = start(`${dist}client.js`, [transport, dial(addr!)]);
      await client.waitFor(/connected to/);
      await nextEcho(client, 0);

      first.child.kill('SIGKILL');
      await first.exit;
      await client.waitFor(/connection lost \(.*\); retry 1 in \d+ ms/);
      await client.waitFor(/tick \d+ not sent: ResourceNotAvailable/);
      const down = client.output().length;

      const second = start(`${dist}server.js`, [transport, addr!]);
      await second.waitFor(`listening on ${addr}`);
      await client.waitFor('reconnected');
      const back = client.output().indexOf('reconnected');
      await nextEcho(client, back);
      await second.waitFor(/client \S+ connected/);

      const output = client.output();
      expect(output).not.toMatch(/gave up/);
      // What was refused while down never arrives later: no tick is echoed twice, and those
      // echoed after the restart came after every refused one.
      const refused = [...output.matchAll(/tick (\d+) not sent/g)].map((m) => Number(m[1]));
      const before = echoed(output.slice(0, down).replace(/tick \d+ not sent/g, ''));
      const after = echoed(output, back);
      expect(new Set([...before, ...after]).size).toBe(before.length + after.length);
      expect(Math.min(...after)).toBeGreaterThan(Math.max(...refused));
      expect(after.filter((n) => refused.includes(n))).toEqual([]);
    });
  }
});
