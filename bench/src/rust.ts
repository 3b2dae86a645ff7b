// Bulk throughput against the Rust message-io, on an idle machine: every pairing of our peer, the
// Rust one and plain `net` (the Node reference), alternated within each round, both directions.
// Usage: node dist/rust.js --peer <program> [--rounds 3] [--count 16384] [--size 65536]
//   [--only framed-tcp,tcp] [--directions to-server,to-client] [--max-load 0.5] [--wait 300]
// The Rust peer is not part of this repository: docs/performance.md says how to build one and what
// it must print (measure.ts, ExternalPeer). Before each round the runner waits (up to --wait
// seconds) for the one-minute load average to fall to --max-load; a round that starts above it is
// measured, marked busy and left out of the verdict. Reports figures; asserts nothing.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from './job.js';
import { measurePair, median, type ExternalPeer, type Side } from './measure.js';
import { argValue } from './args.js';

const program = argValue('peer') ?? process.env.MESSAGE_IO_RUST_PEER;
if (program === undefined) {
  console.error('--peer <program>: the Rust message-io benchmark peer (see "Against the Rust message-io" in docs/performance.md)');
  process.exit(2);
}
const rounds = Number(argValue('rounds') ?? 3);
const count = Number(argValue('count') ?? 16_384);
const size = Number(argValue('size') ?? 64 * 1024);
const maxLoad = Number(argValue('max-load') ?? 0.5);
const waitSeconds = Number(argValue('wait') ?? 300);
const transports = (argValue('only') ?? 'framed-tcp,tcp').split(',') as ('tcp' | 'framed-tcp')[];
const directions = (argValue('directions') ?? 'to-server,to-client').split(',');
for (const t of transports) if (t !== 'tcp' && t !== 'framed-tcp') throw new Error(`--only: ${t} (tcp, framed-tcp)`);
for (const d of directions) if (d !== 'to-server' && d !== 'to-client') throw new Error(`--directions: ${d} (to-server, to-client)`);

const rust: ExternalPeer = { program, name: 'rust' };
/** The pairings, sender first. `native` is plain `net`, written the obvious way. */
const pairings: { label: string; sender: Side; receiver: Side }[] = [
  { label: 'rust → rust', sender: rust, receiver: rust },
  { label: 'ours → ours', sender: 'ours', receiver: 'ours' },
  { label: 'net → net', sender: 'native', receiver: 'native' },
  { label: 'ours → rust', sender: 'ours', receiver: rust },
  { label: 'rust → ours', sender: rust, receiver: 'ours' },
];

/** The share of both cores that was busy over `ms` (from /proc/stat): what other processes use while we wait. */
async function busyShare(ms: number): Promise<number> {
  const read = (): number[] => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const a = read();
  await sleep(ms);
  const b = read();
  const delta = b.map((v, i) => v - a[i]!);
  const total = delta.reduce((x, y) => x + y, 0);
  const idle = delta[3]! + delta[4]!; // idle + iowait
  return total === 0 ? 0 : 1 - idle / total;
}

/** Waits until the one-minute load average is at most `maxLoad`, for at most `waitSeconds`; tells whether it got there. */
async function waitForIdle(): Promise<boolean> {
  const until = performance.now() + waitSeconds * 1000;
  while (loadavg()[0]! > maxLoad) {
    if (performance.now() > until) return false;
    await sleep(5000);
  }
  return true;
}

/**
 * MB/s that no loopback transfer here comes near: the fastest seen is under 7,000 (ours → Rust
 * 4,028); broken measurements of the Rust peer came out at 15,237 (Tcp, Rust → Rust, 1 GiB "in"
 * 70 ms) and far above.
 */
const IMPLAUSIBLE = 10_000;

type Key = `${string} ${string}`;
const figures = new Map<Key, Map<string, number[]>>();
const idleRounds: number[] = [];
console.log(`# Bulk against the Rust message-io: ${count} × ${size} B per measurement, ${rounds} rounds, pairings alternated`);
console.log(`peer: ${program}`);
for (let round = 0; round < rounds; round++) {
  const idle = await waitForIdle();
  const busy = await busyShare(1000);
  const load = loadavg().map((l) => l.toFixed(2));
  if (idle) idleRounds.push(round);
  const busyText = `cores busy in the second before ${(busy * 100).toFixed(0)}%`;
  console.log(`\n## round ${round + 1}: load average ${load.join(' ')}, ${busyText}${idle ? '' : ' (BUSY: not compared)'}`);
  // The first transfer after the wait runs on a machine that just idled (in one series it was the
  // fastest of its round, whoever ran it): one transfer of plain `net`, not counted, takes that turn.
  const warmUp: Job = { metric: 'throughput', transport: transports[0]!, size, count, totalBytes: size * count };
  console.log(`warm-up, not counted: net → net ${(await measurePair('native', 'native', warmUp)).value.toFixed(0)} MB/s`);
  for (const transport of transports) {
    for (const direction of directions) {
      const job: Job = { metric: 'throughput', transport, size, count, totalBytes: size * count, toClient: direction === 'to-client' };
      const key: Key = `${transport} ${direction}`;
      const byPair = figures.get(key) ?? new Map<string, number[]>();
      figures.set(key, byPair);
      // A different pairing goes first in each round, so that no one always runs first or last.
      const order = pairings.map((_, i) => pairings[(i + round) % pairings.length]!);
      for (const pairing of order) {
        let { value } = await measurePair(pairing.sender, pairing.receiver, job);
        if (value > IMPLAUSIBLE) {
          // Seen from the Rust peer (1 GiB "in" 1 ms, and "in" 70 ms): a broken measurement, not a figure.
          console.log(`${key.padEnd(21)} ${pairing.label.padEnd(12)} ${value.toFixed(0)} MB/s is implausible on loopback: measured again`);
          ({ value } = await measurePair(pairing.sender, pairing.receiver, job));
        }
        const values = byPair.get(pairing.label) ?? [];
        values[round] = value;
        byPair.set(pairing.label, values);
        console.log(`${key.padEnd(21)} ${pairing.label.padEnd(12)} ${value.toFixed(0).padStart(6)} MB/s   load ${loadavg()[0]!.toFixed(2)}`);
      }
    }
  }
}

console.log(`\n## Summary: median [min – max] MB/s over all rounds; ours → ours / rust → rust per idle round`);
for (const [key, byPair] of figures) {
  console.log(`\n${key}`);
  for (const [label, values] of byPair) {
    const all = values.filter((v) => v !== undefined);
    console.log(`  ${label.padEnd(12)} ${median(all).toFixed(0).padStart(6)} [${Math.min(...all).toFixed(0)} – ${Math.max(...all).toFixed(0)}]`);
  }
  const ours = byPair.get('ours → ours')!;
  const theirs = byPair.get('rust → rust')!;
  const net = byPair.get('net → net')!;
  const ratios = idleRounds.map((r) => ours[r]! / theirs[r]!);
  const vsNet = idleRounds.map((r) => ours[r]! / net[r]!);
  if (ratios.length === 0) console.log('  no idle round: nothing compared');
  else {
    console.log(
      `  ours/rust per idle round: ${ratios.map((x) => `${x.toFixed(2)}×`).join(', ')}${ratios.every((x) => x >= 1.1) ? ' (every round ≥ 1.1×)' : ''}`,
    );
    console.log(`  ours/net per idle round:  ${vsNet.map((x) => `${x.toFixed(2)}×`).join(', ')}`);
  }
}
