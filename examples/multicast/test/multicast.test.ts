// Runs three multicast nodes as a user would, pinned to the loopback interface (127.0.0.1), on a
// group port of this run's own.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { exitWithin, start, stopAll, tsBlocks } from '../../../test/support/child.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
afterEach(stopAll);

describe('multicast example', () => {
  it('is what its README shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
    expect(blocks).toContain(readFileSync(new URL('../src/main.ts', import.meta.url), 'utf8'));
  });

  it('nodes on loopback find each other, whenever they start, and see each other leave', async () => {
    const group = `239.255.0.1:${20000 + Math.floor(Math.random() * 10000)}`;
    const node = (name: string) => start(main, [name, '--group', group, '--interface', '127.0.0.1']);
    const ana = node('ana');
    await ana.waitFor(`ana joined ${group}`);
    const bo = node('bo');
    await bo.waitFor('found ana at 127.0.0.1:');
    await ana.waitFor('found bo at 127.0.0.1:');
    const cy = node('cy');
    await cy.waitFor(/found (ana|bo) .*\n(.*\n)*found (ana|bo) .*\(2 known\)/);
    await ana.waitFor('found cy');
    await bo.waitFor('found cy');
    bo.child.kill('SIGINT');
    expect(await exitWithin(bo, 3000)).toBe(0);
    await ana.waitFor('bo left (1 known)');
    await cy.waitFor('bo left (1 known)');
    expect(ana.output()).not.toContain('found ana');
  });
});
