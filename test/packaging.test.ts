// Packaging and release (issue 10). Every publishable package is packed once (`npm pack`) into a
// temporary folder outside the workspace; small consumer projects there install only what a user
// would (core plus one transport, or `message-io` alone) from those tarballs, with third-party
// packages (ws) from the registry, and run an echo on loopback or a Unix socket. Two more consumers
// compile against the packed types with the repository's tsc, one per moduleResolution mode.
// Then the publish file lists (`npm publish --dry-run`) and the changesets release plan.
// Bounded: about 5 minutes in all, each step with its own limit.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './support/commands.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'test/fixtures/packaging');
const tsc = join(root, 'node_modules/.bin/tsc');
const work = mkdtempSync(join(tmpdir(), 'mio-packaging-'));
const tarballDir = join(work, 'tarballs');
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  types?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** The publishable workspaces: packages/* that are not private. */
const publishable = readdirSync(join(root, 'packages'))
  .map((name) => ({ dir: join(root, 'packages', name), pkg: readJson<PackageJson>(join(root, 'packages', name, 'package.json')) }))
  .filter(({ pkg }) => pkg.private !== true);

/** `names` and, recursively, the packages of ours that they depend on (such as @message-io/node-net). */
function withOurDependencies(names: string[]): string[] {
  const found = new Set<string>();
  const visit = (name: string): void => {
    if (found.has(name)) return;
    found.add(name);
    const pkg = publishable.find((p) => p.pkg.name === name)?.pkg;
    for (const dependency of Object.keys(pkg?.dependencies ?? {})) if (publishable.some((p) => p.pkg.name === dependency)) visit(dependency);
  };
  for (const name of names) visit(name);
  return [...found];
}

/** Runs a step; resolves with its standard output. */
async function step(command: string, args: string[], cwd: string, timeout: number): Promise<string> {
  return (await run(command, args, { cwd, timeout })).stdout;
}

/** Runs `tasks` at most `limit` at a time (the machine has two cores). */
async function limited<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

/** Package name -> absolute path of its tarball; filled by the one shared pack step. */
const tarballs = new Map<string, string>();
const file = (name: string): string => `file:${tarballs.get(name)!}`;

/**
 * A consumer project that depends on `dependencies` only. `overrides` pins the workspace packages
 * that come in transitively (message-io's own dependencies) to their tarballs as well, so nothing
 * of ours is ever taken from the registry.
 */
interface Consumer {
  name: string;
  dir: string;
  dependencies: Record<string, string>;
}

function consumer(name: string, packages: string[], extra: Record<string, string> = {}): Consumer {
  const dir = join(work, name);
  mkdirSync(dir);
  const dependencies = { ...Object.fromEntries(packages.map((p) => [p, file(p)])), ...extra };
  const overrides = Object.fromEntries([...tarballs.keys()].filter((p) => !packages.includes(p)).map((p) => [p, file(p)]));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module', dependencies, overrides }, null, 2));
  copyFileSync(join(fixtures, 'echo.mjs'), join(dir, 'echo.mjs'));
  return { name, dir, dependencies };
}

async function install(c: Consumer): Promise<void> {
  await step('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], c.dir, 180_000);
}

/** An entry of the consumer's package-lock.json. */
interface LockEntry {
  version?: string;
  resolved?: string;
  link?: boolean;
}

/** Every package of ours in the installed tree: how npm got it and where it really is on disk. */
async function ourPackages(c: Consumer): Promise<{ name: string; entry: LockEntry; real: string }[]> {
  await step('npm', ['ls', '--all'], c.dir, 60_000); // fails on a missing, invalid or extraneous package
  const lock = readJson<{ packages: Record<string, LockEntry> }>(join(c.dir, 'package-lock.json'));
  return Object.entries(lock.packages)
    .map(([path, entry]) => ({ name: path.replace(/^.*node_modules\//, ''), path, entry }))
    .filter(({ path, name }) => path !== '' && tarballs.has(name))
    .map(({ name, path, entry }) => ({ name, entry, real: realpathSync(join(c.dir, path)) }));
}

const consumers: Consumer[] = [];
const byName = (name: string): Consumer => consumers.find((c) => c.name === name)!;
let ipcDir: string;

/** Transport export -> the package that holds it, and an address to listen on. */
const transports = () =>
  [
    ['Tcp', '@message-io/tcp', '127.0.0.1:0'],
    ['FramedTcp', '@message-io/tcp', '127.0.0.1:0'],
    ['Udp', '@message-io/udp', '127.0.0.1:0'],
    ['Ws', '@message-io/ws', '127.0.0.1:0'],
    ['Ipc', '@message-io/ipc', `ipc://${join(ipcDir, 'echo.sock')}`],
  ] as const;

beforeAll(async () => {
  expect(relative(root, work).startsWith('..')).toBe(true);
  mkdirSync(tarballDir);
  ipcDir = join(work, 'sockets');
  mkdirSync(ipcDir);
  await limited(
    2,
    publishable.map(({ dir, pkg }) => async () => {
      const out = await step('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballDir], dir, 60_000);
      const [report] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
      tarballs.set(pkg.name, join(tarballDir, report!.filename));
    }),
  );
  for (const pkg of ['@message-io/tcp', '@message-io/udp', '@message-io/ws', '@message-io/ipc']) {
    consumers.push(consumer(pkg.replace('@message-io/', ''), ['@message-io/core', pkg]));
  }
  consumers.push(consumer('message-io', ['message-io']));
  const typed = ['@message-io/core', '@message-io/tcp', '@message-io/udp', '@message-io/ws', '@message-io/ipc', '@message-io/nats', 'message-io'];
  for (const mode of ['nodenext', 'bundler'] as const) {
    const c = consumer(`types-${mode}`, typed, { '@types/node': '^20.19.0' });
    copyFileSync(join(fixtures, 'types.ts'), join(c.dir, 'index.ts'));
    const module = mode === 'nodenext' ? 'nodenext' : 'esnext';
    const compilerOptions = { target: 'es2022', module, moduleResolution: mode, strict: true, skipLibCheck: false, types: ['node'], outDir: 'dist' };
    writeFileSync(join(c.dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['index.ts'] }, null, 2));
    consumers.push(c);
  }
  await limited(
    3,
    consumers.map((c) => () => install(c)),
  );
}, 300_000);

describe('consumers installed from the tarballs, outside the workspace', () => {
  it('packed every publishable package', () => {
    expect([...tarballs.keys()].sort()).toEqual(publishable.map(({ pkg }) => pkg.name).sort());
    expect(tarballs.size).toBeGreaterThanOrEqual(8);
  });

  it('hold only tarball installs of our packages: no workspace link, nothing else of ours', async () => {
    for (const c of consumers) {
      const ours = await ourPackages(c);
      for (const { name, entry, real } of ours) {
        expect(entry.link, `${c.name}: ${name} is a link`).toBeUndefined();
        expect(resolve(c.dir, (entry.resolved ?? '').replace(/^file:/, '')), `${c.name}: ${name}`).toBe(tarballs.get(name));
        expect(real.startsWith(`${c.dir}/`), `${c.name}: ${name} is really at ${real}`).toBe(true);
        expect(realpathSync(real).startsWith(root)).toBe(false);
      }
      // Only what was asked for and what it needs is there: a transport consumer has no other transport.
      const bundle = ['@message-io/core', '@message-io/tcp', '@message-io/udp', '@message-io/ws', '@message-io/ipc', '@message-io/nats', 'message-io'];
      const asked = c.name.startsWith('types-') || c.name === 'message-io' ? bundle : Object.keys(c.dependencies).filter((d) => tarballs.has(d));
      const expected = withOurDependencies(asked);
      expect(ours.map((p) => p.name).sort(), c.name).toEqual([...expected].sort());
    }
    expect(byName('message-io').dependencies).toEqual({ 'message-io': file('message-io') });
  });

  it.each(['tcp', 'udp', 'ws', 'ipc'])('@message-io/core + @message-io/%s alone: echo works', async (name) => {
    const c = byName(name);
    for (const [exportName, module, address] of transports().filter(([, module]) => module === `@message-io/${name}`)) {
      const out = await step('node', ['echo.mjs', '@message-io/core', module, exportName, address], c.dir, 20_000);
      expect(out.trim()).toBe(`echo ${exportName} hello`);
    }
  });

  it('message-io alone: echo works on every transport', async () => {
    const c = byName('message-io');
    for (const [exportName, , address] of transports()) {
      const out = await step('node', ['echo.mjs', 'message-io', 'message-io', exportName, address], c.dir, 20_000);
      expect(out.trim()).toBe(`echo ${exportName} hello`);
    }
  });

  it('the ws consumer got ws from the registry, as a dependency of @message-io/ws', () => {
    const ws = readJson<PackageJson>(join(byName('ws').dir, 'node_modules/ws/package.json'));
    expect(ws.version).toMatch(/^8\./);
  });

  it.each(['nodenext', 'bundler'])('types resolve with moduleResolution %s (the repository tsc), and the output runs', async (mode) => {
    const c = byName(`types-${mode}`);
    await step(tsc, ['-p', 'tsconfig.json'], c.dir, 120_000);
    if (mode === 'nodenext') {
      const out = await step('node', ['dist/index.js'], c.dir, 20_000);
      expect(out.trim()).toBe('typed 9 9 65507 26 1024 0 workers');
    } else {
      expect(existsSync(join(c.dir, 'dist/index.js'))).toBe(true);
    }
  });
});

/** One file of `npm publish --dry-run --json`. */
interface PackedFile {
  path: string;
}

describe.each(publishable.map(({ dir, pkg }) => [pkg.name, dir, pkg] as const))('npm publish --dry-run of %s', (_name, dir, pkg) => {
  it('lists README, LICENSE, package.json and the types; no tests, no build info, no sources', async () => {
    // Works offline and without a login: npm only warns that publishing would need one.
    const out = await step('npm', ['publish', '--dry-run', '--json', '--ignore-scripts', '--offline'], dir, 60_000);
    const report = JSON.parse(out.slice(out.indexOf('{'))) as Record<string, { name: string; version: string; files: PackedFile[] }>;
    const entry = report[pkg.name] ?? (report as unknown as { name: string; version: string; files: PackedFile[] });
    expect(entry.name).toBe(pkg.name);
    expect(entry.version).toBe(pkg.version);
    const files = entry.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json', pkg.types!.replace(/^\.\//, '')]));
    expect(files.filter((f) => /(^|\/)(tests?|__tests__|fixtures)\/|\.test\.|\.spec\.|tsbuildinfo/.test(f))).toEqual([]);
    expect(files.filter((f) => /^src\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
    // Every module has its declarations beside it.
    const missing = files.filter((f) => f.endsWith('.js') && f.startsWith('dist/')).filter((f) => !files.includes(f.replace(/\.js$/, '.d.ts')));
    expect(missing).toEqual([]);
  }, 60_000);
});

// The changesets libraries, as `changeset status` uses them (dependencies of @changesets/cli).
const requireFromRoot = createRequire(join(root, 'package.json'));
type Release = { name: string; type: 'none' | 'patch' | 'minor' | 'major'; oldVersion: string; newVersion: string };
type Packages = { packages: { dir: string; packageJson: PackageJson & Record<string, unknown> }[]; root: unknown; tool: unknown };
const { getPackages } = requireFromRoot('@manypkg/get-packages') as { getPackages: (dir: string) => Promise<Packages> };
const { read: readConfig } = requireFromRoot('@changesets/config') as { read: (dir: string, packages: Packages) => Promise<Record<string, unknown>> };
const readChangesets = (requireFromRoot('@changesets/read') as { default: (dir: string) => Promise<unknown[]> }).default;
const assemble = (
  requireFromRoot('@changesets/assemble-release-plan') as {
    default: (changesets: unknown[], packages: Packages, config: unknown, pre: undefined) => { releases: Release[] };
  }
).default;

describe('changesets', () => {
  const config = readJson<Record<string, unknown>>(join(root, '.changeset/config.json'));
  const adapters = publishable.filter(({ pkg }) => pkg.peerDependencies?.['@message-io/core'] !== undefined).map(({ pkg }) => pkg.name);

  it('versions independently, writes changelogs, never versions private workspaces, bumps peers only out of range', () => {
    expect(config.fixed).toEqual([]);
    expect(config.linked).toEqual([]);
    expect(config.changelog).toBeTruthy();
    expect(config.privatePackages).toEqual({ version: false, tag: false });
    expect(config.___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH).toMatchObject({ onlyUpdatePeerDependentsWhenOutOfRange: true });
    expect(adapters).toEqual(expect.arrayContaining(['@message-io/tcp', '@message-io/udp', '@message-io/ws', '@message-io/ipc', '@message-io/nats']));
  });

  it('the pending changesets release no package as a major, and no private workspace', async () => {
    const packages = await getPackages(root);
    const plan = assemble(await readChangesets(root), packages, await readConfig(root, packages), undefined);
    const released = plan.releases.filter((r) => r.type !== 'none');
    expect(released.filter((r) => r.type === 'major').map((r) => r.name)).toEqual([]);
    const privateNames = packages.packages.filter((p) => p.packageJson.private === true).map((p) => p.packageJson.name);
    expect(released.filter((r) => privateNames.includes(r.name))).toEqual([]);
  });

  /** The plan for one hypothetical changeset on core; `peerRange` replaces the adapters' peer range on core. */
  async function planForCore(type: 'patch' | 'minor', peerRange?: string): Promise<Release[]> {
    const packages = await getPackages(root);
    if (peerRange !== undefined) {
      for (const p of packages.packages) {
        const peers = p.packageJson.peerDependencies;
        if (peers?.['@message-io/core'] !== undefined) p.packageJson.peerDependencies = { ...peers, '@message-io/core': peerRange };
      }
    }
    const changeset = { id: 'hypothetical', summary: 'core change', releases: [{ name: '@message-io/core', type }] };
    const plan = assemble([changeset], packages, await readConfig(root, packages), undefined);
    return plan.releases.filter((r) => r.type !== 'none');
  }

  it('a core patch leaves the adapters alone (their peer range still holds)', async () => {
    const released = await planForCore('patch');
    expect(released.filter((r) => adapters.includes(r.name))).toEqual([]);
    expect(released.find((r) => r.name === '@message-io/core')?.type).toBe('patch');
  });

  it('a core minor (breaking, while 0.x) with the adapters peer ranges widened in the same change: no major anywhere', async () => {
    // docs/contributing.md, "Releasing": without the widened range, changesets would bump each
    // adapter to 1.0.0, because ^0.1.0 does not hold 0.2.0.
    const core = publishable.find(({ pkg }) => pkg.name === '@message-io/core')!.pkg.version;
    const [major, minor] = core.split('.').map(Number);
    const next = major === 0 ? `^0.${minor! + 1}.0` : `^${major}.${minor! + 1}.0`;
    const released = await planForCore('minor', major === 0 ? `^${core} || ${next}` : `^${core}`);
    expect(released.filter((r) => r.type === 'major')).toEqual([]);
    const narrow = await planForCore('minor');
    if (major === 0) expect(narrow.filter((r) => adapters.includes(r.name) && r.type === 'major').length).toBe(adapters.length);
  });
});
