// The measuring half of the benchmark runner, importable: the jobs of each transport, and one
// measurement of a job in two processes (receiver and sender) on loopback. run.ts prints them all;
// examples/throughput imports them.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Impl, Job, Result } from './job.js';
import { lines } from './lines.js';

export type { Impl, Job } from './job.js';

const peerPath = fileURLToPath(new URL('./peer.js', import.meta.url));
const GiB = 2 ** 30;

/** One measurement: MB/s (throughput), messages/s (rate) or µs (latency); Udp's loss; latency's p99. */
export interface Figure {
  readonly value: number;
  readonly loss?: number;
  readonly p99?: number;
}

/** The jobs measured for a transport: bulk throughput, small-message rates and latency. `quick` makes them smaller. */
export function jobsFor(transport: Job['transport'], quick: boolean): { label: string; job: Job }[] {
  const bulkSize = transport === 'udp' ? 65_507 : 64 * 1024;
  const bulkBytes = quick ? GiB / 16 : GiB;
  const bulk = Math.floor(bulkBytes / bulkSize);
  const small = quick ? 200_000 : 2_000_000;
  const kib = quick ? 50_000 : 500_000;
  const pings = quick ? 2_200 : 22_000;
  const bulkJob: Job = { metric: 'throughput', transport, size: bulkSize, count: bulk, totalBytes: bulk * bulkSize };
  // Tcp and FramedTcp read differently on the two sides (an outgoing connection reuses one receive buffer): both directions.
  const download =
    transport === 'tcp' || transport === 'framed-tcp' ? [{ label: 'throughput 64 KiB, to the client', job: { ...bulkJob, toClient: true } }] : [];
  // Udp: also paced at offered loads that both receivers may or may not keep up with, so that ours
  // and native are compared at the same offered load (the unpaced job loses most datagrams).
  const pacedCount = Math.floor((quick ? GiB / 16 : GiB / 4) / bulkSize);
  const paced =
    transport !== 'udp'
      ? []
      : (quick ? [200] : [200, 400, 600]).map((mbps) => ({
          label: `throughput 65,507 B, offered ${mbps} MB/s`,
          job: { ...bulkJob, count: pacedCount, totalBytes: pacedCount * bulkSize, paced: mbps * 1e6 },
        }));
  return [
    { label: `throughput ${transport === 'udp' ? '65,507 B' : '64 KiB'}${download.length > 0 ? ', to the server' : ''}`, job: bulkJob },
    ...download,
    ...paced,
    { label: 'rate 64 B', job: { metric: 'rate', transport, size: 64, count: small, totalBytes: small * 64 } },
    { label: 'rate 1 KiB', job: { metric: 'rate', transport, size: 1024, count: kib, totalBytes: kib * 1024 } },
    { label: 'latency 1 B', job: { metric: 'latency', transport, size: 1, count: pings, totalBytes: pings } },
  ];
}

/** The third-party peers of the performance targets (docs/performance.md), each with the transports whose jobs it does the same way. */
export const thirdParty: Readonly<Record<'socket.io' | 'zeromq', readonly Job['transport'][]>> = {
  'socket.io': ['ws'],
  zeromq: ['framed-tcp'],
};

/** Ours, in either receive mode. */
const isOurs = (impl: Impl): boolean => impl === 'ours' || impl === 'borrowed';

/** Node's own modules, either way. */
const isNative = (impl: Impl): boolean => impl === 'native' || impl === 'expert';

/**
 * Whether `impl` does the jobs of `transport`; ours and native do them all (borrowing: all but
 * Udp's, which never lends; expert: all but Udp's, which it would do exactly as plain native).
 */
export const doesJobsOf = (impl: Impl, transport: Job['transport']): boolean =>
  impl === 'borrowed' || impl === 'expert' ? transport !== 'udp' : impl === 'ours' || impl === 'native' || thirdParty[impl].includes(transport);

/** Whether `impl` does `job`: third parties do no download (`toClient`) job. */
export const doesJob = (impl: Impl, job: Job): boolean => doesJobsOf(impl, job.transport) && (job.toClient !== true || isOurs(impl) || isNative(impl));

/** Why `impl` cannot run here (zeromq not installed, or its native addon not loading), in one line; undefined if it can. */
export async function unavailable(impl: Impl): Promise<string | undefined> {
  if (impl !== 'zeromq') return undefined;
  try {
    await (await import('./peers/zeromq.js')).load();
    return undefined;
  } catch (error) {
    return String(error instanceof Error ? error.message : error).split('\n')[0];
  }
}

/**
 * A peer program that is not part of this repository (the Rust message-io's, in rust.ts): run as
 * `<program> <receiver|sender> <transport> <size> <count> <toClient 0|1> [addr]`, it prints the same
 * `ADDR <addr>` and `RESULT <json>` lines as peer.js. Throughput jobs only.
 */
export interface ExternalPeer {
  readonly program: string;
  readonly name: string;
}

/** Who does one side of a job: one of ours, Node's or a third party's (peer.js), or an outside program. */
export type Side = Impl | ExternalPeer;

const sideName = (side: Side): string => (typeof side === 'string' ? side : side.name);

/** Runs one job with one implementation; resolves with the figure (MB/s, messages/s, or µs). */
export const measure = (impl: Impl, job: Job): Promise<Figure> => measurePair(impl, impl, job);

/** Runs one job with a sender and a receiver that may differ (they must speak the same wire format). */
export async function measurePair(senderSide: Side, receiverSide: Side, job: Job): Promise<Figure> {
  for (const side of [senderSide, receiverSide]) {
    if (typeof side === 'string' && !doesJob(side, job)) throw new Error(`${side} does not do this ${job.transport} job`);
    if (typeof side !== 'string' && job.metric !== 'throughput') throw new Error(`${side.name} does throughput jobs only`);
  }
  const children: ReturnType<typeof spawn>[] = [];
  const start = (role: 'sender' | 'receiver', extra: string[] = []): { next: (prefix: string) => Promise<string> } => {
    const side = role === 'sender' ? senderSide : receiverSide;
    const child =
      typeof side === 'string'
        ? spawn(process.execPath, [peerPath, side, role, JSON.stringify(job), ...extra], { stdio: ['ignore', 'pipe', 'inherit'] })
        : spawn(side.program, [role, job.transport, String(job.size), String(job.count), job.toClient ? '1' : '0', ...extra], {
            stdio: ['ignore', 'pipe', 'inherit'],
          });
    children.push(child);
    return lines(child, `${sideName(side)} ${role}`);
  };
  const impl = senderSide === receiverSide ? sideName(senderSide) : `${sideName(senderSide)} → ${sideName(receiverSide)}`;
  const known = (side: Side): boolean => typeof side !== 'string' || isOurs(side) || isNative(side);
  let timer: ReturnType<typeof setTimeout> | undefined;
  // socket.io does some tens of thousands of small messages a second, fewer under load: its 2 million can take minutes.
  const limit = known(senderSide) && known(receiverSide) ? 120_000 : 600_000;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${impl} ${job.transport} ${job.metric} timed out`)), limit);
  });
  try {
    let result: Promise<string>;
    let sender: { next: (prefix: string) => Promise<string> };
    if (job.toClient) {
      // A download: the sender listens, the receiver connects to it.
      sender = start('sender');
      const addr = await Promise.race([sender.next('ADDR'), timeout]);
      result = start('receiver', [addr]).next('RESULT');
      result.catch(() => undefined); // awaited below; a peer that exits first must not be an unhandled rejection
    } else {
      const receiver = start('receiver');
      result = receiver.next('RESULT');
      result.catch(() => undefined); // awaited below
      const addr = await Promise.race([receiver.next('ADDR'), timeout]);
      sender = start('sender', [addr]);
    }
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
    clearTimeout(timer);
    for (const child of children) child.kill('SIGKILL');
  }
}

/** The median of some figures. */
export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
/** A figure with its unit: `1234 MB/s`, `2,000,000/s`, `21.5 µs`. */
export const format = (value: number, metric: Job['metric']): string =>
  metric === 'throughput' ? `${value.toFixed(0)} MB/s` : metric === 'rate' ? `${Math.round(value).toLocaleString('en')}/s` : `${value.toFixed(1)} µs`;
