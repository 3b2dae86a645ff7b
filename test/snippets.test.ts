// Every TypeScript block shown in a README or a doc either is, word for word, a file's content that
// `tsc -b` compiles (the examples' sources), or compiles on its own against the built packages.
// So no snippet can rot.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const skipped = new Set(['node_modules', 'dist', '.git', '.nx', 'api']);

function walk(dir: string, keep: (name: string) => boolean, found: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (skipped.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, keep, found);
    else if (keep(name)) found.push(path);
  }
  return found;
}

const blocks = walk(root, (name) => name.endsWith('.md')).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((match, index) => ({
    where: `${relative(root, file)} #${index + 1}`,
    code: match[1]!,
  })),
);
const sources = walk(join(root, 'examples'), (name) => name.endsWith('.ts')).map((file) => readFileSync(file, 'utf8'));

describe('code shown in the documentation', () => {
  it('finds snippets to check', () => {
    expect(blocks.length).toBeGreaterThan(20);
  });

  it('is an example source word for word, or compiles on its own', { timeout: 60_000 }, () => {
    const standalone = blocks.filter((block) => !sources.some((source) => source.includes(block.code)));
    const dir = join(root, 'test', `.snippets-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      standalone.forEach((block, i) => writeFileSync(join(dir, `snippet-${i}.ts`), `${block.code}\nexport {};\n`));
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          extends: '../../tsconfig.base.json',
          // A snippet is a fragment shown to a reader: it may name a value (`const endpoint = …`)
          // that the page goes on to explain rather than use, so unused names are allowed here.
          compilerOptions: {
            noEmit: true,
            composite: false,
            declaration: false,
            isolatedDeclarations: false,
            noUnusedLocals: false,
            noUnusedParameters: false,
            types: ['node'],
            lib: ['es2023', 'dom'],
          },
          include: ['*.ts'],
        }),
      );
      let output = '';
      try {
        execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', dir], { encoding: 'utf8' });
      } catch (error) {
        output = (error as { stdout?: string }).stdout ?? String(error);
      }
      const failing = [...new Set([...output.matchAll(/snippet-(\d+)\.ts/g)].map((m) => Number(m[1])))].map((i) => standalone[i]!.where);
      expect(failing, output).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
