// Writing a standalone package: its files, its package.json, and the folder rules.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../src/bundle.js';
import { scaffold } from '../src/scaffold.js';

const root = mkdtempSync(join(tmpdir(), 'mio-scaffold-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const bundle = loadBundle();

describe('scaffold', () => {
  it('writes the adapter, the standalone set-up and the first changeset', () => {
    const result = scaffold({ name: 'my-link', dir: join(root, 'a'), bundle });
    expect(result.files).toEqual(
      expect.arrayContaining([
        '.changeset/config.json',
        '.changeset/first-release.md',
        '.gitignore',
        'LICENSE',
        'README.md',
        'package.json',
        'src/adapter.ts',
        'src/index.ts',
        'src/listener.ts',
        'src/my-link.ts',
        'src/remote.ts',
        'test/conformance.test.ts',
        'tsconfig.json',
        'vitest.config.ts',
      ]),
    );
    expect(result.files.filter((file) => file.endsWith('.hbs') || (file.includes('gitignore') && file !== '.gitignore'))).toEqual([]);
    const index = readFileSync(join(result.dir, 'src/index.ts'), 'utf8');
    expect(index).toContain("export { MyLink } from './my-link.js';");
    // Named after the transport, as the first-party adapters are (ipcAdapter, IpcRemote, IpcLocal).
    expect(readFileSync(join(result.dir, 'src/my-link.ts'), 'utf8')).toContain('adapter: myLinkAdapter,');
    const adapter = readFileSync(join(result.dir, 'src/adapter.ts'), 'utf8');
    expect(adapter).toContain('export const myLinkAdapter: Adapter<MyLinkConnectOptions, MyLinkListenOptions>');
    expect(adapter).toContain('new MyLinkRemote(');
    expect(adapter).toContain('new MyLinkLocal(');
    expect(result.files.some((file) => file.includes('{{'))).toBe(false);
    expect(readFileSync(join(result.dir, '.changeset/first-release.md'), 'utf8')).toContain("'message-io-my-link': minor");
    // Its README says how to publish it as a community adapter, right before the license.
    const readme = readFileSync(join(result.dir, 'README.md'), 'utf8');
    expect(readme).toMatch(/## Publishing\n[\s\S]*`message-io-my-link`[\s\S]*message-io-adapter[\s\S]*peer dependency[\s\S]*conformance[\s\S]*## License/);
    expect(readme).not.toContain('{{');
    expect(result.files).not.toContain('README-publishing.md');
  });

  it('gives a package.json of the template shape, with its own tools and no workspace links', () => {
    const { dir } = scaffold({ name: 'shape', dir: join(root, 'b'), bundle });
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('message-io-shape');
    expect(pkg.scripts).toMatchObject({ build: 'tsc -b', test: 'vitest run', release: expect.stringContaining('changeset publish') });
    expect(pkg.peerDependencies).toEqual({ '@message-io/core': bundle.versions['@message-io/core'] });
    expect(Object.keys(pkg.devDependencies)).toEqual([
      '@changesets/cli',
      '@message-io/adapter-testkit',
      '@message-io/core',
      '@types/node',
      'typescript',
      'vitest',
    ]);
    expect(JSON.stringify(pkg)).not.toMatch(/workspace:|file:|\.\.\//);
    expect(pkg.keywords).toContain('message-io-adapter');
    const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.extends).toBeUndefined();
    expect(tsconfig.references).toBeUndefined();
  });

  it('refuses a folder that is not empty unless forced', () => {
    const dir = join(root, 'c');
    scaffold({ name: 'first', dir, bundle });
    expect(() => scaffold({ name: 'second', dir, bundle })).toThrow(/not empty/);
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    scaffold({ name: 'second', dir, bundle, force: true });
    expect(existsSync(join(dir, 'keep.txt'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name).toBe('message-io-second');
  });

  it('refuses bad answers before writing anything', () => {
    const dir = join(root, 'd');
    expect(() => scaffold({ name: 'Bad Name', dir, bundle })).toThrow(/kebab-case/);
    expect(existsSync(dir)).toBe(false);
  });
});
