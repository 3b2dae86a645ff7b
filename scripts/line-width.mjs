// Fails when a line of a file that Biome formats is longer than Biome's line width (biome.jsonc):
// the formatter cannot break a long string or comment, so this is where such a line is caught.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const config = readFileSync(new URL('../biome.jsonc', import.meta.url), 'utf8');
const width = Number(/"lineWidth":\s*(\d+)/.exec(config)?.[1]);
if (!Number.isInteger(width)) throw new Error('no formatter.lineWidth in biome.jsonc');
const files = execFileSync('git', ['ls-files', '*.ts', '*.mts', '*.mjs', '*.js'], { encoding: 'utf8' })
  .split('\n')
  .filter((file) => file !== '' && !file.startsWith('docs/api/'));
const long = [];
for (const file of files) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (line.length > width) long.push(`${file}:${index + 1}: ${line.length} characters`);
    });
}
if (long.length > 0) {
  console.error(`${long.length} line(s) over ${width} characters:\n${long.join('\n')}`);
  process.exit(1);
}
console.log(`${files.length} files, no line over ${width} characters`);
