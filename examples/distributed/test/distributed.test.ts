// Runs a discovery server and three participants as a user would, on loopback.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { exitWithin, start, stopAll, tsBlocks } from '../../../test/support/child.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
afterEach(stopAll);

describe('distributed example', () => {
  it('is what its README shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
    for (const file of ['protocol.ts', 'discovery.ts', 'participant.ts']) {
      expect(blocks, `README.md shows src/${file}`).toContain(readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8'));
    }
  });

  it('participants learn of each other, talk directly, and see joins and leaves', async () => {
    const discovery = start(`${dist}discovery.js`, ['127.0.0.1:0']);
    const [, addr] = await discovery.waitFor(/on (127\.0\.0\.1:\d+)/);
    const participant = (name: string) => start(`${dist}participant.js`, [name, addr!]);
    const ana = participant('ana');
    await ana.waitFor('registered as ana; 0 other participant(s)');
    const bo = participant('bo');
    await bo.waitFor('registered as bo; 1 other participant(s)');
    await ana.waitFor(/bo joined at 127\.0\.0\.1:\d+/);
    const cy = participant('cy');
    await cy.waitFor('registered as cy; 2 other participant(s)');
    // Direct Udp messages, not through the server: each greets those it learns of.
    await ana.waitFor('hello ana, I am cy');
    await bo.waitFor('hello bo, I am cy');
    await cy.waitFor('hello cy, I am ana');
    await cy.waitFor('hello cy, I am bo');
    await bo.waitFor('hello bo, I am ana');
    bo.child.kill('SIGINT');
    expect(await exitWithin(bo, 3000)).toBe(0);
    await ana.waitFor('bo left');
    await cy.waitFor('bo left');
    await discovery.waitFor('bo left (2 registered)');
    const again = participant('ana');
    await again.waitFor('refused: ana is registered already');
    await again.waitFor('the discovery server is gone');
    discovery.child.kill('SIGINT');
    expect(await exitWithin(discovery, 3000)).toBe(0);
    await ana.waitFor('the discovery server is gone');
    expect(await exitWithin(ana, 3000)).toBe(0);
  });
});
