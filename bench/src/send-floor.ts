// The floor under "send one message to every connection" (Tcp): how long a C server that does
// nothing but one send(2) per connection takes, against a node:net loop of `socket.write`, a
// message-io loop of `send` and a message-io group, each in a server process of its own, the four
// alternated in every series, all with the same client process (scale-client.js).
// Usage: node dist/send-floor.js [--connections 5000] [--rounds 5] [--series 3] [--size 64] [--concurrency 500]
// The C server is built from floor/send-floor.c with `cc` (left out, with the reason, when that
// fails). Reports figures; asserts nothing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue } from './args.js';
import { lines } from './lines.js';
import { median } from './measure.js';
import { FD_MARGIN, raisedLimit, spawnRaised } from './nofile.js';

const requested = Number(argValue('connections') ?? 5000);
const rounds = Number(argValue('rounds') ?? 5);
const series = Number(argValue('series') ?? 3);
const size = Number(argValue('size') ?? 64);
const concurrency = Number(argValue('concurrency') ?? 500);
const count = Math.min(requested, raisedLimit(requested + FD_MARGIN) - FD_MARGIN);

const serverPath = fileURLToPath(new URL('./send-floor-server.js', import.meta.url));
const clientPath = fileURLToPath(new URL('./scale-client.js', import.meta.url));
const floorSource = fileURLToPath(new URL('../floor/send-floor.c', import.meta.url));
/** Milliseconds one server's accepts and rounds may take before its processes are killed. */
const TIMEOUT = 120_000;

interface Contender {
  readonly label: string;
  /** The server's program and arguments before `<connections> <rounds> <size>`. */
  readonly program: string;
  readonly args: string[];
}

function buildFloor(): string | undefined {
  const program = join(mkdtempSync(join(tmpdir(), 'send-floor-')), 'send-floor');
  try {
    execFileSync('cc', ['-O2', '-o', program, floorSource], { stdio: ['ignore', 'ignore', 'pipe'] });
    return program;
  } catch (error) {
    console.log(`C floor left out: cc could not build ${floorSource} (${(error as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

const floor = buildFloor();
const contenders: Contender[] = [
  ...(floor === undefined ? [] : [{ label: 'C send(2) loop', program: floor, args: [] }]),
  { label: 'node:net loop', program: process.execPath, args: [serverPath, 'net-loop'] },
  { label: 'message-io loop', program: process.execPath, args: [serverPath, 'ours-loop'] },
  { label: 'message-io group', program: process.execPath, args: [serverPath, 'ours-group'] },
];

interface Rounds {
  readonly ms: number[];
  readonly cpuMs: number[];
  readonly sent: number[];
}

/** One server with its client: the counted rounds' figures. */
async function measure(contender: Contender): Promise<Rounds> {
  const nofile = count + FD_MARGIN;
  const server = spawnRaised(nofile, [...contender.args, String(count), String(rounds), String(size)], contender.program);
  const children = [server];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${contender.label} timed out after ${TIMEOUT / 1000} s`)), TIMEOUT);
  });
  try {
    const out = lines(server, contender.label);
    const roundLines = Array.from({ length: rounds }, () => out.next('ROUND'));
    for (const line of roundLines) line.catch(() => undefined); // awaited below
    const addr = await Promise.race([out.next('ADDR'), timeout]);
    // The client exits when its stdin ends: the pipe stays open until the rounds are over.
    children.push(spawnRaised(nofile, [clientPath, 'tcp', addr, String(count), String(concurrency), '0']));
    const figures: Rounds = { ms: [], cpuMs: [], sent: [] };
    for (const line of roundLines) {
      const [ms, cpuMs, sent] = (await Promise.race([line, timeout])).split(' ').map(Number) as [number, number, number];
      figures.ms.push(ms);
      figures.cpuMs.push(cpuMs);
      figures.sent.push(sent);
    }
    return figures;
  } finally {
    clearTimeout(timer);
    for (const child of children) child.kill('SIGKILL');
  }
}

const fixed = (n: number): string => n.toFixed(1);
const spread = (values: number[]): string => `${fixed(median(values))} [${fixed(Math.min(...values))} – ${fixed(Math.max(...values))}]`;

console.log(`# Sending one ${size}-byte message to ${count.toLocaleString('en')} Tcp connections: the floor`);
const all = new Map<string, Rounds[]>(contenders.map((c) => [c.label, []]));
for (let s = 0; s < series; s++) {
  console.log(
    `\n## series ${s + 1}: load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const contender of contenders) {
    const figures = await measure(contender);
    all.get(contender.label)!.push(figures);
    const sent = figures.sent.every((n) => n === count) ? 'all sent' : `sent ${figures.sent.join(', ')}`;
    console.log(`${contender.label.padEnd(17)} ms ${figures.ms.map(fixed).join(' ')} | CPU ms ${figures.cpuMs.map(fixed).join(' ')} | ${sent}`);
  }
}

console.log(
  `\nload average at the end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}.`,
);
console.log(
  `Time: from the first send call to the last one's return (a group: to its report); ${rounds} rounds per server after 2 uncounted ones, 200 ms apart;`,
);
console.log("median [min – max] of every round of every series; per series, the median against the node:net loop's median in that series.\n");
console.log('| way | time per round | CPU per round | / node:net loop, per series |');
console.log('|---|---|---|---|');
const net = all.get('node:net loop')!;
for (const contender of contenders) {
  const runs = all.get(contender.label)!;
  const ratios = runs.map((run, i) => `${(median(run.ms) / median(net[i]!.ms)).toFixed(2)}×`).join(', ');
  console.log(`| ${contender.label} | ${spread(runs.flatMap((r) => r.ms))} ms | ${spread(runs.flatMap((r) => r.cpuMs))} ms | ${ratios} |`);
}
