// The scale benchmark: many concurrent connections to one server node, message-io against the
// plain node:net and `ws` servers. For each: the time from the first connect until the server has
// accepted them all, and the server's memory per connection after GC. Server and clients run in
// two processes, their file limit raised by the shell (Node cannot call setrlimit).
// With --broadcast, each server then sends one 64-byte message to every connection, several rounds
// per way (message-io: a loop of `send` and a group; native: a loop of `write` / `ws.send`): the
// time of each round, the server's CPU, the event loop's delay, and whether the clients got it all.
// Usage: node dist/scale.js [--connections 10000] [--runs 3] [--only tcp,framed-tcp,ws,ipc] [--quick] [--no-ping] [--concurrency 500] [--broadcast]
// Reports figures; asserts nothing.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { lines } from './lines.js';
import { FD_MARGIN, raisedLimit, spawnRaised } from './nofile.js';
import { median } from './measure.js';
import type { ClientReport } from './scale-client.js';
import type { Broadcasts, MemorySample, ScaleMemory } from './scale-server.js';
import { argValue } from './args.js';

const serverPath = fileURLToPath(new URL('./scale-server.js', import.meta.url));
const clientPath = fileURLToPath(new URL('./scale-client.js', import.meta.url));

/** The transports the scale benchmark knows. */
export type ScaleTransport = 'tcp' | 'framed-tcp' | 'ws' | 'ipc';

/** Options of {@link runScale}. */
export interface ScaleOptions {
  /** Connections to hold. Default 10,000 (1,000 with `quick`); lowered to what the file limit allows. */
  connections?: number;
  /** Runs per implementation and transport. Default 3 (1 with `quick`). */
  runs?: number;
  /** Transports to measure. Default all three. */
  only?: ScaleTransport[];
  /** Small and fast: 1,000 connections, 1 run, shorter settling. */
  quick?: boolean;
  /** Each connection carries one 16-byte message and its echo before memory is measured. Default true. */
  ping?: boolean;
  /** Connections opening at the same time. Default 500. */
  concurrency?: number;
  /** Per-measurement progress lines; default to stderr. */
  log?: (line: string) => void;
  /** Also measure sending one message to every connection: rounds per way (5, 2 with `quick`). Default off. */
  broadcast?: boolean;
  /** Called with every measurement as it is made (scale-chart.ts collects them). */
  onSample?: (transport: ScaleTransport, impl: 'ours' | 'native', sample: Sample, connections: number) => void;
}

/** The size of the message of the broadcast measurement. */
const BROADCAST_SIZE = 64;

/** One measurement of one server. */
export interface Sample {
  /** Milliseconds from the first connect to the last accept. */
  readonly acceptMs: number;
  /** The server's CPU milliseconds (user + system) from listening to the last accept. */
  readonly acceptCpuMs: number;
  /**
   * The server's CPU milliseconds from listening until every connection was accepted and, with
   * pings, echoed: the whole cost of serving them (`acceptCpuMs` may hold part of the echoes).
   */
  readonly servedCpuMs: number;
  /** Connections the system's accept queues turned away meanwhile (`ListenOverflows` of /proc/net/netstat; -1 when unknown). */
  readonly overflows: number;
  /** Bytes per connection: heapUsed + external (which includes arrayBuffers), and RSS. */
  readonly heapPerConn: number;
  readonly rssPerConn: number;
  readonly arrayBuffersPerConn: number;
  readonly heapTotalPerConn: number;
  /** With `broadcast`: the server's report, and the bytes the clients received of it (expected: connections × rounds × ways × frame). */
  readonly broadcast?: Broadcasts;
  readonly delivered?: number;
}

/** Milliseconds one measurement may take before its processes are killed. */
const MEASUREMENT_TIMEOUT = 120_000;
/** The system's count of connections turned away by full accept queues (Linux `TcpExt: ListenOverflows`), or undefined. */
function listenOverflows(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const names = lines.find((line) => line.startsWith('TcpExt:'))?.split(/\s+/);
    const values = lines.filter((line) => line.startsWith('TcpExt:'))[1]?.split(/\s+/);
    const at = names?.indexOf('ListenOverflows') ?? -1;
    return at > 0 && values !== undefined ? Number(values[at]) : undefined;
  } catch {
    return undefined;
  }
}

/** Local ports available for outgoing connections (Linux), or Infinity when unknown. */
function ephemeralPorts(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return high! - low! + 1;
  } catch {
    return Infinity;
  }
}

/** Measures one server holding `count` connections; kills both processes before returning. */
async function measureOnce(
  impl: 'ours' | 'native',
  transport: ScaleTransport,
  count: number,
  options: { ping: boolean; concurrency: number; settleMs: number; broadcastRounds: number },
): Promise<Sample> {
  const nofile = count + FD_MARGIN;
  const children: ChildProcess[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${MEASUREMENT_TIMEOUT / 1000} s`)), MEASUREMENT_TIMEOUT);
  });
  const within = <T>(promise: Promise<T>): Promise<T> => Promise.race([promise, timeout]);
  try {
    const serverProcess = spawnRaised(nofile, [
      '--expose-gc',
      serverPath,
      impl,
      transport,
      String(count),
      String(options.settleMs),
      options.broadcastRounds > 0 ? '1' : '0',
    ]);
    children.push(serverProcess);
    const server = lines(serverProcess, 'server');
    const accepted = server.next('ACCEPTED');
    accepted.catch(() => undefined);
    const addr = await within(server.next('ADDR'));
    const overflowsBefore = listenOverflows();
    const clientProcess = spawnRaised(nofile, [clientPath, transport, addr, String(count), String(options.concurrency), options.ping ? '1' : '0']);
    children.push(clientProcess);
    const client = lines(clientProcess, 'client');
    const pinged = client.next('PINGED');
    pinged.catch(() => undefined);
    const report = JSON.parse(await within(client.next('CONNECTED'))) as ClientReport;
    const [acceptedAt, acceptCpuMs] = (await within(accepted)).split(' ').map(Number) as [number, number];
    const overflowsAfter = listenOverflows();
    const overflows = overflowsBefore === undefined || overflowsAfter === undefined ? -1 : overflowsAfter - overflowsBefore;
    if (options.ping) await within(pinged);
    const result = server.next('RESULT');
    serverProcess.stdin!.write('MEASURE\n');
    const memory = JSON.parse(await within(result)) as ScaleMemory;
    const delta = (key: keyof MemorySample): number => (memory.after[key] - memory.before[key]) / count;
    let broadcast: Broadcasts | undefined;
    let delivered: number | undefined;
    if (options.broadcastRounds > 0) {
      const got = async (): Promise<number> => {
        const answer = client.next('GOT');
        clientProcess.stdin!.write('GOT\n');
        return Number(await within(answer));
      };
      const before = await got();
      const done = server.next('BROADCAST');
      serverProcess.stdin!.write(`BROADCAST ${options.broadcastRounds} ${BROADCAST_SIZE}\n`);
      broadcast = JSON.parse(await within(done)) as Broadcasts;
      await new Promise((resolve) => setTimeout(resolve, 500));
      delivered = (await got()) - before;
    }
    return {
      ...(broadcast !== undefined && { broadcast, delivered }),
      acceptMs: acceptedAt - report.start,
      acceptCpuMs,
      servedCpuMs: memory.servedCpuMs,
      overflows,
      heapPerConn: delta('heapUsed') + delta('external'),
      rssPerConn: delta('rss'),
      arrayBuffersPerConn: delta('arrayBuffers'),
      heapTotalPerConn: delta('heapTotal'),
    };
  } finally {
    clearTimeout(timer);
    for (const child of children) {
      child.stdin!.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((r) => child.once('exit', r)))));
  }
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KiB`;
const ms = (value: number): string => `${Math.round(value).toLocaleString('en')} ms`;
const spread = (values: number[], format: (value: number) => string): string =>
  `${format(median(values))} [${format(Math.min(...values))} – ${format(Math.max(...values))}]`;

const LABELS: Record<ScaleTransport, Record<'ours' | 'native', string>> = {
  tcp: { ours: 'message-io Tcp', native: 'node:net' },
  'framed-tcp': { ours: 'message-io FramedTcp', native: 'node:net + LEB128 reader' },
  ws: { ours: 'message-io Ws', native: 'ws WebSocketServer' },
  ipc: { ours: 'message-io Ipc', native: 'node:net (Unix socket) + length reader' },
};

/**
 * Runs the scale benchmark; resolves with the lines of a markdown table (a header paragraph, then
 * the table): accept time, heap + external and RSS per connection, medians with [min – max], and
 * ours / native for memory per connection.
 */
export async function runScale(options: ScaleOptions = {}): Promise<string[]> {
  const quick = options.quick ?? false;
  const runs = options.runs ?? (quick ? 1 : 3);
  const only = options.only ?? ['tcp', 'framed-tcp', 'ws', 'ipc'];
  const ping = options.ping ?? true;
  const concurrency = options.concurrency ?? 500;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const settleMs = quick ? 100 : 500;
  const broadcastRounds = options.broadcast === true ? (quick ? 2 : 5) : 0;
  const broadcastRows: string[] = [];
  const requested = options.connections ?? (quick ? 1_000 : 10_000);
  const notes: string[] = [];
  const limit = raisedLimit(requested + FD_MARGIN);
  let count = Math.min(requested, limit - FD_MARGIN, ephemeralPorts() - 1_000);
  if (count < requested) {
    const ports = ephemeralPorts();
    notes.push(
      `**Lowered to ${Math.max(count, 1).toLocaleString('en')} connections** (asked ${requested.toLocaleString('en')}): ` +
        `a child process can raise its file limit to ${limit.toLocaleString('en')}, and there are ${ports.toLocaleString('en')} local ports.`,
    );
    log(notes[notes.length - 1]!);
  }
  count = Math.max(count, 1);
  const rows: string[] = [];
  for (const transport of only) {
    const samples: Record<'ours' | 'native', Sample[]> = { ours: [], native: [] };
    for (let run = 0; run < runs; run++) {
      for (const impl of ['native', 'ours'] as const) {
        try {
          const sample = await measureOnce(impl, transport, count, { ping, concurrency, settleMs, broadcastRounds });
          samples[impl].push(sample);
          options.onSample?.(transport, impl, sample, count);
          log(
            `${transport} ${impl} run ${run + 1}/${runs}: accept ${ms(sample.acceptMs)} (CPU ${ms(sample.acceptCpuMs)}, ${sample.overflows} overflows), ` +
              (ping ? `CPU to the last echo ${ms(sample.servedCpuMs)}, ` : '') +
              `heap+external ${Math.round(sample.heapPerConn)} B (arrayBuffers ${Math.round(sample.arrayBuffersPerConn)} B), ` +
              `heapTotal ${Math.round(sample.heapTotalPerConn)} B, RSS ${Math.round(sample.rssPerConn)} B per connection`,
          );
        } catch (error) {
          log(`${transport} ${impl} run ${run + 1}/${runs}: ${(error as Error).message}`);
        }
      }
    }
    if (broadcastRounds > 0) broadcastRows.push(...broadcastTable(transport, samples, count));
    for (const impl of ['native', 'ours'] as const) {
      const got = samples[impl];
      if (got.length === 0) {
        rows.push(`| ${transport} | ${LABELS[transport][impl]} | failed | failed |${ping ? ' failed |' : ''} failed | failed | failed | |`);
        continue;
      }
      let ratio = '';
      let cpuRatio = '';
      let servedRatio = '';
      if (impl === 'ours' && samples.native.length > 0) {
        const of = (key: 'heapPerConn' | 'rssPerConn' | 'acceptCpuMs' | 'servedCpuMs'): string => {
          const ours = median(got.map((s) => s[key]));
          return `${(ours / median(samples.native.map((s) => s[key]))).toFixed(2)}×`;
        };
        ratio = `${of('heapPerConn')} / ${of('rssPerConn')}`;
        cpuRatio = ` (${of('acceptCpuMs')})`;
        servedRatio = ` (${of('servedCpuMs')})`;
      }
      const served = ping
        ? ` ${spread(
            got.map((s) => s.servedCpuMs),
            ms,
          )}${servedRatio} |`
        : '';
      const overflows = got.map((s) => s.overflows);
      rows.push(
        `| ${transport} | ${LABELS[transport][impl]} | ${spread(
          got.map((s) => s.acceptMs),
          ms,
        )} | ${spread(
          got.map((s) => s.acceptCpuMs),
          ms,
        )}${cpuRatio} |${served} ${overflows.includes(-1) ? '?' : overflows.join(', ')} | ${spread(
          got.map((s) => s.heapPerConn),
          kib,
        )} | ${spread(
          got.map((s) => s.rssPerConn),
          kib,
        )} | ${ratio} |`,
      );
    }
  }
  return [
    `Node.js ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${runs} run(s)${quick ? ', quick' : ''}.`,
    `${count.toLocaleString('en')} concurrent connections to one server on 127.0.0.1 (Ipc: on a Unix socket), opened by one client process ` +
      `(plain node:net sockets, or \`ws\` clients for Ws) at most ${concurrency} connecting at a time.` +
      (ping
        ? ' Each connection then carries one 16-byte message and its echo, on every server alike, before memory is measured.'
        : ' The connections stay idle.'),
    [
      'Accept time: from the first connect to the last `accepted` (message-io) or `connection` (native) event;',
      "accept CPU: the server process's user + system time from listening to then (ours / native in brackets);",
      ...(ping
        ? [
            'CPU to the last echo: the same until every connection was accepted and echoed, the whole cost of serving them (accept CPU',
            'holds the echoes the server did before its last accept, which varies with how it interleaves the two);',
          ]
        : []),
      'overflows: connection attempts the system turned away from full accept queues meanwhile (`ListenOverflows`), per run.',
      'Memory: the server process after GC, all connections open, minus before listening, divided by the connections;',
      'heap+external is heapUsed + external (external includes arrayBuffers). Median [min – max]; ours / native is heap+external / RSS.',
    ].join(' '),
    ...notes,
    '',
    `| transport | server | accept time | accept CPU |${ping ? ' CPU to the last echo |' : ''} overflows | heap+external per conn | RSS per conn |` +
      ' ours / native memory |',
    `|---|---|---|---|${ping ? '---|' : ''}---|---|---|---|`,
    ...rows,
    ...(broadcastRows.length === 0
      ? []
      : [
          '',
          `Sending one ${BROADCAST_SIZE}-byte message to every connection, ${broadcastRounds} rounds per way and run after 2 uncounted ones, ` +
            'the ways alternated in one server process, 200 ms apart. Time: from the first send call to the last one returning (a group: to its ' +
            'report), and the writes held back to the end of the turn (Ipc) made; ' +
            "CPU: the server process's user + system time in the round; delay: the event loop's delay from the round's start to 100 ms " +
            'after it (monitorEventLoopDelay, 1 ms resolution), the largest p99 and max of any round; delivered: the bytes the client process ' +
            'received of all rounds (uncounted ones included), against what was sent.',
          '',
          '| transport | way | time per round | CPU per round | event-loop delay p99 / max | time / native loop | delivered |',
          '|---|---|---|---|---|---|---|',
          ...broadcastRows,
        ]),
  ];
}

/** The bytes one message of `size` takes on the wire of `transport`, as the client counts them (Ws: the payload). */
function frameSize(transport: ScaleTransport, size: number): number {
  return transport === 'framed-tcp' ? size + 1 : transport === 'ipc' ? size + 4 : size;
}

/** The rows of the broadcast table for one transport: each way's median round [min – max] over every run. */
function broadcastTable(transport: ScaleTransport, samples: Record<'ours' | 'native', Sample[]>, count: number): string[] {
  const ways = new Map<string, { ms: number[]; cpuMs: number[]; p99: number[]; max: number[]; delivered: boolean[] }>();
  for (const impl of ['native', 'ours'] as const) {
    for (const sample of samples[impl]) {
      const report = sample.broadcast;
      if (report === undefined) continue;
      const names = Object.keys(report.ways);
      const rounds = report.ways[names[0]!]!.ms.length + 2; // the 2 uncounted rounds were delivered too
      const expected = count * rounds * names.length * frameSize(transport, BROADCAST_SIZE);
      for (const name of names) {
        const way = report.ways[name]!;
        let entry = ways.get(name);
        if (entry === undefined) ways.set(name, (entry = { ms: [], cpuMs: [], p99: [], max: [], delivered: [] }));
        entry.ms.push(...way.ms);
        entry.cpuMs.push(...way.cpuMs);
        entry.p99.push(way.delayP99);
        entry.max.push(way.delayMax);
        entry.delivered.push(sample.delivered === expected && way.sent.every((n) => n === count));
      }
    }
  }
  const native = [...ways.entries()].find(([name]) => !name.startsWith('message-io'))?.[1];
  const fixed = (value: number): string => `${value.toFixed(1)} ms`;
  return [...ways.entries()].map(([name, way]) => {
    const ratio = native === undefined || native === way ? '' : `${(median(way.ms) / median(native.ms)).toFixed(2)}×`;
    return (
      `| ${transport} | ${name} | ${spread(way.ms, fixed)} | ${spread(way.cpuMs, fixed)} | ${fixed(Math.max(...way.p99))} / ${fixed(Math.max(...way.max))} | ` +
      `${ratio} | ${way.delivered.every(Boolean) ? 'all' : 'NOT all'} |`
    );
  });
}

const isMain = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const number = (name: string): number | undefined => (argValue(name) === undefined ? undefined : Number(argValue(name)));
  const options: ScaleOptions = {
    quick: process.argv.includes('--quick'),
    ping: !process.argv.includes('--no-ping'),
    broadcast: process.argv.includes('--broadcast'),
  };
  const connections = number('connections');
  const runs = number('runs');
  const concurrency = number('concurrency');
  if (connections !== undefined) options.connections = connections;
  if (runs !== undefined) options.runs = runs;
  if (concurrency !== undefined) options.concurrency = concurrency;
  const only = argValue('only');
  if (only !== undefined) options.only = only.split(',') as ScaleTransport[];
  const started = performance.now();
  const table = await runScale(options);
  console.log(`\n${table.join('\n')}`);
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
