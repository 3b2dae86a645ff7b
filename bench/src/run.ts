// Runs every benchmark, ours and native in the same run, each in two processes on loopback.
// Usage: node dist/run.js [--quick] [--runs 3] [--only tcp,framed-tcp,udp] [--out file.md]
// Reports figures; asserts nothing.
import { cpus, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import type { Job } from './job.js';
import { format, jobsFor, measure, median } from './measure.js';

const quick = process.argv.includes('--quick');
const argValue = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const runs = Number(argValue('runs') ?? (quick ? 1 : 3));
const only = (argValue('only') ?? 'tcp,framed-tcp,udp,ws').split(',') as Job['transport'][];
const out = argValue('out');
const rows: string[] = [];
for (const transport of only) {
  for (const { label, job } of jobsFor(transport, quick)) {
    const figures: Record<'ours' | 'native', { value: number; loss?: number; p99?: number }[]> = { ours: [], native: [] };
    for (let run = 0; run < runs; run++) {
      for (const impl of ['native', 'ours'] as const) {
        try {
          figures[impl].push(await measure(impl, job));
        } catch (error) {
          console.error(`${impl} ${transport} ${label}: ${(error as Error).message}`);
        }
      }
    }
    if (figures.ours.length === 0 || figures.native.length === 0) {
      rows.push(`| ${transport} | ${label} | failed | failed | |`);
      continue;
    }
    const cell = (impl: 'ours' | 'native'): string => {
      const values = figures[impl].map((f) => f.value);
      const loss = figures[impl].map((f) => f.loss ?? 0);
      const extra = job.metric === 'latency' ? ` (p99 ${median(figures[impl].map((f) => f.p99!)).toFixed(1)})` : transport === 'udp' ? ` (loss ${(median(loss) * 100).toFixed(1)}%)` : '';
      return `${format(median(values), job.metric)}${extra} [${format(Math.min(...values), job.metric)} – ${format(Math.max(...values), job.metric)}]`;
    };
    const ratio = median(figures.ours.map((f) => f.value)) / median(figures.native.map((f) => f.value));
    const row = `| ${transport} | ${label} | ${cell('ours')} | ${cell('native')} | ${(ratio * 100).toFixed(0)}% |`;
    rows.push(row);
    console.log(row);
  }
}
const header = [
  `Node.js ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${runs} run(s)${quick ? ', quick' : ''}.`,
  'Median [min – max]. Latency is RTT/2 (median, p99 in brackets); for latency a lower figure is better, so its ratio above 100% means slower.',
  '',
  '| transport | job | message-io | native | ours / native |',
  '|---|---|---|---|---|',
];
const table = [...header, ...rows].join('\n');
if (out !== undefined) writeFileSync(out, `${table}\n`);
console.log(`\n${table}`);
