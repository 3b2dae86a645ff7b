// Runs the throughput example as a user would, small, and checks that it prints its table.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { exitWithin, start, stopAll, tsBlocks } from '../../../test/support/child.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
afterEach(stopAll);

describe('throughput example', () => {
  it('is what its README shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
    expect(blocks).toContain(readFileSync(new URL('../src/main.ts', import.meta.url), 'utf8'));
  });

  it('prints a row per transport: message-io and native in MB/s, and their ratio', async () => {
    const program = start(main, ['--mib', '16']);
    expect(await exitWithin(program, 90_000)).toBe(0);
    for (const transport of ['tcp', 'framed-tcp', 'udp', 'ws']) {
      expect(program.output()).toMatch(new RegExp(`^\\| ${transport} \\| [\\d,]+ B \\| \\d+ MB/s.* \\| \\d+ MB/s.* \\| \\d+% \\|$`, 'm'));
    }
    expect(program.output()).toMatch(/\| udp \|.*\(loss [\d.]+%\)/);
  }, 100_000);
});
