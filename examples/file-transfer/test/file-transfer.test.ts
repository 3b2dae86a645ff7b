// Runs the file-transfer receiver and senders as a user would, on loopback, with generated files
// in a temporary folder: several senders at once, a checksum at the end, bounded memory, and a
// connection cut on either side.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exitWithin, start, stopAll, tsBlocks } from '../../../test/support/child.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const MiB = 1024 * 1024;
let dir = '';
afterEach(stopAll);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'file-transfer-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `mib` MiB of random bytes to a new file in the temp folder. */
function makeFile(name: string, mib: number): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  for (let i = 0; i < mib; i++) appendFileSync(path, randomBytes(MiB));
  return path;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Starts a receiver on a free loopback port, writing into a new folder. */
async function receiver() {
  const into = mkdtempSync(join(dir, 'received-'));
  const program = start(main, ['recv', '--addr', '127.0.0.1:0', '--dir', into]);
  const [, addr] = await program.waitFor(/on (127\.0\.0\.1:\d+)/);
  return { program, addr: addr!, into };
}

describe('file-transfer example', () => {
  it('is what its README shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
    for (const file of ['main.ts', 'sender.ts']) {
      expect(blocks, `README.md shows src/${file}`).toContain(readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8'));
    }
  });

  it('takes three senders at once, verifies each checksum, and the sender of 96 MiB stays small', async () => {
    const files = [makeFile('a.bin', 4), makeFile('b.bin', 12), makeFile('big.bin', 96)];
    const { program, addr, into } = await receiver();
    const senders = files.map((file) => start(main, ['send', file, '--addr', addr]));
    for (const sender of senders) expect(await exitWithin(sender, 40_000)).toBe(0);
    for (const file of files) {
      const name = file.slice(dir.length + 1);
      await program.waitFor(new RegExp(`received ${name} from .*sha256 [0-9a-f]{64} verified`));
      expect(sha256(join(into, name))).toBe(sha256(file));
    }
    const big = senders[2]!.output();
    expect(big).toContain('sha256 verified by the receiver');
    const [, atStart, peak] = big.match(/RSS ([\d.]+) MiB at start, peak ([\d.]+) MiB/)!;
    // The whole file in memory would add 96 MiB; chunks and the connection's 4 MiB buffer add far less.
    expect(Number(peak) - Number(atStart)).toBeLessThan(64);
  }, 60_000);

  it('reports a sender that goes away mid-file, removes the partial file, and keeps receiving', async () => {
    const file = makeFile('cut-sender.bin', 32);
    const { program, addr, into } = await receiver();
    const sender = start(main, ['send', file, '--addr', addr, '--limit', '8']);
    await program.waitFor('receiving cut-sender.bin');
    await new Promise((r) => setTimeout(r, 500));
    process.kill(sender.child.pid!, 'SIGKILL');
    await program.waitFor(/cut-sender\.bin from .*: connection lost after \d+ of 33554432 bytes; partial file removed/);
    expect(existsSync(join(into, 'cut-sender.bin'))).toBe(false);
    const next = start(main, ['send', makeFile('after.bin', 1), '--addr', addr]);
    expect(await exitWithin(next, 10_000)).toBe(0);
  }, 30_000);

  it('a sender whose receiver goes away says so and exits 1', async () => {
    const file = makeFile('cut-receiver.bin', 32);
    const { program, addr } = await receiver();
    const sender = start(main, ['send', file, '--addr', addr, '--limit', '8']);
    await program.waitFor('receiving cut-receiver.bin');
    await new Promise((r) => setTimeout(r, 500));
    process.kill(program.child.pid!, 'SIGKILL');
    expect(await exitWithin(sender, 10_000)).toBe(1);
    expect(sender.output()).toMatch(/connection lost after \d+ of 33554432 bytes of cut-receiver\.bin/);
    expect(sender.output()).not.toMatch(/Error|at .*\.js:\d+/);
  }, 30_000);

  it('refuses a file that exists, and a sender with no receiver says so', async () => {
    const file = makeFile('twice.bin', 1);
    const { addr } = await receiver();
    expect(await exitWithin(start(main, ['send', file, '--addr', addr]), 10_000)).toBe(0);
    const again = start(main, ['send', file, '--addr', addr]);
    expect(await exitWithin(again, 10_000)).toBe(1);
    expect(again.output()).toContain('the receiver refused twice.bin: twice.bin exists already');
    const { program: gone, addr: goneAddr } = await receiver();
    process.kill(gone.child.pid!, 'SIGKILL');
    await gone.exit;
    const lonely = start(main, ['send', file, '--addr', goneAddr]);
    expect(await exitWithin(lonely, 10_000)).toBe(1);
    expect(lonely.output()).toContain(`cannot connect to ${goneAddr}`);
  }, 30_000);
});
