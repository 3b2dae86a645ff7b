import { existsSync, readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// One project per package that has tests: packages/<name>/test/**/*.test.ts.
const packages = readdirSync('packages').filter((name) => existsSync(`packages/${name}/test`));

export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    testTimeout: 15_000,
    hookTimeout: 15_000,
    projects: [
      ...packages.map((name) => ({
        test: { name, include: [`packages/${name}/test/**/*.test.ts`], testTimeout: 15_000, hookTimeout: 15_000 },
      })),
      { test: { name: 'repo', include: ['test/**/*.test.ts', 'examples/*/test/**/*.test.ts'], testTimeout: 30_000 } },
    ],
  },
});
