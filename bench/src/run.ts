// Runs every benchmark, ours and native in the same run, each in two processes on loopback.
// Usage: node dist/run.js [--quick] [--runs 3] [--only tcp,framed-tcp,udp] [--out file.md]
// Reports figures; asserts nothing.
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Job, Result } from './job.js';

const quick = process.argv.includes('--quick');
const argValue = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const runs = Number(argValue('runs') ?? (quick ? 1 : 3));
const only = (argValue('only') ?? 'tcp,framed-tcp,udp').split(',') as Job['transport'][];
const out = argValue('out');
const peerPath = fileURLToPath(new URL('./peer.js', import.meta.url));
const GiB = 2 ** 30;

function jobsFor(transport: Job['transport']): { label: string; job: Job }[] {
  const bulkSize = transport === 'udp' ? 65_507 : 64 * 1024;
  const bulkBytes = quick ? GiB / 16 : GiB;
  const bulk = Math.floor(bulkBytes / bulkSize);
  const small = quick ? 200_000 : 2_000_000;
  const kib = quick ? 50_000 : 500_000;
  const pings = quick ? 2_200 : 22_000;
  return [
    { label: `throughput ${transport === 'udp' ? '65,507 B' : '64 KiB'}`, job: { metric: 'throughput', transport, size: bulkSize, count: bulk, totalBytes: bulk * bulkSize } },
    { label: 'rate 64 B', job: { metric: 'rate', transport, size: 64, count: small, totalBytes: small * 64 } },
    { label: 'rate 1 KiB', job: { metric: 'rate', transport, size: 1024, count: kib, totalBytes: kib * 1024 } },
    { label: 'latency 1 B', job: { metric: 'latency', transport, size: 1, count: pings, totalBytes: pings } },
  ];
}

/** Runs one job with one implementation; resolves with the figure (MB/s, messages/s, or µs). */
async function measure(impl: 'ours' | 'native', job: Job): Promise<{ value: number; loss?: number; p99?: number }> {
  const children: ReturnType<typeof spawn>[] = [];
  const start = (role: string, extra: string[] = []): { next: (prefix: string) => Promise<string> } => {
    const child = spawn(process.execPath, [peerPath, impl, role, JSON.stringify(job), ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let buffer = '';
    const waiting: { prefix: string; resolve: (line: string) => void }[] = [];
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const at = waiting.findIndex((w) => line.startsWith(w.prefix));
        if (at >= 0) waiting.splice(at, 1)[0]!.resolve(line.slice(line.indexOf(' ') + 1));
      }
    });
    return { next: (prefix) => new Promise((resolve) => waiting.push({ prefix, resolve })) };
  };
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${impl} ${job.transport} ${job.metric} timed out`)), 120_000));
  try {
    const receiver = start('receiver');
    const result = receiver.next('RESULT');
    const addr = await Promise.race([receiver.next('ADDR'), timeout]);
    const sender = start('sender', [addr]);
    const figures = JSON.parse(await Promise.race([job.metric === 'latency' ? sender.next('RESULT') : result, timeout])) as Result;
    if (job.metric === 'latency') {
      const rtts = figures.rtts!.slice(Math.floor(job.count / 11)).sort((a, b) => a - b);
      return { value: (rtts[Math.floor(rtts.length / 2)]! / 2) * 1000, p99: (rtts[Math.floor(rtts.length * 0.99)]! / 2) * 1000 };
    }
    const seconds = figures.ms! / 1000;
    // Messages a second from bytes, so that a stream transport's chunks do not count as messages.
    const value = job.metric === 'throughput' ? figures.bytes! / seconds / 1e6 : figures.bytes! / job.size / seconds;
    return { value, loss: 1 - figures.bytes! / job.totalBytes };
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const format = (value: number, metric: Job['metric']): string =>
  metric === 'throughput' ? `${value.toFixed(0)} MB/s` : metric === 'rate' ? `${Math.round(value).toLocaleString('en')}/s` : `${value.toFixed(1)} µs`;

const rows: string[] = [];
for (const transport of only) {
  for (const { label, job } of jobsFor(transport)) {
    const figures: Record<'ours' | 'native', { value: number; loss?: number; p99?: number }[]> = { ours: [], native: [] };
    for (let run = 0; run < runs; run++) {
      for (const impl of ['native', 'ours'] as const) figures[impl].push(await measure(impl, job));
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
