// The scale benchmark at several connection counts, from 1,000 to the machine's limit, drawn as
// one SVG: per connection, the server's CPU to accept and its memory (heap + external), and the
// time of one message sent to every connection (a loop, and message-io's group), message-io
// against plain node:net and `ws`. Each point is scale.ts's measurement (with --broadcast).
// Usage: node dist/scale-chart.js [--points 1000,2000,5000,10000,19900] [--runs 1] [--svg path]
// Reports figures; asserts nothing.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median } from './measure.js';
import { runScale, type Sample, type ScaleTransport } from './scale.js';
import { argValue } from './args.js';

/** One line of a panel: its label, colour, dash, and a value per connection count. */
interface Line {
  readonly label: string;
  readonly colour: string;
  readonly dash: string;
  readonly values: Map<number, number>;
}

/** One panel: what it shows, its unit, its lines. */
interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly lines: Line[];
}

const COLOURS: Record<ScaleTransport, string> = { tcp: '#1f77b4', 'framed-tcp': '#2ca02c', ws: '#d62728', ipc: '#9467bd' };
const NATIVE: Record<ScaleTransport, string> = { tcp: 'node:net', 'framed-tcp': 'node:net + LEB128', ws: 'ws', ipc: 'node:net (Unix socket)' };

const xmlText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The panels as one SVG: x is the connection count (log scale), each panel's y axis starts at 0. */
export function renderScaleChart(title: string, subtitle: string, panels: readonly Panel[], counts: readonly number[]): string {
  const width = 460;
  const height = 300;
  const left = 56;
  const top = 34;
  const plotW = width - left - 16;
  const plotH = height - top - 92;
  const svgW = width * panels.length;
  const svgH = height + 50;
  const minX = Math.log(Math.min(...counts));
  const maxX = Math.log(Math.max(...counts));
  const x = (count: number): number => left + (maxX === minX ? plotW / 2 : ((Math.log(count) - minX) / (maxX - minX)) * plotW);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${svgW}" height="${svgH}" viewBox="0 0 ${svgW} ${svgH}" font-family="sans-serif" font-size="11">`,
    `<rect width="${svgW}" height="${svgH}" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${xmlText(title)}</text>`,
    `<text x="10" y="34" fill="#555">${xmlText(subtitle)}</text>`,
  ];
  panels.forEach((panel, index) => {
    const ox = index * width;
    const oy = 40;
    const all = panel.lines.flatMap((line) => [...line.values.values()]);
    const maxY = Math.max(1e-9, ...all) * 1.1;
    const y = (value: number): number => oy + top + plotH - (value / maxY) * plotH;
    parts.push(`<g transform="translate(${ox},0)">`);
    parts.push(`<text x="${left}" y="${oy + 20}" font-weight="bold">${xmlText(panel.title)} (${xmlText(panel.unit)})</text>`);
    parts.push(`<line x1="${left}" y1="${oy + top + plotH}" x2="${left + plotW}" y2="${oy + top + plotH}" stroke="#333"/>`);
    parts.push(`<line x1="${left}" y1="${oy + top}" x2="${left}" y2="${oy + top + plotH}" stroke="#333"/>`);
    for (let tick = 0; tick <= 4; tick++) {
      const value = (maxY / 4) * tick;
      parts.push(`<line x1="${left - 3}" y1="${y(value)}" x2="${left + plotW}" y2="${y(value)}" stroke="#eee"/>`);
      parts.push(`<text x="${left - 6}" y="${y(value) + 4}" text-anchor="end">${value >= 100 ? value.toFixed(0) : value.toFixed(1)}</text>`);
    }
    for (const count of counts) {
      parts.push(`<text x="${x(count)}" y="${oy + top + plotH + 14}" text-anchor="middle">${count.toLocaleString('en')}</text>`);
    }
    parts.push(`<text x="${left + plotW / 2}" y="${oy + top + plotH + 28}" text-anchor="middle" fill="#555">connections</text>`);
    panel.lines.forEach((line, at) => {
      const points = counts.filter((count) => line.values.has(count)).map((count) => `${x(count).toFixed(1)},${y(line.values.get(count)!).toFixed(1)}`);
      if (points.length > 0) {
        parts.push(`<polyline fill="none" stroke="${line.colour}" stroke-width="2" stroke-dasharray="${line.dash}" points="${points.join(' ')}"/>`);
      }
      const lx = left + (at % 2) * (plotW / 2);
      const ly = oy + top + plotH + 44 + Math.floor(at / 2) * 14;
      parts.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${line.colour}" stroke-width="2" stroke-dasharray="${line.dash}"/>`);
      parts.push(`<text x="${lx + 26}" y="${ly}">${xmlText(line.label)}</text>`);
    });
    parts.push('</g>');
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Collects the measurements of every point, then draws them. */
async function main(): Promise<void> {
  const points = (argValue('points') ?? '1000,2000,5000,10000,19900').split(',').map(Number);
  const runs = Number(argValue('runs') ?? '1');
  const svgPath = argValue('svg') ?? fileURLToPath(new URL('../../docs/performance-scale.svg', import.meta.url));
  const transports: ScaleTransport[] = ['tcp', 'framed-tcp', 'ws'];
  const samples: { transport: ScaleTransport; impl: 'ours' | 'native'; sample: Sample; connections: number }[] = [];
  const loads: string[] = [];
  for (const point of points) {
    loads.push(loadavg()[0]!.toFixed(2));
    const table = await runScale({
      connections: point,
      runs,
      only: transports,
      broadcast: true,
      onSample: (transport, impl, sample, connections) => samples.push({ transport, impl, sample, connections }),
    });
    console.log(table.join('\n'));
  }
  const counts = [...new Set(samples.map((s) => s.connections))].sort((a, b) => a - b);
  const lineOf = (
    label: string,
    colour: string,
    dash: string,
    values: (s: Sample, connections: number) => number | undefined,
    pick: (s: (typeof samples)[number]) => boolean,
  ): Line => {
    const byCount = new Map<number, number>();
    for (const count of counts) {
      const found = samples
        .filter((s) => s.connections === count && pick(s))
        .map((s) => values(s.sample, count))
        .filter((v): v is number => v !== undefined);
      if (found.length > 0) byCount.set(count, median(found));
    }
    return { label, colour, dash, values: byCount };
  };
  const pairs = (values: (s: Sample, connections: number) => number | undefined): Line[] =>
    transports.flatMap((t) => [
      lineOf(`${t} message-io`, COLOURS[t], '', values, (s) => s.transport === t && s.impl === 'ours'),
      lineOf(`${t} ${NATIVE[t]}`, COLOURS[t], '5,4', values, (s) => s.transport === t && s.impl === 'native'),
    ]);
  const broadcastOf =
    (way: (name: string) => boolean) =>
    (sample: Sample): number | undefined => {
      const name = Object.keys(sample.broadcast?.ways ?? {}).find(way);
      return name === undefined ? undefined : median(sample.broadcast!.ways[name]!.ms);
    };
  const panels: Panel[] = [
    { title: 'accept: server CPU per connection', unit: 'µs', lines: pairs((s, n) => (s.acceptCpuMs * 1000) / n) },
    { title: 'memory per connection', unit: 'KiB heap + external', lines: pairs((s) => s.heapPerConn / 1024) },
    {
      title: 'one message to everyone',
      unit: 'ms per round',
      lines: transports.flatMap((t) => [
        lineOf(
          `${t} message-io group`,
          COLOURS[t],
          '',
          broadcastOf((n) => n.endsWith('group')),
          (s) => s.transport === t && s.impl === 'ours',
        ),
        lineOf(
          `${t} native loop`,
          COLOURS[t],
          '5,4',
          broadcastOf(() => true),
          (s) => s.transport === t && s.impl === 'native',
        ),
      ]),
    },
  ];
  const subtitle =
    `Node.js ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${runs} run(s) a point, ` +
    `load average ${loads.join(' / ')} at each point's start; solid: message-io, dashed: native.`;
  writeFileSync(svgPath, renderScaleChart('One server, from 1,000 connections to the machine’s limit', subtitle, panels, counts));
  console.log(`\nchart written to ${svgPath}`);
}

await main();
