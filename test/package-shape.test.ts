// Every publishable package has the same package.json shape (docs/contributing.md, convention 6), adapter
// packages match templates/adapter/package.json.hbs, every `exports` target exists after the
// build, each workspace's tsconfig.json references exactly its workspace dependencies, and
// tsconfig.typecheck.json checks the tests of every package against all of them.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Published packages that are not transports: they need not depend on core as a peer, nor match
 * the adapter template. The last two are tools for adapter authors, not adapters.
 */
const NOT_TRANSPORTS = new Set(['@message-io/core', '@message-io/node-net', 'message-io', '@message-io/adapter-testkit', '@message-io/create-adapter']);

/**
 * Keys an adapter may add to the template's: its own socket library (such as `ws`) is a run-time
 * dependency, optional when it is an accelerator (such as `bufferutil`).
 */
const OPTIONAL_ADAPTER_KEYS = new Set(['dependencies', 'optionalDependencies']);

/** The fields of package.json that this test reads. */
interface PackageJson {
  name: string;
  private?: boolean;
  type?: string;
  sideEffects?: unknown;
  license?: string;
  main?: string;
  types?: string;
  files?: string[];
  engines?: Record<string, string>;
  exports?: Record<string, unknown>;
  workspaces?: string[];
  keywords?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** One workspace of the monorepo: its folder (absolute and from the root) and package.json. */
interface Workspace {
  dir: string;
  path: string;
  pkg: PackageJson;
}

/** Reads and parses a JSON file. */
function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Parses JSON with comments and trailing commas, as tsconfig.json allows. */
function parseJsonc<T>(text: string): T {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1')) as T;
}

/** Every workspace named by the root package.json (`dir/*` patterns). */
function workspaces(): Workspace[] {
  const patterns = readJson<PackageJson>(join(root, 'package.json')).workspaces ?? [];
  const workspace = (dir: string): Workspace => ({ dir, path: relative(root, dir), pkg: readJson<PackageJson>(join(dir, 'package.json')) });
  return patterns.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) {
      const dir = join(root, pattern);
      return existsSync(join(dir, 'package.json')) ? [workspace(dir)] : [];
    }
    const parent = join(root, pattern.replace(/\/\*$/, ''));
    if (!existsSync(parent)) return [];
    return readdirSync(parent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(parent, entry.name, 'package.json')))
      .map((entry) => workspace(join(parent, entry.name)));
  });
}

/** Renders a plop template the simple way: each `{{name}}` becomes `name`'s sample value. */
function renderTemplate(file: string): Record<string, unknown> {
  const text = readFileSync(file, 'utf8').replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => `sample-${name}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Every file path that an `exports` map points at, however deeply nested its conditions are. */
function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(exportTargets);
}

/** The paths `npm pack` would put in the package's tarball. */
async function packedFiles(dir: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir });
  const [report] = JSON.parse(stdout) as { files: { path: string }[] }[];
  return report!.files.map((file) => file.path);
}

const all = workspaces();
const byName = new Map(all.map((w) => [w.pkg.name, w]));
const publishable = all.filter((w) => (w.path.startsWith('packages/') || w.path.startsWith('community/')) && w.pkg.private !== true);
/** Community adapters kept as worked examples (community/*): published under their own `message-io-*` names. */
const community = all.filter((w) => w.path.startsWith('community/'));
const adapters = publishable.filter((w) => !NOT_TRANSPORTS.has(w.pkg.name));

describe('the workspaces', () => {
  it('include the packages that exist today', () => {
    expect(publishable.map((w) => w.pkg.name)).toEqual(expect.arrayContaining(['@message-io/core', '@message-io/tcp', 'message-io']));
    expect(adapters.map((w) => w.pkg.name)).toContain('@message-io/tcp');
  });
});

describe.each(community.map((w) => [w.path, w] as const))('community adapter %s', (_path, { pkg }) => {
  it('is publishable, named message-io-*, outside the @message-io scope, found by the message-io-adapter keyword', () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.name).toMatch(/^message-io-[a-z0-9-]+$/);
    expect(pkg.keywords).toEqual(expect.arrayContaining(['message-io', 'message-io-adapter']));
  });
});

describe.each(publishable.map((w) => [w.pkg.name, w] as const))('publishable package %s', (_name, { dir, pkg }) => {
  it('is an ES module package without side effects, with a license and engines.node >=20.19', () => {
    expect(pkg.type).toBe('module');
    expect(pkg.sideEffects).toBe(false);
    expect(typeof pkg.license === 'string' && pkg.license.length > 0).toBe(true);
    expect(pkg.engines?.node).toBe('>=20.19');
  });

  it('has an exports map: "." with "types" first, and "./package.json"', () => {
    expect(pkg.exports).toBeTypeOf('object');
    const main = pkg.exports!['.'];
    expect(main).toBeTypeOf('object');
    expect(Object.keys(main as object)[0]).toBe('types');
    expect(pkg.exports!['./package.json']).toBe('./package.json');
  });

  it('points every exports target (and main, types) at a file that exists after the build', () => {
    const targets = [...exportTargets(pkg.exports), pkg.main, pkg.types].filter((t): t is string => t !== undefined);
    const missing = targets.filter((target) => !existsSync(join(dir, target)));
    expect(missing).toEqual([]);
  });

  it('lists files, and includes no tests and no build info', () => {
    expect(Array.isArray(pkg.files) && pkg.files.length > 0).toBe(true);
    const included = pkg.files!.filter((entry) => !entry.startsWith('!'));
    expect(included.filter((entry) => /(^|\/)tests?(\/|$)|\.test\.|tsbuildinfo/.test(entry))).toEqual([]);
  });

  it('packs its README and no test file or build info', async () => {
    const files = await packedFiles(dir);
    expect(files).toContain('README.md');
    expect(files.filter((file) => /(^|\/)tests?\/|\.test\.|\.tsbuildinfo$/.test(file))).toEqual([]);
  }, 60_000);
});

describe.each(adapters.map((w) => [w.pkg.name, w] as const))('transport package %s', (_name, { pkg }) => {
  it('has @message-io/core as a peer dependency, not as a dependency', () => {
    expect(pkg.peerDependencies?.['@message-io/core']).toBeTypeOf('string');
    expect(pkg.dependencies?.['@message-io/core']).toBeUndefined();
  });

  it('has the keys of templates/adapter/package.json.hbs', () => {
    const template = renderTemplate(join(root, 'templates/adapter/package.json.hbs'));
    const expected = Object.keys(template).sort();
    const actual = Object.keys(pkg)
      .filter((key) => !OPTIONAL_ADAPTER_KEYS.has(key) || key in template)
      .sort();
    // The template depends on @message-io/node-net; an adapter not on Node's `net` (Udp) need not.
    expect(actual).toEqual(expected.filter((key) => !OPTIONAL_ADAPTER_KEYS.has(key) || key in pkg));
  });
});

describe.each(all.map((w) => [w.path, w] as const))('tsconfig.json of %s', (_path, { dir, pkg }) => {
  it('references exactly its workspace dependencies', () => {
    const tsconfig = parseJsonc<{ references?: { path: string }[] }>(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
    const referenced = (tsconfig.references ?? []).map((ref) => relative(root, resolve(dir, ref.path))).sort();
    const names = new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
      ...Object.keys(pkg.devDependencies ?? {}),
      ...Object.keys(pkg.optionalDependencies ?? {}),
    ]);
    // A dev dependency that itself depends on this package (core's tests run on the testkit's memory
    // transport) is for the tests only: referencing it would make the build a cycle.
    const testOnly = (name: string): boolean => {
      const other = byName.get(name)?.pkg;
      return (
        name in (pkg.devDependencies ?? {}) && other !== undefined && [other.dependencies, other.peerDependencies].some((deps) => pkg.name in (deps ?? {}))
      );
    };
    const expected = [...names].flatMap((name) => (byName.has(name) && !testOnly(name) ? [byName.get(name)!.path] : [])).sort();
    expect(referenced).toEqual(expected);
  });
});

describe('root tsconfig.json', () => {
  it('only references, and references every workspace', () => {
    const tsconfig = parseJsonc<{ files?: unknown[]; include?: unknown[]; references?: { path: string }[] }>(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.files ?? []).toEqual([]);
    expect(tsconfig.include).toBeUndefined();
    const referenced = (tsconfig.references ?? []).map((ref) => relative(root, resolve(root, ref.path))).sort();
    expect(referenced).toEqual(all.map((w) => w.path).sort());
  });
});

describe('tsconfig.typecheck.json (npm run typecheck)', () => {
  const tsconfig = parseJsonc<{ compilerOptions?: Record<string, unknown>; include?: string[]; references?: { path: string }[] }>(
    readFileSync(join(root, 'tsconfig.typecheck.json'), 'utf8'),
  );

  it('checks, without emitting, the tests of every package, of the repository and of the examples', () => {
    expect(tsconfig.compilerOptions?.noEmit).toBe(true);
    expect(tsconfig.include).toEqual(expect.arrayContaining(['packages/*/test', 'test', 'examples/*/test']));
  });

  it('references every package, so that `tsc -b` builds what the tests import first', () => {
    const referenced = (tsconfig.references ?? []).map((ref) => relative(root, resolve(root, ref.path))).sort();
    expect(referenced).toEqual(
      all
        .filter((w) => w.path.startsWith('packages/') || w.path.startsWith('community/'))
        .map((w) => w.path)
        .sort(),
    );
  });
});
