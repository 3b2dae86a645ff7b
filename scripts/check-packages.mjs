// `npm run check:packages` (after `npm run build`): checks what each publishable package would
// publish, as a consumer's tools will see it.
//
//   publint --strict <dir>   package.json against the packed files: exports, main, types, files,
//                            "type"; warnings count as errors.
//   attw <tarball>           @arethetypeswrong/cli: the types that TypeScript resolves for every
//                            entry point (".", "./adapter", ...) in each module resolution mode,
//                            on the tarball `npm pack` makes (packed into a temporary folder).
//
// Publishable: every workspace under packages/ whose package.json is not `"private": true` (as in
// test/package-shape.test.ts). Each package is checked in turn, one tool after the other; every
// problem is printed, then one line per package that failed, and the exit status is 1 if any did.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);

// What attw is told to leave out, and why. Our packages are ES modules only ("type": "module", no
// CommonJS build, by design), so:
// - `--profile node16` leaves out the node10 resolution (TypeScript's `moduleResolution: node`).
//   It predates `exports` and finds no subpath entry such as `@message-io/core/adapter`; a project
//   resolving that way cannot load an ESM-only package anyway. Consumers resolve with nodenext or
//   bundler (test/packaging.test.ts compiles one of each), which attw still checks.
// - `--ignore-rules cjs-resolves-to-esm`: a CommonJS file that `require`s one of our packages gets
//   an ES module. That is what an ESM-only package is (Node.js from 20.19, our engines floor, loads
//   it with require(), as any version does with import()), not a mistake in our types.
// Every other rule, and these resolutions, still fail the check.
const ATTW_OPTIONS = ['--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm'];

/** Every publishable workspace under packages/: folder and name. */
function publishable() {
  const dir = join(root, 'packages');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'package.json')))
    .map((entry) => ({ dir: join(dir, entry.name), pkg: JSON.parse(readFileSync(join(dir, entry.name, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => pkg.private !== true)
    .map(({ dir, pkg }) => ({ dir, name: pkg.name }));
}

/** Runs `command` with its output shown; true when it exits 0. */
function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.error) console.error(`${command}: ${result.error.message}`);
  return result.status === 0;
}

/** Packs the package at `dir` into `into` (no lifecycle scripts); returns the tarball's path. */
function pack(dir, into) {
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', into], { cwd: dir, encoding: 'utf8' });
  const [report] = JSON.parse(out);
  return join(into, report.filename);
}

const packages = publishable();
const failed = [];
const work = mkdtempSync(join(tmpdir(), 'mio-check-packages-'));
try {
  for (const { dir, name } of packages) {
    console.log(`\n=== ${name}`);
    const problems = [];
    if (!run(bin('publint'), ['run', '--strict', dir], root)) problems.push('publint');
    let tarball;
    try {
      tarball = pack(dir, work);
    } catch (error) {
      console.error(`npm pack failed: ${error.message}`);
      problems.push('npm pack');
    }
    if (tarball !== undefined && !run(bin('attw'), [tarball, ...ATTW_OPTIONS], root)) problems.push('attw');
    if (problems.length > 0) failed.push(`${name} (${problems.join(', ')})`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log('');
if (failed.length > 0) {
  console.log(`check:packages: problems in ${failed.length} of ${packages.length} packages: ${failed.join('; ')}`);
  process.exit(1);
}
console.log(`check:packages: ${packages.length} packages, no problem found by publint or attw`);
