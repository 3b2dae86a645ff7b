// Runs the NATS workers example as a user would, against a real nats-server started here on
// 127.0.0.1: two worker processes in one queue group and a producer process; every job is answered
// once, by one of the workers, both of them take a share, and the workers stop on SIGTERM.
// Skipped with a printed reason where nats-server is missing (outside CI).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { exitWithin, start, stopAll, tsBlocks } from '../../../test/support/child.js';
import { startNatsServer } from '../../../test/support/nats-server.js';
import { skipWithout } from '../../../test/support/peers.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
afterEach(stopAll);

describe('nats-workers example', () => {
  it('is what its README shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
    for (const file of ['worker.ts', 'producer.ts']) {
      expect(blocks, `README.md shows src/${file}`).toContain(readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8'));
    }
  });

  it.skipIf(skipWithout('nats-server'))(
    'a producer and 2 workers in their own processes: every job answered once, both workers take a share, SIGTERM stops them',
    async () => {
      const server = await startNatsServer();
      try {
        const url = `nats://127.0.0.1:${server.port}`;
        const workers = ['alpha', 'beta'].map((name) => start(`${dist}worker.js`, [url, name]));
        for (const [i, worker] of workers.entries()) await worker.waitFor(`${['alpha', 'beta'][i]} takes jobs from ${url}/jobs`);
        const jobs = 40;
        const producer = start(`${dist}producer.js`, [url, String(jobs)]);
        expect(await exitWithin(producer, 20_000)).toBe(0);
        const out = producer.output();
        const answers = [...out.matchAll(/^job (\d+): (\d+) from (alpha|beta)$/gm)];
        expect(answers.map((m) => Number(m[1])).sort((a, b) => a - b)).toEqual(Array.from({ length: jobs }, (_, i) => i));
        for (const [, id, square] of answers) expect(Number(square)).toBe((Number(id) + 1) ** 2);
        const shares = /^40 of 40 jobs answered \((.*)\)$/m.exec(out);
        expect(shares, out).not.toBeNull();
        const byWorker = new Map(answers.map((m) => [m[3], answers.filter((a) => a[3] === m[3]).length]));
        expect([...byWorker.keys()].sort(), `both workers answered: ${shares?.[1]}`).toEqual(['alpha', 'beta']);
        for (const worker of workers) worker.child.kill('SIGTERM');
        for (const worker of workers) {
          expect(await exitWithin(worker, 5_000)).toBe(0);
          expect(worker.output()).toMatch(/stopped\n$/);
        }
      } finally {
        stopAll();
        await server.stop();
      }
    },
    40_000,
  );

  it('the producer says so and fails when no server is there', async () => {
    const producer = start(`${dist}producer.js`, ['nats://127.0.0.1:1', '1']);
    expect(await exitWithin(producer, 20_000)).toBe(1);
    expect(producer.output()).toContain('cannot reach nats://127.0.0.1:1');
  }, 30_000);
});
