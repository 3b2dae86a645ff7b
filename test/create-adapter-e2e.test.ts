// End to end, as a third party would: `npm create @message-io/adapter` (the packed create-adapter)
// writes a package into a temporary folder outside the workspace; it is installed against tarballs
// of the local core and testkit (`npm pack`; third-party tools such as vitest come from the
// registry), built, and its tests run. Bounded: 5 minutes in all, each step with its own limit.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'mio-create-adapter-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The environment of the steps: this run's own vitest and npm settings left out. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(VITEST|npm_|NODE_OPTIONS$|INIT_CWD$|TEST$)/.test(key)));
}

/** Runs `command` in `cwd` (killed after `timeout` ms); resolves with its output, rejects with it. */
function run(command: string, args: string[], cwd: string, timeout: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { cwd, timeout, killSignal: 'SIGKILL', env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the colour codes removed here
      const output = `${stdout}\n${stderr}`.replace(/\x1b\[[0-9;]*m/g, ''); // no colours
      if (error) reject(new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${error.message}\n${output}`));
      else resolvePromise(output);
    });
  });
}

/** Packs the workspace package in `packages/<dir>` into `into`; returns the tarball's path. */
async function pack(dir: string, into: string): Promise<string> {
  const output = await run('npm', ['pack', '--json', '--pack-destination', into], join(root, 'packages', dir), 60_000);
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
  const created = await run('npm', ['exec', '--yes', `--package=${creator}`, '--', 'create-adapter', 'e2e-link', '--yes'], target, 60_000);
  expect(created).toContain('Wrote message-io-e2e-link (transport E2eLink)');
  const pkg = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')) as Record<'dependencies' | 'devDependencies', Record<string, string>>;
  expect(pkg.devDependencies['@message-io/core']).toMatch(/^\^\d+\.\d+\.\d+$/);
  expect(pkg.dependencies['@message-io/node-net']).toMatch(/^\^\d+\.\d+\.\d+$/);

  // None of them is on a registry yet: the generated package takes them from the tarballs.
  pkg.dependencies['@message-io/node-net'] = `file:${nodeNet}`;
  pkg.devDependencies['@message-io/core'] = `file:${core}`;
  pkg.devDependencies['@message-io/adapter-testkit'] = `file:${testkit}`;
  writeFileSync(join(target, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], target, 180_000);
  await run('npm', ['run', 'build'], target, 60_000);
  const tested = await run('npm', ['test'], target, 120_000);
  expect(tested).toMatch(/Test Files\s+2 passed/);
  expect(tested).toMatch(/Tests\s+\d+ passed/);
  expect(tested).not.toMatch(/failed/);
}, 300_000);
