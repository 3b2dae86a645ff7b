// The adapter templates (templates/) and their two renderers: plop (Handlebars), behind
// `npm run new:adapter`, and @message-io/create-adapter's own, behind `npm create @message-io/adapter`.
// Both must give the same files, and only files that hold placeholders may end in .hbs.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import nodePlop from 'node-plop';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFromRepo, outputPath, render, templateData } from '@message-io/create-adapter';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = bundleFromRepo(root);
const ranges = {
  coreRange: bundle.versions['@message-io/core'],
  nodeNetRange: bundle.versions['@message-io/node-net'],
  testkitRange: bundle.versions['@message-io/adapter-testkit'],
};
const data = templateData({ name: 'sample-link', description: 'a sample, for the test' }, ranges, '@message-io/');
const values = data as unknown as Record<string, string>;
const work = mkdtempSync(join(tmpdir(), 'mio-templates-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path).map((file) => join(name, file)) : [name];
  });
}

describe('templates/', () => {
  const entries = Object.entries(bundle.files);

  it('holds the adapter package: the 8 functions, options, README, conformance test', () => {
    const adapter = entries.map(([path]) => path).filter((path) => path.startsWith('adapter/'));
    expect(adapter).toEqual(
      expect.arrayContaining([
        'adapter/package.json.hbs',
        'adapter/tsconfig.json',
        'adapter/README.md.hbs',
        'adapter/src/adapter.ts.hbs',
        'adapter/src/{{name}}.ts.hbs',
        'adapter/src/remote.ts.hbs',
        'adapter/src/listener.ts.hbs',
        'adapter/src/options.ts.hbs',
        'adapter/test/conformance.test.ts.hbs',
      ]),
    );
    const source = entries
      .filter(([path]) => path.startsWith('adapter/src/'))
      .map(([, text]) => text)
      .join('\n');
    for (const member of ['#1', '#2', '#3', '#4', '#5', '#6', '#7', '#8'])
      expect(source).toMatch(new RegExp(`/\\*\\*\\s*\\n\\s*\\* ${member}\\. Called by the core`));
  });

  it('are what the built @message-io/create-adapter ships (dist/templates.json is up to date)', () => {
    const shipped = JSON.parse(readFileSync(join(root, 'packages/create-adapter/dist/templates.json'), 'utf8')) as typeof bundle;
    expect(shipped).toEqual(bundle);
  });

  it.each(entries)('%s: ends in .hbs exactly when it holds placeholders', (path, text) => {
    expect(path.endsWith('.hbs')).toBe(text.includes('{{'));
  });

  it.each(entries.filter(([path]) => path.endsWith('.hbs')))('%s: Handlebars (plop) and create-adapter render it the same', (path, text) => {
    expect(render(text, values, path)).toBe(Handlebars.compile(text)(values));
  });
});

describe('npm run new:adapter (plopfile.mjs)', () => {
  it('adds packages/<name> as create-adapter renders it, a changeset and the tsconfig reference', async () => {
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ files: [], references: [{ path: 'packages/core' }, { path: 'packages/message-io' }] }));
    mkdirSync(join(work, 'packages'));
    const plop = await nodePlop(join(root, 'plopfile.mjs'), { destBasePath: work, force: false });
    const result = await plop.getGenerator('adapter').runActions({ name: 'sample-link', description: 'a sample, for the test' });
    expect(result.failures).toEqual([]);

    const dir = join(work, 'packages', 'sample-link');
    const expected = filesOf('adapter/').map(([path, text]) => [outputPath(path, values), path.endsWith('.hbs') ? render(text, values, path) : text]);
    expect(filesUnder(dir).sort()).toEqual(expected.map(([path]) => path).sort());
    for (const [path, text] of expected) expect(readFileSync(join(dir, path!), 'utf8'), path).toBe(text);

    const changeset = readFileSync(join(work, '.changeset', 'sample-link-first-release.md'), 'utf8');
    expect(changeset).toContain("'@message-io/sample-link': minor");
    const tsconfig = JSON.parse(readFileSync(join(work, 'tsconfig.json'), 'utf8')) as { references: { path: string }[] };
    expect(tsconfig.references.map((ref) => ref.path)).toEqual(['packages/core', 'packages/sample-link', 'packages/message-io']);
    expect(relative(root, dir).startsWith('..')).toBe(true);
  });
});

/** The bundle's files under `prefix`, with the prefix removed from their paths. */
function filesOf(prefix: string): [string, string][] {
  return Object.entries(bundle.files).flatMap(([path, text]) => (path.startsWith(prefix) ? [[path.slice(prefix.length), text] as [string, string]] : []));
}
