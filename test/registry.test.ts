// The release path, end to end, against a real npm registry: Verdaccio (a devDependency) serves on
// 127.0.0.1 with storage of its own. A copy of the committed repository releases to it with the commands of
// `npm run release` (`changeset version`, `npm run build`, `changeset publish`; docs/contributing.md),
// then, in empty folders whose npm knows that registry only, a stranger's commands run:
// `npm create @message-io/adapter my-transport` (the package installs, builds and passes its own
// tests, conformance included), `npm install message-io` and `npm install @message-io/core
// @message-io/udp` (each runs an echo). Our packages exist in that registry alone; third-party
// packages (ws, typescript, vitest) come through it from the npm registry, so the test needs that
// registry: without it the test is skipped with the reason, or fails when CI is set.
// Bounded: each step has its own time limit, about 5 minutes in all.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, run } from './support/commands.js';
import { inCi } from './support/peers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const UPSTREAM = 'https://registry.npmjs.org/';

/** Whether the npm registry answers within 5 s: third-party packages come from it, through Verdaccio. */
async function upstreamAnswers(): Promise<boolean> {
  try {
    const response = await fetch(`${UPSTREAM}-/ping`, { signal: AbortSignal.timeout(5000) });
    return response.ok;
  } catch {
    return false;
  }
}

const reachable = await upstreamAnswers();
const skipReason = reachable ? undefined : `the npm registry (${UPSTREAM}) does not answer, and third-party packages come from it`;
if (skipReason !== undefined) {
  if (inCi()) throw new Error(`registry test: ${skipReason} (CI is set, so this fails instead of skipping)`);
  console.warn(`skipped: the release path against a local registry: ${skipReason}`);
}

const work = mkdtempSync(join(tmpdir(), 'mio-registry-'));
let verdaccio: ChildProcess | undefined;
let registry = '';
/** An npm user config that knows the local registry only, with the token of its one user. */
const userconfig = join(work, 'npmrc');

/** The environment of the steps: this run's own vitest and npm settings left out, the local registry in. */
function env(): NodeJS.ProcessEnv {
  return cleanEnv({
    npm_config_userconfig: userconfig,
    npm_config_registry: registry,
    npm_config_update_notifier: 'false',
    // A cache of its own: npm's shared one may hold a package of ours by the same name and version
    // from an earlier run (npm exec reuses what it installed before).
    npm_config_cache: join(work, 'npm-cache'),
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  });
}

/** Runs a step with the registry's environment; resolves with both outputs. */
async function step(command: string, args: string[], cwd: string, timeout: number): Promise<string> {
  return (await run(command, args, { cwd, timeout, env: env() })).output;
}

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Starts Verdaccio on `port` with the configuration written to `dir`; resolves once it answers. */
async function startVerdaccio(dir: string, port: number): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: 10',
      'uplinks:',
      '  npmjs:',
      `    url: ${UPSTREAM}`,
      '    timeout: 60s',
      'packages:',
      // Ours are never looked up upstream: what the test installs is what it published.
      "  '@message-io/*':",
      '    access: $all',
      '    publish: $authenticated',
      "  'message-io':",
      '    access: $all',
      '    publish: $authenticated',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    proxy: npmjs',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const bin = join(root, 'node_modules/.bin/verdaccio');
  const child = spawn(bin, ['--config', config, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'], env: env() });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/-/ping`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`verdaccio did not answer on 127.0.0.1:${port} within 30 s:\n${output}`);
}

/** Adds a user to the registry (as `npm adduser` does) and returns its token. */
async function addUser(): Promise<string> {
  const name = 'release-test';
  const response = await fetch(`${registry}-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: 'release-test-password', email: 'release-test@example.invalid', type: 'user' }),
  });
  const body = (await response.json()) as { token?: string; error?: string };
  if (body.token === undefined) throw new Error(`the registry refused the user (${response.status}): ${JSON.stringify(body)}`);
  return body.token;
}

/**
 * A copy of the repository as committed (`git archive HEAD`: a release is made from a commit), with
 * the installed node_modules linked in: what `npm run release` would run on.
 */
async function copyOfRepository(into: string): Promise<void> {
  const archive = join(work, 'repository.tar');
  await step('git', ['archive', '--format=tar', '-o', archive, 'HEAD'], root, 60_000);
  await step('tar', ['-xf', archive, '-C', into], root, 60_000);
  symlinkSync(join(root, 'node_modules'), join(into, 'node_modules'));
  // changeset publish tags what it publishes: the copy is a repository of its own.
  const as = ['-c', 'user.name=release-test', '-c', 'user.email=release-test@example.invalid'];
  await step('git', ['init', '-q'], into, 30_000);
  await step('git', [...as, 'add', '-A'], into, 30_000);
  await step('git', [...as, 'commit', '-q', '-m', 'the released commit'], into, 30_000);
}

const released = join(work, 'repository');
let publishedVersions: Record<string, string> = {};

beforeAll(async () => {
  if (skipReason !== undefined) return;
  const port = await freePort();
  registry = `http://127.0.0.1:${port}/`;
  verdaccio = await startVerdaccio(join(work, 'verdaccio'), port);
  const token = await addUser();
  writeFileSync(userconfig, `registry=${registry}\n//127.0.0.1:${port}/:_authToken=${token}\naudit=false\nfund=false\nupdate-notifier=false\n`);
  mkdirSync(released);
  await copyOfRepository(released);
  // The release, as `npm run release` runs it (docs/contributing.md), against the local registry.
  const changeset = join(root, 'node_modules/.bin/changeset');
  await step(changeset, ['version'], released, 120_000);
  await step('npm', ['run', 'build'], released, 300_000);
  const published = await step(changeset, ['publish'], released, 300_000);
  publishedVersions = Object.fromEntries([...published.matchAll(/New tag:\s+(\S+)@(\d+\.\d+\.\d+\S*)/g)].map((m) => [m[1]!, m[2]!]));
}, 720_000);

afterAll(() => {
  verdaccio?.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** An empty folder with a package.json, for a consumer. */
function emptyProject(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, version: '0.0.0', private: true, type: 'module' }, null, 2)}\n`);
  return dir;
}

describe.skipIf(skipReason !== undefined)('the release path against a local npm registry (Verdaccio)', () => {
  it('publishes every publishable package with changeset publish', async () => {
    const names = ['@message-io/core', '@message-io/node-net', '@message-io/tcp', '@message-io/udp', '@message-io/ws', '@message-io/ipc', '@message-io/nats'];
    for (const name of [...names, '@message-io/adapter-testkit', '@message-io/create-adapter', 'message-io']) {
      expect(publishedVersions[name], `${name} published`).toMatch(/^\d+\.\d+\.\d+/);
      const response = await fetch(`${registry}${name.replace('/', '%2f')}`);
      expect(response.status, `${name} in the registry`).toBe(200);
    }
  });

  it('npm create @message-io/adapter my-transport: the package installs from the registry, builds and passes its tests', async () => {
    const dir = join(work, 'author');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'not empty: the package goes into ./my-transport\n');
    const created = await step('npm', ['create', '--yes', '@message-io/adapter', 'my-transport', '--', '--yes'], dir, 180_000);
    expect(created).toContain('Wrote message-io-my-transport');
    const target = join(dir, 'my-transport');
    const pkg = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')) as Record<
      'dependencies' | 'devDependencies' | 'peerDependencies',
      Record<string, string>
    >;
    // Published ranges that the registry resolves: the versions the release just made.
    expect(pkg.peerDependencies['@message-io/core']).toBe(`^${publishedVersions['@message-io/core']}`);
    expect(pkg.dependencies['@message-io/node-net']).toBe(`^${publishedVersions['@message-io/node-net']}`);
    expect(readFileSync(join(target, 'README.md'), 'utf8')).toContain('## Publishing');
    await step('npm', ['install'], target, 300_000);
    expect(readFileSync(join(target, 'package-lock.json'), 'utf8')).not.toMatch(/"resolved": "file:|"link": true/);
    await step('npm', ['run', 'build'], target, 120_000);
    const tested = await step('npm', ['test'], target, 180_000);
    expect(tested).toMatch(/Test Files\s+\d+ passed/);
    expect(tested).not.toMatch(/\bfailed\b/);
  }, 900_000);

  it.each([
    ['npm install message-io', ['message-io'], 'message-io', 'message-io', 'FramedTcp', '127.0.0.1:0'],
    ['npm install @message-io/core @message-io/udp', ['@message-io/core', '@message-io/udp'], '@message-io/core', '@message-io/udp', 'Udp', '127.0.0.1:0'],
  ])(
    '%s: a program runs an echo',
    async (_title, packages, coreModule, transportModule, exportName, address) => {
      const dir = emptyProject(`consumer-${exportName.toLowerCase()}`);
      await step('npm', ['install', ...packages], dir, 300_000);
      cpSync(join(root, 'test/fixtures/packaging/echo.mjs'), join(dir, 'echo.mjs'));
      const out = await step('node', ['echo.mjs', coreModule, transportModule, exportName, address], dir, 30_000);
      expect(out.trim()).toBe(`echo ${exportName} hello`);
      const lock = readFileSync(join(dir, 'package-lock.json'), 'utf8');
      expect(lock).toContain(`${registry}@message-io/core/-/core-${publishedVersions['@message-io/core']}.tgz`);
      expect(lock).not.toMatch(/"resolved": "file:|"link": true/);
    },
    600_000,
  );
});
