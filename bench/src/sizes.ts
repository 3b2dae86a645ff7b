// Throughput by message size, message-io against native Node written plainly and as an expert writes
// it, for each transport: a markdown table and an SVG chart (docs/performance-sizes.svg by default),
// each point measured by measure() in two processes.
// Usage: node dist/sizes.js [--quick] [--runs N] [--only tcp,framed-tcp,udp,ws] [--svg path] [--out table.md]
// Reports figures; asserts nothing.
import { writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job } from './job.js';
import { measure, median, type Figure } from './measure.js';
import { formatSize, renderSizesChart, type SizePoint } from './svg.js';
import { argValue } from './args.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** The largest Udp payload over IPv4. */
const UDP_MAX = 65_507;
const ALL: Job['transport'][] = ['tcp', 'framed-tcp', 'udp', 'ws'];
const NAMES: Record<Job['transport'], string> = { tcp: 'Tcp', 'framed-tcp': 'FramedTcp', udp: 'Udp', ws: 'Ws' };
const NATIVE_NAMES: Record<Job['transport'], string> = {
  tcp: 'net',
  'framed-tcp': 'net + LEB128 prefix',
  udp: 'dgram',
  ws: 'the ws package',
};

/**
 * How much a point moves: `volume` bytes, but at most `maxMessages` messages. Plain native sends
 * about 130,000 small messages a second, expert native and ours about 2 million: 2 million
 * messages (as in the table's rate job) keep the small sizes from being timed over a fraction of a
 * second, where start-up costs weigh.
 */
export const sizesVolume = (quick: boolean): { volume: number; maxMessages: number } =>
  quick ? { volume: 32 * MiB, maxMessages: 100_000 } : { volume: 256 * MiB, maxMessages: 2_000_000 };

/** The throughput jobs of a transport, one a message size; `quick` measures fewer sizes and smaller volumes. */
export function sizesFor(transport: Job['transport'], quick: boolean): Job[] {
  const sizes =
    transport === 'udp'
      ? quick
        ? [64, UDP_MAX]
        : [64, 256, KiB, 4 * KiB, 16 * KiB, UDP_MAX]
      : quick
        ? [64, 64 * KiB, MiB]
        : [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB];
  const { volume, maxMessages } = sizesVolume(quick);
  return sizes.map((size) => {
    const count = Math.max(1, Math.min(maxMessages, Math.floor(volume / size)));
    return { metric: 'throughput', transport, size, count, totalBytes: size * count };
  });
}

/** What runSizes measures: `quick` (fewer sizes, smaller volumes), runs per point (medians), transports. */
export interface SizesOptions {
  readonly quick?: boolean;
  /** Runs per point, each with native, expert native (not Udp) then ours; the figures are their medians. Default 1 quick, 3 full. */
  readonly runs?: number;
  readonly only?: readonly Job['transport'][];
  /** Gets a line for every point measured; default console.log. */
  readonly log?: (line: string) => void;
}

/** One transport's points, medians in MB/s, with each implementation's [min, max] across runs. */
export interface SizesSeries {
  readonly transport: Job['transport'];
  readonly points: readonly (SizePoint & {
    readonly oursRange?: [number, number];
    readonly nativeRange?: [number, number];
    readonly expertRange?: [number, number];
  })[];
}

/** Measures throughput by message size for each transport, ours and both natives; returns the markdown table and the SVG chart. */
export async function runSizes(options: SizesOptions = {}): Promise<{ table: string; svg: string; series: SizesSeries[] }> {
  const quick = options.quick ?? false;
  const runs = Math.max(1, options.runs ?? (quick ? 1 : 3));
  const only = options.only ?? ALL;
  const log = options.log ?? ((line: string): void => console.log(line));
  const load = loadavg();
  const started = performance.now();
  const series: SizesSeries[] = [];
  for (const transport of only) {
    const points: SizesSeries['points'][number][] = [];
    for (const job of sizesFor(transport, quick)) {
      const figures: Record<'ours' | 'native' | 'expert', Figure[]> = { ours: [], native: [], expert: [] };
      // Udp: dgram written by an expert is the plain one.
      const impls = transport === 'udp' ? (['native', 'ours'] as const) : (['native', 'expert', 'ours'] as const);
      for (let run = 0; run < runs; run++) {
        for (const impl of impls) {
          try {
            const figure = await measure(impl, job);
            if (Number.isFinite(figure.value) && figure.value > 0) figures[impl].push(figure);
            else log(`${impl} ${transport} ${formatSize(job.size)}: no figure (no time between first and last message received)`);
          } catch (error) {
            log(`${impl} ${transport} ${formatSize(job.size)}: ${(error as Error).message}`);
          }
        }
      }
      const summary = (impl: 'ours' | 'native' | 'expert'): { value?: number; loss?: number; range?: [number, number] } => {
        const values = figures[impl].map((f) => f.value);
        if (values.length === 0) return {};
        const loss = transport === 'udp' ? median(figures[impl].map((f) => f.loss ?? 0)) : undefined;
        return { value: median(values), loss, range: [Math.min(...values), Math.max(...values)] };
      };
      const ours = summary('ours');
      const native = summary('native');
      const expert = summary('expert');
      const point = {
        size: job.size,
        ours: ours.value,
        native: native.value,
        expert: expert.value,
        oursLoss: ours.loss,
        nativeLoss: native.loss,
        oursRange: ours.range,
        nativeRange: native.range,
        expertRange: expert.range,
      };
      points.push(point);
      log(`${transport} ${formatSize(job.size)} × ${job.count.toLocaleString('en')}: ${cells(transport, point, runs).join(', ')}`);
    }
    series.push({ transport, points });
  }
  const seconds = (performance.now() - started) / 1000;
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${platform()} ${arch()}`;
  const { volume, maxMessages } = sizesVolume(quick);
  const loadText = load.map((l) => l.toFixed(2)).join(' ');
  const about =
    `Node.js ${process.version}, ${machine}, load average ${loadText} at the start; ` +
    `median of ${runs} run(s)${quick ? ', quick' : ''}, ${seconds.toFixed(0)} s in all.`;
  const how =
    `Each point: ${formatSize(volume)} or at most ${maxMessages.toLocaleString('en')} messages, from a sender process to a receiver process on loopback; ` +
    'MB/s is 10^6 bytes a second counted at the receiver. Udp counts only the datagrams that arrived (its loss is under its panel).';
  const natives =
    `Native is Node's own modules (${ALL.map((t) => `${NAMES[t]}: ${NATIVE_NAMES[t]}`).join('; ')}), written two ways (bench/src/peers): ` +
    'plain, as most users write it (one write per message; a LEB128 reader that joins the pending bytes with each chunk), and expert ' +
    "(the writes of each event-loop turn corked together, Node's documented idiom; a frame reader linear in the bytes). Udp is the same both ways.";

  const header = [
    about,
    how,
    natives,
    '',
    ...series.flatMap(({ transport, points }) => [
      `**${NAMES[transport]}** (native: ${NATIVE_NAMES[transport]})`,
      '',
      '| size | message-io MB/s | native, plain MB/s | native, expert MB/s | ours / plain | ours / expert |',
      '|---:|---:|---:|---:|---:|---:|',
      ...points.map((point) => {
        const [oursCell, nativeCell, expertCell] = cells(transport, point, runs);
        const expertRatio = transport === 'udp' ? ratio(point.ours, point.native) : ratio(point.ours, point.expert);
        return `| ${formatSize(point.size)} | ${oursCell} | ${nativeCell} | ${expertCell} | ${ratio(point.ours, point.native)} | ${expertRatio} |`;
      }),
      '',
    ]),
  ];
  const table = header.join('\n').trimEnd();
  const svg = renderSizesChart({
    title: 'Throughput by message size: message-io against native Node, plain and expert',
    subtitle: 'One sender and one receiver process on loopback; higher is better',
    panels: series.map(({ transport, points }) => ({
      title: `${NAMES[transport]} (native: ${NATIVE_NAMES[transport]})${transport === 'udp' ? `, up to ${formatSize(UDP_MAX)}` : ''}`,
      points,
      showLoss: transport === 'udp',
    })),
    caption: [about, how, natives],
  });
  return { table, svg, series };
}

/** The table cells of a point: `1234` (loss 12.3%) [min – max], ours, native, then expert native (`= native` on Udp). */
function cells(transport: Job['transport'], point: SizesSeries['points'][number], runs: number): [string, string, string] {
  const cell = (value?: number, loss?: number, range?: [number, number]): string => {
    if (value === undefined) return 'failed';
    const lossText = transport === 'udp' && loss !== undefined ? ` (loss ${(loss * 100).toFixed(1)}%)` : '';
    const rangeText = runs > 1 && range !== undefined ? ` [${range[0].toFixed(0)} – ${range[1].toFixed(0)}]` : '';
    return `${value.toFixed(0)}${lossText}${rangeText}`;
  };
  return [
    cell(point.ours, point.oursLoss, point.oursRange),
    cell(point.native, point.nativeLoss, point.nativeRange),
    transport === 'udp' ? '= native' : cell(point.expert, undefined, point.expertRange),
  ];
}

/** `a` against `b` in percent; empty when either failed. */
const ratio = (a: number | undefined, b: number | undefined): string => (a !== undefined && b !== undefined ? `${((a / b) * 100).toFixed(0)}%` : '');

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const runs = argValue('runs') === undefined ? undefined : Number(argValue('runs'));
  if (runs !== undefined && !(Number.isInteger(runs) && runs > 0)) throw new Error('--runs takes a positive whole number');
  const only = argValue('only')?.split(',') as Job['transport'][] | undefined;
  const unknown = only?.filter((t) => !ALL.includes(t)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown transport ${unknown.join(', ')}; use ${ALL.join(',')}`);
  const svgPath = argValue('svg') ?? fileURLToPath(new URL('../../docs/performance-sizes.svg', import.meta.url));
  const out = argValue('out');
  const { table, svg } = await runSizes({ quick, runs, only });
  writeFileSync(svgPath, svg);
  if (out !== undefined) writeFileSync(out, `${table}\n`);
  console.log(`\n${table}\n\nChart written to ${svgPath}`);
}
