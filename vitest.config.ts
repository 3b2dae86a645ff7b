import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One project per package that has tests: packages/<name>/test/**/*.test.ts, and the same for the
// community adapters kept as worked examples (community/<name>).
const packages = readdirSync('packages').filter((name) => existsSync(`packages/${name}/test`));
const community = existsSync('community') ? readdirSync('community').filter((name) => existsSync(`community/${name}/test`)) : [];

/**
 * Tests run from source: each entry of a workspace package (`@message-io/core`,
 * `@message-io/core/adapter`, …) resolves to the TypeScript file its `exports` target is built
 * from (`./dist/x.js` from `./src/x.ts`), so a change needs no build before its test. Only child
 * processes that a test starts (fixtures run by plain `node`) and the packaging tests use `dist`.
 */
function sourceAliases(): { find: RegExp; replacement: string }[] {
  const aliases: { find: RegExp; replacement: string }[] = [];
  for (const dir of readdirSync('packages')) {
    const pkg = JSON.parse(readFileSync(`packages/${dir}/package.json`, 'utf8')) as { name: string; exports?: Record<string, unknown> };
    for (const [entry, target] of Object.entries(pkg.exports ?? {})) {
      const built = typeof target === 'string' ? target : (target as { default?: string }).default;
      if (built === undefined || !built.startsWith('./dist/') || !built.endsWith('.js')) continue;
      const source = fileURLToPath(new URL(`packages/${dir}/src/${built.slice('./dist/'.length, -'.js'.length)}.ts`, import.meta.url));
      if (!existsSync(source)) throw new Error(`${pkg.name}: ${entry} is built from ${source}, which is missing`);
      const specifier = entry === '.' ? pkg.name : `${pkg.name}/${entry.slice(2)}`;
      aliases.push({ find: new RegExp(`^${specifier.replace(/[/.]/g, '\\$&')}$`), replacement: source });
    }
  }
  return aliases;
}

const alias = sourceAliases();

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    testTimeout: 15_000,
    hookTimeout: 15_000,
    projects: [
      ...packages.map((name) => ({
        resolve: { alias },
        test: { name, include: [`packages/${name}/test/**/*.test.ts`], testTimeout: 15_000, hookTimeout: 15_000 },
      })),
      ...community.map((name) => ({
        resolve: { alias },
        test: { name, include: [`community/${name}/test/**/*.test.ts`], testTimeout: 15_000, hookTimeout: 15_000 },
      })),
      { resolve: { alias }, test: { name: 'repo', include: ['test/**/*.test.ts', 'examples/*/test/**/*.test.ts'], testTimeout: 30_000 } },
    ],
  },
});
