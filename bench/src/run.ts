// Runs every benchmark, ours and native in the same run, and socket.io and zeromq on the jobs they do
// the same way (socket.io Ws's, zeromq FramedTcp's), each in two processes on loopback; then the
// 10,000-connection scale run (scale.ts) and throughput by message size with its chart (sizes.ts).
// Usage: node dist/run.js [--quick] [--runs 3] [--only tcp,framed-tcp,udp,ws]
//   [--peers all|none|socket.io,zeromq] [--sections table,scale,sizes] [--out file.md] [--svg file.svg]
// --quick is a smoke run of under 2 minutes: smaller jobs, 1 run, 1,000 connections, 3 sizes.
// The chart is written to --svg, by default docs/performance-sizes.svg (not in a quick run).
// Reports figures; asserts nothing.
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Impl, Job } from './job.js';
import { doesJob, doesJobsOf, format, jobsFor, measure, median, thirdParty, unavailable, type Figure } from './measure.js';
import { runScale, type ScaleTransport } from './scale.js';
import { runSizes } from './sizes.js';
import { argValue } from './args.js';

type Peer = keyof typeof thirdParty;

const quick = process.argv.includes('--quick');
const runs = Number(argValue('runs') ?? (quick ? 1 : 3));
const only = (argValue('only') ?? 'tcp,framed-tcp,udp,ws').split(',') as Job['transport'][];
const out = argValue('out');
const sections = (argValue('sections') ?? 'table,scale,sizes').split(',');
for (const section of sections) {
  if (!['table', 'scale', 'sizes'].includes(section)) {
    console.error(`--sections: unknown section ${section} (table, scale, sizes)`);
    process.exit(2);
  }
}
const svgPath = argValue('svg') ?? (quick ? undefined : fileURLToPath(new URL('../../docs/performance-sizes.svg', import.meta.url)));
const started = performance.now();
// The load from other processes, before and after: the machine is shared and figures move with it.
const loadText = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadAtStart = loadText();
const peersArg = argValue('peers') ?? 'all';
const known = Object.keys(thirdParty) as Peer[];
const asked = peersArg === 'all' ? known : peersArg === 'none' ? [] : (peersArg.split(',') as Peer[]);
for (const peer of asked) {
  if (!known.includes(peer)) {
    console.error(`--peers: unknown peer ${peer} (all, none, or some of ${known.join(',')})`);
    process.exit(2);
  }
}
// A peer is measured only if it does some job of the transports run, and loads here (zeromq is optional).
const notes: string[] = [];
const peers: Peer[] = [];
for (const peer of asked.filter((p) => only.some((t) => doesJobsOf(p, t)))) {
  const why = await unavailable(peer);
  if (why === undefined) peers.push(peer);
  else {
    notes.push(`${peer} skipped: ${why}`);
    console.log(notes.at(-1));
  }
}
const require = createRequire(import.meta.url);
const versions = peers.map((p) => `${p} ${(require(`${p}/package.json`) as { version: string }).version}`);

const pct = (a: Figure[], b: Figure[]): string =>
  a.length === 0 || b.length === 0 ? '—' : `${((median(a.map((f) => f.value)) / median(b.map((f) => f.value))) * 100).toFixed(0)}%`;
const rows: string[] = [];
for (const transport of sections.includes('table') ? only : []) {
  for (const { label, job } of jobsFor(transport, quick)) {
    // Alternated within each run: native, expert native, ours, borrowing, then the third parties.
    const impls: Impl[] = [
      'native',
      ...(doesJob('expert', job) ? (['expert'] as const) : []),
      'ours',
      ...(doesJob('borrowed', job) ? (['borrowed'] as const) : []),
      ...peers.filter((p) => doesJob(p, job)),
    ];
    const figures = new Map<Impl, Figure[]>(impls.map((impl) => [impl, []]));
    for (let run = 0; run < runs; run++) {
      for (const impl of impls) {
        try {
          figures.get(impl)!.push(await measure(impl, job));
        } catch (error) {
          console.error(`${impl} ${transport} ${label}: ${(error as Error).message}`);
        }
      }
    }
    const of = (impl: Impl): Figure[] => figures.get(impl) ?? [];
    const cell = (impl: Impl): string => {
      if (impl === 'expert' && transport === 'udp') return '= native';
      if (!figures.has(impl)) return '—';
      if (of(impl).length === 0) return 'failed';
      const values = of(impl).map((f) => f.value);
      const loss = of(impl).map((f) => f.loss ?? 0);
      const extra =
        job.metric === 'latency'
          ? ` (p99 ${median(of(impl).map((f) => f.p99!)).toFixed(1)})`
          : transport === 'udp'
            ? ` (loss ${(median(loss) * 100).toFixed(1)}%)`
            : '';
      return `${format(median(values), job.metric)}${extra} [${format(Math.min(...values), job.metric)} – ${format(Math.max(...values), job.metric)}]`;
    };
    // Udp: dgram written by an expert is the plain one, so ours / expert is ours / native.
    const expert: Impl = transport === 'udp' ? 'native' : 'expert';
    const cells = [
      cell('ours'),
      cell('borrowed'),
      cell('native'),
      cell('expert'),
      ...peers.map(cell),
      pct(of('ours'), of('native')),
      pct(of('ours'), of(expert)),
      pct(of('borrowed'), of('native')),
      pct(of('borrowed'), of(expert)),
      ...peers.map((p) => pct(of('ours'), of(p))),
    ];
    const row = `| ${transport} | ${label} | ${cells.join(' | ')} |`;
    rows.push(row);
    console.log(row);
  }
}
const columns = [
  'transport',
  'job',
  'message-io',
  'message-io, borrowing',
  'native, plain',
  'native, expert',
  ...peers,
  'ours / plain',
  'ours / expert',
  'borrowing / plain',
  'borrowing / expert',
  ...peers.map((p) => `ours / ${p}`),
];
const header = [
  [
    `Node.js ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'},`,
    `load average (1, 5, 15 min) ${loadAtStart} at the start and ${loadText()} at the end of the table,`,
    `${runs} run(s)${quick ? ', quick' : ''}${versions.length > 0 ? `; ${versions.join(', ')}` : ''}.`,
  ].join(' '),
  'Median [min – max]. Latency is RTT/2 (median, p99 in brackets); for latency a lower figure is better, so its ratio above 100% means slower.',
  [
    '"message-io" is the default (received messages are the user\'s); "borrowing" opts in to `reuseReceiveBuffer: true` on the receiving side',
    '(messages lent from a reused buffer; Ws lends on accepted connections only, Udp never).',
  ].join(' '),
  [
    '"native, plain" is Node\'s own modules as most users write them (one `write` per message; a LEB128 reader that joins the pending bytes',
    'with each chunk); "native, expert" as an expert does (the writes of each event-loop turn corked together, Node\'s documented idiom, also',
    'under `ws`; a frame reader linear in the bytes). Udp is the same both ways (bench/src/peers).',
  ].join(' '),
  ...(peers.length > 0 ? ['"—": that library does not do this transport\'s job (socket.io does those of Ws, zeromq those of FramedTcp).'] : []),
  ...notes.map((note) => `${note}.`),
  '',
  `| ${columns.join(' | ')} |`,
  `|${columns.map(() => '---|').join('')}`,
];
const report: string[] = [];
if (sections.includes('table')) report.push([...header, ...rows].join('\n'));
// The scale section measures every connection-oriented transport; Ipc, which the table leaves out, with the others unless --only names some.
const scaleOnly: ScaleTransport[] = [
  ...only.filter((t): t is Exclude<Job['transport'], 'udp'> => t !== 'udp'),
  ...(argValue('only') === undefined ? (['ipc'] as const) : []),
];
if (sections.includes('scale') && scaleOnly.length > 0) {
  console.log('\nScale: concurrent connections and memory per connection');
  report.push((await runScale({ quick, only: scaleOnly, ...(argValue('runs') !== undefined && { runs }) })).join('\n'));
}
if (sections.includes('sizes')) {
  console.log('\nThroughput by message size');
  const { table, svg } = await runSizes({ quick, runs, only });
  report.push(table);
  if (svgPath !== undefined) {
    writeFileSync(svgPath, svg);
    report.push(`Chart written to ${svgPath}.`);
  }
}
report.push(`Took ${((performance.now() - started) / 1000).toFixed(0)} s; load average ${loadText()} at the end.`);
const text = report.join('\n\n');
if (out !== undefined) writeFileSync(out, `${text}\n`);
console.log(`\n${text}`);
