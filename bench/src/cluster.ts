// A message-io server in node:cluster workers sharing one address, with 1 and then 2 workers in
// turn: how far the receiving side scales, and what it costs to reach a client held by another
// worker (through the primary). Reports figures; asserts nothing.
//   node dist/cluster.js [--quick] [--rounds 3]
// Jobs: 64-byte messages and 64 KiB messages, sent by one process over 8 FramedTcp or Ws
// connections for a few seconds, counted by the workers (messages a second, MB/s received in
// all); and the relay: two clients on one worker or on two, each message of one sent on to the
// other (RTT/2 of a ping-pong through the server), passed between workers through the primary
// (the cluster's IPC channel) or over Ipc connections between the workers.
// The same file is each role: `server <workers> <transport> <sink|relay|relay-ipc>` (the primary
// and its workers), `sender <transport> <addr> <size> <seconds>`, `pinger <transport> <addr> <count>`.
import cluster from 'node:cluster';
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FramedTcp, Ipc, SendStatus, split, Ws, type Endpoint, type ResourceId, type Transport } from 'message-io';

const transports: Record<string, Transport> = { 'framed-tcp': FramedTcp, ws: Ws };
const target = (transport: string, addr: string): string => (transport === 'ws' ? `ws://${addr}/` : addr);
const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
const [role, ...args] = process.argv.slice(2);
const now = (): number => performance.timeOrigin + performance.now();

/** What the primary and its workers tell each other. */
type Note =
  | { listening: string; ipc?: string }
  | { peers: string[] }
  | { ready: true }
  | { counts: { messages: number; bytes: number; first: number; last: number } }
  | { relay: Uint8Array }
  | { report: true };

/** What a server does with messages: count them, or send them on to the other clients through the primary or over Ipc. */
type Mode = 'sink' | 'relay' | 'relay-ipc';

if (role === 'server') await server(Number(args[0]), args[1]!, args[2] as Mode);
else if (role === 'sender') await sender(args[0]!, args[1]!, Number(args[2]), Number(args[3]));
else if (role === 'pinger') await pinger(args[0]!, args[1]!, Number(args[2]));
else await orchestrate();

/** The primary forks the workers and gathers their counts on "report"; a worker counts, or relays. */
async function server(workers: number, transport: string, mode: Mode): Promise<void> {
  if (cluster.isPrimary) {
    cluster.setupPrimary({ serialization: 'advanced' });
    const listening: Extract<Note, { listening: string }>[] = [];
    let ready = 0;
    let counts: Extract<Note, { counts: unknown }>['counts'][] = [];
    cluster.on('message', (from, note: Note) => {
      if ('listening' in note) {
        listening.push(note);
        if (listening.length < workers) return;
        if (mode !== 'relay-ipc') return say({ addr: note.listening });
        // Each worker connects to the others' Ipc listeners, then says it is ready.
        const peers = listening.map((l) => l.ipc!);
        for (const worker of Object.values(cluster.workers ?? {})) worker?.send({ peers } satisfies Note);
      } else if ('ready' in note) {
        if (++ready === workers) say({ addr: listening[0]!.listening });
      } else if ('relay' in note) {
        for (const worker of Object.values(cluster.workers ?? {})) if (worker !== from) worker?.send(note);
      } else if ('counts' in note) {
        counts.push(note.counts);
        if (counts.length < workers) return;
        const messages = counts.reduce((sum, c) => sum + c.messages, 0);
        const bytes = counts.reduce((sum, c) => sum + c.bytes, 0);
        const busy = counts.filter((c) => c.messages > 0);
        const ms = Math.max(...busy.map((c) => c.last)) - Math.min(...busy.map((c) => c.first));
        say({ messages, bytes, ms, perWorker: counts.map((c) => c.messages) });
        counts = [];
      }
    });
    for (let i = 0; i < workers; i++) cluster.fork();
    // "report" asks every worker for its counts; anything else stops them, and the primary with them.
    const input = createInterface({ input: process.stdin });
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
    input.on('line', (line) => {
      for (const worker of Object.values(cluster.workers ?? {})) {
        if (line === 'report') worker?.send({ report: true } satisfies Note);
        else worker?.kill();
      }
    });
    return;
  }
  const [handler, listener] = split();
  const net = handler.network();
  const { addr } = await net.listen(transports[transport]!, '127.0.0.1:0');
  const clients = new Set<Endpoint>();
  // relay-ipc: this worker's Ipc listener, and its connections to the other workers' listeners.
  let ipcListener: ResourceId | undefined;
  let ipcAddr: string | undefined;
  if (mode === 'relay-ipc') ({ id: ipcListener, addr: ipcAddr } = await net.listen(Ipc, `ipc://@mio-cluster-bench-${process.pid}`));
  const peers: Endpoint[] = [];
  const counts = { messages: 0, bytes: 0, first: 0, last: 0 };
  process.on('message', (note: Note) => {
    if ('report' in note) process.send!({ counts } satisfies Note);
    else if ('relay' in note) for (const client of clients) net.send(client, note.relay);
    else if ('peers' in note) {
      const others = note.peers.filter((peer) => peer !== ipcAddr);
      void Promise.all(others.map((peer) => net.connectAndWait(Ipc, peer))).then((connected) => {
        peers.push(...connected);
        process.send!({ ready: true } satisfies Note);
      });
    }
  });
  process.send!({ listening: addr, ...(ipcAddr !== undefined && { ipc: ipcAddr }) } satisfies Note);
  await listener.forEach((event) => {
    if (event.type === 'accepted') {
      if (event.listenerId === ipcListener) return; // another worker
      clients.add(event.endpoint);
      net.send(event.endpoint, Uint8Array.of(cluster.worker!.id));
    } else if (event.type === 'disconnected') clients.delete(event.endpoint);
    else if (event.type === 'message') {
      if (mode !== 'sink') {
        for (const client of clients) if (client !== event.endpoint) net.send(client, event.data);
        if (!clients.has(event.endpoint)) return; // from another worker: for our clients only
        if (mode === 'relay') process.send!({ relay: event.data } satisfies Note);
        else for (const peer of peers) net.send(peer, event.data);
        return;
      }
      if (counts.first === 0) counts.first = now();
      counts.last = now();
      counts.messages++;
      counts.bytes += event.data.length;
    }
  });
}

/** Floods `size`-byte messages over 8 connections for `seconds`, following backpressure. */
async function sender(transport: string, addr: string, size: number, seconds: number): Promise<void> {
  const [handler, listener] = split();
  const net = handler.network();
  const payload = new Uint8Array(size).fill(7);
  const endpoints: Endpoint[] = [];
  for (let i = 0; i < 8; i++) endpoints.push(await net.connectAndWait(transports[transport]!, target(transport, addr)));
  const until = performance.now() + seconds * 1000;
  let sent = 0;
  const pump = (endpoint: Endpoint): void => {
    for (let i = 0; i < 4096 && performance.now() < until; i++) {
      if (net.send(endpoint, payload) !== SendStatus.Sent) return; // `writable` calls us again
      sent++;
    }
    if (performance.now() < until) setImmediate(() => pump(endpoint));
  };
  for (const endpoint of endpoints) pump(endpoint);
  setTimeout(
    () => {
      say({ sent });
      handler.stop();
    },
    seconds * 1000 + 100,
  );
  await listener.forEach((event) => {
    if (event.type === 'writable') pump(event.endpoint);
  });
}

/** Two clients, A and B: A pings, B answers, both through the server's relay; prints RTT/2 and whether they share a worker. */
async function pinger(transport: string, addr: string, count: number): Promise<void> {
  const [handler, listener] = split();
  const net = handler.network();
  const a = await net.connectAndWait(transports[transport]!, target(transport, addr));
  const b = await net.connectAndWait(transports[transport]!, target(transport, addr));
  const workerOf = new Map<Endpoint, number>();
  const times: number[] = [];
  let sentAt = 0;
  const ping = (): void => {
    sentAt = performance.now();
    net.send(a, Uint8Array.of(1, 2, 3, 4));
  };
  await listener.forEach((event) => {
    if (event.type !== 'message') return;
    if (!workerOf.has(event.endpoint)) {
      workerOf.set(event.endpoint, event.data[0]!);
      if (workerOf.size === 2) ping();
      return;
    }
    if (event.endpoint === b)
      net.send(b, event.data); // B answers what A said
    else {
      times.push((performance.now() - sentAt) / 2);
      if (times.length < count) ping();
      else {
        times.sort((x, y) => x - y);
        say({ us: times[times.length >> 1]! * 1000, p99: times[Math.floor(times.length * 0.99)]! * 1000, sameWorker: workerOf.get(a) === workerOf.get(b) });
        handler.stop();
      }
    }
  });
}

/** Runs `node <this file> <args>` and resolves with the JSON lines it printed once it exits. */
function run(runArgs: string[]): { lines: () => Record<string, number | boolean | number[]>[]; exited: Promise<void>; stdin: NodeJS.WritableStream } {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...runArgs], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return {
    lines: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, number | boolean | number[]>),
    exited: new Promise((resolve) => child.on('exit', () => resolve())),
    stdin: child.stdin!,
  };
}

async function waitLine<T>(lines: () => T[], index: number): Promise<T> {
  for (let i = 0; i < 3000; i++) {
    const line = lines()[index];
    if (line !== undefined) return line;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no answer within 30 s');
}

async function orchestrate(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const at = process.argv.indexOf('--rounds');
  const rounds = at > 0 ? Number(process.argv[at + 1]) : quick ? 1 : 3;
  const seconds = quick ? 2 : 4;
  const load = (): string =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(`node:cluster, 1 and 2 workers in turn, ${rounds} round(s) of ${seconds} s; load average ${load()} at the start`);
  const rows: string[] = [];
  for (const transport of ['framed-tcp', 'ws']) {
    for (const size of [64, 65536]) {
      const figures: Record<number, number[]> = { 1: [], 2: [] };
      for (let round = 0; round < rounds; round++) {
        for (const workers of [1, 2]) {
          const srv = run(['server', String(workers), transport, 'sink']);
          const { addr } = (await waitLine(srv.lines, 0)) as unknown as { addr: string };
          const snd = run(['sender', transport, addr, String(size), String(seconds)]);
          await snd.exited;
          srv.stdin.write('report\n');
          const { messages, bytes, ms } = (await waitLine(srv.lines, 1)) as { messages: number; bytes: number; ms: number };
          srv.stdin.write('stop\n');
          await srv.exited;
          figures[workers]!.push(size === 64 ? (messages / ms) * 1000 : bytes / ms / 1000);
        }
      }
      const median = (values: number[]): number => [...values].sort((x, y) => x - y)[values.length >> 1]!;
      const unit = size === 64 ? 'messages/s' : 'MB/s';
      const [one, two] = [median(figures[1]!), median(figures[2]!)];
      const job = size === 64 ? 'rate 64 B' : 'throughput 64 KiB';
      rows.push(`| ${transport} | ${job} | ${one.toFixed(0)} ${unit} | ${two.toFixed(0)} ${unit} | ${(two / one).toFixed(2)}x |`);
      console.log(rows.at(-1));
    }
    for (const [workers, mode] of [
      [1, 'relay'],
      [2, 'relay'],
      [2, 'relay-ipc'],
    ] as const) {
      const srv = run(['server', String(workers), transport, mode]);
      const { addr } = (await waitLine(srv.lines, 0)) as unknown as { addr: string };
      const ping = run(['pinger', transport, addr, quick ? '500' : '2000']);
      await ping.exited;
      const { us, p99, sameWorker } = (await waitLine(ping.lines, 0)) as { us: number; p99: number; sameWorker: boolean };
      srv.stdin.write('stop\n');
      await srv.exited;
      const where = sameWorker ? 'on one worker' : mode === 'relay' ? 'on two workers, through the primary' : 'on two workers, over Ipc between them';
      rows.push(`| ${transport} | relay, clients ${where} | ${us.toFixed(1)} µs (p99 ${p99.toFixed(1)}) | | |`);
      console.log(rows.at(-1));
    }
  }
  console.log(`\n| transport | job | 1 worker | 2 workers | 2 / 1 |\n|---|---|---|---|---|\n${rows.join('\n')}`);
  console.log(`\nload average ${load()} at the end`);
}
