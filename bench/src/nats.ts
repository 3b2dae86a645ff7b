// What a NATS server costs: latency and the 64-byte rate through a nats-server with message-io's
// Nats transport, against message-io's FramedTcp straight between the two processes, and against
// the NATS client used alone (what an expert writes without message-io). Reports figures; asserts
// nothing. Starts its own nats-server on 127.0.0.1 (Debian's nats-server; NATS_SERVER_PATH
// overrides where it is) and stops it.
//   node dist/nats.js [--quick] [--rounds 3]
// Each job runs in two processes, this one and a child forked from this file: the child listens
// (FramedTcp), subscribes (Nats, or the plain client) and echoes or counts; the contenders take
// turns, in a different order each round. Latency: RTT/2 of 64-byte ping-pongs, median and p99.
// Rate: 64-byte messages sent as fast as the sender may (message-io: until Backpressure, then on
// `writable`; the plain client: every publish, then one flush), counted by the child from its
// first message to its last. The plain client twice: publishing bare, and with a reply subject that
// its receiver reads, which is what message-io's endpoint sends (so that it can be answered).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { FramedTcp, Nats, SendStatus, split, type Endpoint, type NodeHandler, type Transport } from 'message-io';
import { connect, createInbox } from '@nats-io/transport-node';

type Contender = 'framed-tcp' | 'nats' | 'nats-client' | 'nats-client-reply';
type Job = 'latency' | 'rate';
/** What the child tells the parent. */
type Report = { ready: string } | { counted: number; ms: number };

const CONTENDERS: readonly Contender[] = ['framed-tcp', 'nats', 'nats-client', 'nats-client-reply'];
const SIZE = 64;
const self = fileURLToPath(import.meta.url);
const now = (): number => performance.now();

if (process.argv[2] === 'child') await child(process.argv[3] as Contender, process.argv[4] as Job, process.argv[5]!, Number(process.argv[6]));
else await orchestrate();

// ---- the child: echo (latency) or count (rate) ----

async function child(contender: Contender, job: Job, server: string, count: number): Promise<void> {
  const tell = (report: Report): void => void process.send!(report);
  let counted = 0;
  let first = 0;
  const counting = (): void => {
    if (counted++ === 0) first = now();
    if (counted === count) tell({ counted, ms: now() - first });
  };
  if (contender === 'nats-client' || contender === 'nats-client-reply') {
    const nc = await connect({ servers: server, noEcho: true });
    nc.subscribe('bench', {
      callback: (_error, msg) => {
        if (job === 'latency') msg.respond(msg.data);
        else {
          // An expert who answers reads the reply subject of each message: message-io does.
          if (contender === 'nats-client-reply' && msg.reply === undefined) return;
          counting();
        }
      },
    });
    await nc.flush();
    tell({ ready: 'bench' });
    process.once('disconnect', () => void nc.close());
    return;
  }
  const [handler, listener] = split();
  const transport: Transport = contender === 'nats' ? Nats : FramedTcp;
  const { addr } = await handler.network().listen(transport, contender === 'nats' ? `nats://${server}/bench` : '127.0.0.1:0');
  tell({ ready: addr });
  process.once('disconnect', () => handler.stop());
  await listener.forEach((event) => {
    if (event.type !== 'message') return;
    if (job === 'latency') handler.network().send(event.endpoint, event.data);
    else counting();
  });
}

// ---- the parent: one job against a child ----

interface Child {
  readonly process: ChildProcess;
  readonly ready: string;
  next(): Promise<Report>;
}

async function startChild(contender: Contender, job: Job, server: string, count: number): Promise<Child> {
  const proc = fork(self, ['child', contender, job, server, String(count)], { stdio: 'inherit' });
  const waiting: ((report: Report) => void)[] = [];
  const queued: Report[] = [];
  proc.on('message', (report: Report) => {
    const take = waiting.shift();
    if (take !== undefined) take(report);
    else queued.push(report);
  });
  const next = (): Promise<Report> => (queued.length > 0 ? Promise.resolve(queued.shift()!) : new Promise((resolve) => waiting.push(resolve)));
  const first = await next();
  if (!('ready' in first)) throw new Error('the child did not say it was ready');
  return { process: proc, ready: first.ready, next };
}

function stopChild(c: Child): Promise<void> {
  return new Promise((resolve) => {
    c.process.once('exit', () => resolve());
    c.process.disconnect();
    setTimeout(() => c.process.kill('SIGKILL'), 3_000).unref();
  });
}

/** RTT/2 in µs: median and p99 of `count` ping-pongs after a warm-up of a tenth. */
function summary(rtts: number[]): { median: number; p99: number } {
  const sorted = rtts.slice(Math.floor(rtts.length / 10)).sort((a, b) => a - b);
  return { median: (sorted[Math.floor(sorted.length / 2)]! / 2) * 1000, p99: (sorted[Math.floor(sorted.length * 0.99)]! / 2) * 1000 };
}

/** Ping-pongs with message-io (FramedTcp or Nats). */
async function oursLatency(transport: Transport, addr: string, count: number): Promise<number[]> {
  const [handler, listener] = split();
  const rtts: number[] = [];
  const ping = new Uint8Array(SIZE);
  let sentAt = 0;
  let server: Endpoint | undefined;
  const send = (h: NodeHandler<never>): void => {
    sentAt = now();
    h.network().send(server!, ping);
  };
  handler.network().connect(transport, addr);
  await listener.forEach((event) => {
    if (event.type === 'connected') {
      if (!event.ok) throw event.error;
      server = event.endpoint;
      send(handler);
    } else if (event.type === 'message') {
      rtts.push(now() - sentAt);
      if (rtts.length === count) handler.stop();
      else send(handler);
    }
  });
  return rtts;
}

/** Ping-pongs with the NATS client alone: publish with an inbox as reply subject, answer on the inbox. */
async function clientLatency(server: string, count: number): Promise<number[]> {
  const nc = await connect({ servers: server, noEcho: true });
  const inbox = createInbox();
  const rtts: number[] = [];
  const ping = new Uint8Array(SIZE);
  let sentAt = 0;
  await new Promise<void>((resolve) => {
    nc.subscribe(inbox, {
      callback: () => {
        rtts.push(now() - sentAt);
        if (rtts.length === count) return resolve();
        sentAt = now();
        nc.publish('bench', ping, { reply: inbox });
      },
    });
    void nc.flush().then(() => {
      sentAt = now();
      nc.publish('bench', ping, { reply: inbox });
    });
  });
  await nc.close();
  return rtts;
}

/** Sends `count` 64-byte messages with message-io, waiting for `writable` after a Backpressure. */
async function oursRate(transport: Transport, addr: string, count: number): Promise<void> {
  const [handler, listener] = split();
  const message = new Uint8Array(SIZE);
  let sent = 0;
  let endpoint: Endpoint | undefined;
  const pump = (): void => {
    const net = handler.network();
    while (sent < count) {
      const status = net.send(endpoint!, message);
      if (status === SendStatus.Backpressure) return;
      if (status !== SendStatus.Sent) throw new Error(`send answered ${status}`);
      sent++;
    }
    handler.stop();
  };
  handler.network().connect(transport, addr);
  await listener.forEach((event) => {
    if (event.type === 'connected') {
      if (!event.ok) throw event.error;
      endpoint = event.endpoint;
      pump();
    } else if (event.type === 'writable') pump();
  });
}

/**
 * Sends `count` 64-byte messages with the NATS client alone: every publish, then one flush. With
 * `reply`, each carries a reply subject, as message-io's endpoint sends them (so that it can be
 * answered), and the receiver reads it.
 */
async function clientRate(server: string, count: number, reply: boolean): Promise<void> {
  const nc = await connect({ servers: server, noEcho: true });
  const message = new Uint8Array(SIZE);
  const options = reply ? { reply: createInbox() } : undefined;
  for (let i = 0; i < count; i++) nc.publish('bench', message, options);
  await nc.flush();
  await nc.close();
}

async function measure(contender: Contender, job: Job, server: string, count: number): Promise<string> {
  const c = await startChild(contender, job, server, count);
  try {
    const transport = contender === 'nats' ? Nats : FramedTcp;
    if (job === 'latency') {
      const rtts = contender.startsWith('nats-client') ? await clientLatency(server, count) : await oursLatency(transport, c.ready, count);
      const { median, p99 } = summary(rtts);
      return `${median.toFixed(1)} µs (p99 ${p99.toFixed(0)})`;
    }
    const done = c.next();
    if (contender.startsWith('nats-client')) await clientRate(server, count, contender === 'nats-client-reply');
    else await oursRate(transport, c.ready, count);
    const report = await Promise.race([done, new Promise<Report>((resolve) => setTimeout(() => resolve({ counted: -1, ms: 0 }), 30_000))]);
    if (!('counted' in report) || report.counted < 0) return 'lost messages (not all counted within 30 s)';
    return `${Math.round((report.counted / report.ms) * 1000).toLocaleString('en-US')} /s`;
  } finally {
    await stopChild(c);
  }
}

// ---- the orchestration ----

function natsServerPath(): string | undefined {
  const candidates = [process.env.NATS_SERVER_PATH, '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];
  return candidates.find((path): path is string => path !== undefined && existsSync(path));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startServer(path: string): Promise<{ server: string; stop: () => void }> {
  const port = await freePort();
  const proc = spawn(path, ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    proc.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Server is ready')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${log}`)));
  });
  return { server: `127.0.0.1:${port}`, stop: () => proc.kill('SIGTERM') };
}

async function orchestrate(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const roundsAt = process.argv.indexOf('--rounds');
  const rounds = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : quick ? 1 : 3;
  const path = natsServerPath();
  if (path === undefined) {
    console.log('nats bench skipped: no nats-server (Debian package nats-server; or set NATS_SERVER_PATH)');
    return;
  }
  const { server, stop } = await startServer(path);
  const counts: Record<Job, number> = { latency: quick ? 2_000 : 20_000, rate: quick ? 100_000 : 1_000_000 };
  console.log(
    `load average at the start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const figures = new Map<string, string[]>();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const job of ['latency', 'rate'] as const) {
        // A different contender first in each round.
        const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length]!);
        for (const contender of order) {
          if (job === 'latency' && contender === 'nats-client-reply') continue; // the plain client's ping-pong has its reply subject already
          const figure = await measure(contender, job, server, counts[job]);
          const key = `${job} | ${contender}`;
          figures.set(key, [...(figures.get(key) ?? []), figure]);
          console.log(`round ${round + 1}: ${job} 64 B, ${contender}: ${figure}`);
        }
      }
    }
  } finally {
    stop();
  }
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const columns = ['message-io FramedTcp, direct', 'message-io Nats, through nats-server', 'NATS client alone', 'NATS client alone, with a reply subject'];
  console.log(`\n| job | ${columns.join(' | ')} |\n|---|${columns.map(() => '---|').join('')}`);
  for (const job of ['latency', 'rate'] as const) {
    // The latency of the plain client always uses a reply subject: one column is enough.
    const shown = job === 'latency' ? CONTENDERS.filter((c) => c !== 'nats-client-reply') : CONTENDERS;
    const cells = shown.map((c) => (figures.get(`${job} | ${c}`) ?? []).join(' / '));
    if (job === 'latency') cells.push('(same as alone)');
    console.log(`| ${job} 64 B | ${cells.join(' | ')} |`);
  }
}
