// Keeps docs/basic-concepts.md in step with the programs it shows, and runs each of them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { exitWithin, start, stopAll, tsBlocks } from '../../../test/support/child.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
afterEach(stopAll);

/** Runs a program to its end and returns what it printed. */
async function run(name: string): Promise<string> {
  const program = start(`${dist}${name}.js`);
  expect(await exitWithin(program, 10_000)).toBe(0);
  return program.output();
}

describe('basic-concepts programs', () => {
  it('are what docs/basic-concepts.md shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../../../docs/basic-concepts.md', import.meta.url), 'utf8'));
    for (const file of ['node.ts', 'endpoints.ts', 'iterate.ts', 'signals.ts']) {
      expect(blocks, `docs/basic-concepts.md shows src/${file}`).toContain(readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8'));
    }
  });

  it('node: listens, connects to itself, gets its message, stops', async () => {
    const out = await run('node');
    expect(out).toMatch(/listener \[0\.L\.0\] on 127\.0\.0\.1:\d+/);
    expect(out).toMatch(/accepted \[0\.R\.\d+\] 127\.0\.0\.1:\d+ on listener \[0\.L\.0\]/);
    expect(out).toMatch(/connected to 127\.0\.0\.1:\d+: true/);
    expect(out).toMatch(/message from .*: hello\nstopped\n$/);
  });

  it('signals: priority first, then in order, a cancelled timer never fires', async () => {
    expect(await run('signals')).toBe(
      ['{"kind":"urgent"}', '{"kind":"tick","n":1}', '{"kind":"tick","n":2}', '{"kind":"tick","n":3}', '{"kind":"end"}'].map((s) => `signal: ${s}\n`).join(''),
    );
  });

  it('endpoints: a Udp listener answers from its socket; nothing after remove', async () => {
    const out = await run('endpoints');
    expect(out).toContain('(local: true), connection');
    expect(out).toContain('send: Sent');
    expect(out).toContain('connection got 1 byte back');
    expect(out).toContain('send after remove: ResourceNotFound');
    expect(out).toContain('isReady: listener true, removed undefined');
  });

  it('iterate: stored events own their data', async () => {
    expect(await run('iterate')).toBe('one two three\n');
  });
});
