// End to end, as a third party would: `npm create @message-io/adapter` (the packed create-adapter)
// writes a package into a temporary folder outside the workspace; it is installed against tarballs
// of the local core and testkit (`npm pack`; third-party tools such as vitest come from the
// registry), built, and its tests run. Bounded: 5 minutes in all, each step with its own limit.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './support/commands.js';
import { afterAll, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'mio-create-adapter-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs a step; resolves with both outputs. */
async function step(command: string, args: string[], cwd: string, timeout: number): Promise<string> {
  return (await run(command, args, { cwd, timeout })).output;
}

/** Packs the workspace package in `packages/<dir>` into `into`; returns the tarball's path. */
async function pack(dir: string, into: string): Promise<string> {
  const output = await step('npm', ['pack', '--json', '--pack-destination', into], join(root, 'packages', dir), 60_000);
  const [report] = JSON.parse(output.slice(output.indexOf('['), output.lastIndexOf(']') + 1)) as { filename: string }[];
  return join(into, report!.filename);
}

it('scaffolds, installs against local tarballs, builds and passes its own tests', async () => {
  expect(relative(root, work).startsWith('..')).toBe(true);
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  const [creator, core, nodeNet, testkit] = await Promise.all([
    pack('create-adapter', tarballs),
    pack('core', tarballs),
    pack('node-net', tarballs),
    pack('adapter-testkit', tarballs),
  ]);

  const target = join(work, 'e2e-link');
  mkdirSync(target);
  const created = await step('npm', ['exec', '--yes', `--package=${creator}`, '--', 'create-adapter', 'e2e-link', '--yes'], target, 60_000);
  expect(created).toContain('Wrote message-io-e2e-link (transport E2eLink)');
  const pkg = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')) as Record<'dependencies' | 'devDependencies', Record<string, string>>;
  expect(pkg.devDependencies['@message-io/core']).toMatch(/^\^\d+\.\d+\.\d+$/);
  expect(pkg.dependencies['@message-io/node-net']).toMatch(/^\^\d+\.\d+\.\d+$/);

  // None of them is on a registry yet: the generated package takes them from the tarballs.
  pkg.dependencies['@message-io/node-net'] = `file:${nodeNet}`;
  pkg.devDependencies['@message-io/core'] = `file:${core}`;
  pkg.devDependencies['@message-io/adapter-testkit'] = `file:${testkit}`;
  writeFileSync(join(target, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  await step('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], target, 180_000);
  await step('npm', ['run', 'build'], target, 60_000);
  const tested = await step('npm', ['test'], target, 120_000);
  expect(tested).toMatch(/Test Files\s+2 passed/);
  expect(tested).toMatch(/Tests\s+\d+ passed/);
  expect(tested).not.toMatch(/failed/);
}, 300_000);
