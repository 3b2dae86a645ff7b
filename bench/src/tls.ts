// FramedTcp over TLS against what an expert writes with plain `node:tls` (the same wire: a LEB128
// length before each message; the writes of a turn corked together; the frame reader of the expert
// native peer, linear in the bytes). Two processes on loopback: the receiver in a child, the sender
// here. The contenders alternate, round after round, and the load average is printed before each.
// Usage: node dist/tls.js [--rounds 3] [--quick]. Needs openssl (a self-signed certificate is made
// in a temporary folder). Reports figures; asserts nothing.
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { FramedTcp, SendStatus, split } from 'message-io';
import { encodeLength, linearFrameCounter } from './peers/native.js';
import { argValue } from './args.js';

type Impl = 'ours' | 'expert';
interface TlsJob {
  readonly name: string;
  readonly size: number;
  readonly count: number;
}
interface Pem {
  readonly cert: string;
  readonly key: string;
}

/** The receiver, in the child: listens, counts `count` messages, reports the time from the first to the last. */
async function receive(impl: Impl, job: TlsJob, pem: Pem): Promise<void> {
  let messages = 0;
  let first = 0;
  const counted = (): boolean => {
    if (first === 0) first = performance.now();
    return ++messages === job.count;
  };
  const done = (): void => {
    process.send!({ ms: performance.now() - first, messages });
    setTimeout(() => process.exit(0), 50);
  };
  if (impl === 'expert') {
    const server = createTlsServer({ cert: pem.cert, key: pem.key }, (socket: TLSSocket) => {
      socket.on(
        'data',
        linearFrameCounter(() => counted() && done()),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.send!({ port: (server.address() as { port: number }).port });
    return;
  }
  const [handler, listener] = split();
  const { addr } = await handler.network().listen(FramedTcp, '127.0.0.1:0', { tls: { cert: pem.cert, key: pem.key } });
  process.send!({ port: Number(addr.slice(addr.lastIndexOf(':') + 1)) });
  void listener.forEach((event) => {
    if (event.type === 'message' && counted()) done();
  });
}

/** The sender, here: connects and sends `count` messages as fast as backpressure lets it. */
async function send(impl: Impl, job: TlsJob, port: number, ca: string): Promise<() => void> {
  const payload = Buffer.alloc(job.size, 7);
  if (impl === 'expert') {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca });
    await new Promise<void>((resolve) => socket.once('secureConnect', resolve));
    const frame = Buffer.concat([encodeLength(job.size), payload]);
    let sent = 0;
    const pump = (): void => {
      socket.cork();
      process.nextTick(() => socket.uncork());
      while (sent < job.count) {
        sent++;
        if (!socket.write(frame)) return void socket.once('drain', pump);
      }
    };
    pump();
    return () => socket.destroy();
  }
  const [handler, listener] = split();
  const endpoint = handler.network().connect(FramedTcp, `127.0.0.1:${port}`, { tls: { ca } });
  let sent = 0;
  const pump = (): void => {
    while (sent < job.count) {
      if (handler.network().send(endpoint, payload) !== SendStatus.Sent) return;
      sent++;
    }
  };
  void listener.forEach((event) => {
    if ((event.type === 'connected' && event.ok) || event.type === 'writable') pump();
  });
  return () => handler.stop();
}

/** One measurement: a receiver child and a sender here; resolves with the receiver's figures. */
async function once(impl: Impl, job: TlsJob, pem: Pem): Promise<{ ms: number; messages: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['--receive', impl, JSON.stringify(job), JSON.stringify(pem)], { stdio: 'inherit' });
  try {
    const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
    const result = new Promise<{ ms: number; messages: number }>((resolve) => child.once('message', resolve as never));
    const stop = await send(impl, job, port, pem.cert);
    const figures = await result;
    stop();
    return figures;
  } finally {
    child.kill();
  }
}

function selfSigned(): Pem {
  const dir = mkdtempSync(join(tmpdir(), 'message-io-bench-tls-'));
  try {
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];
    const names = ['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'];
    execFileSync('openssl', [...args, ...names, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const rounds = Number(argValue('rounds') ?? (quick ? 1 : 3));
  const jobs: TlsJob[] = [
    { name: 'throughput 64 KiB', size: 64 * 1024, count: quick ? 512 : 4096 },
    { name: 'rate 64 B', size: 64, count: quick ? 100_000 : 1_000_000 },
  ];
  const pem = selfSigned();
  const figures = new Map<string, number[]>();
  for (let round = 1; round <= rounds; round++) {
    console.log(
      `round ${round} of ${rounds}; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    for (const job of jobs) {
      for (const impl of (round % 2 === 1 ? ['ours', 'expert'] : ['expert', 'ours']) as Impl[]) {
        const { ms } = await once(impl, job, pem);
        const value = job.size >= 1024 ? (job.size * job.count) / ms / 1000 : (job.count / ms) * 1000;
        const key = `${job.name}|${impl}`;
        figures.set(key, [...(figures.get(key) ?? []), value]);
        console.log(`  ${job.name}, ${impl}: ${job.size >= 1024 ? `${value.toFixed(0)} MB/s` : `${Math.round(value).toLocaleString('en')} msg/s`}`);
      }
    }
  }
  console.log('\n| job | message-io FramedTcp + TLS | expert `node:tls` | ours / expert |\n|---|---:|---:|---:|');
  for (const job of jobs) {
    const ours = median(figures.get(`${job.name}|ours`)!);
    const expert = median(figures.get(`${job.name}|expert`)!);
    const unit = job.size >= 1024 ? (v: number) => `${v.toFixed(0)} MB/s` : (v: number) => `${Math.round(v).toLocaleString('en')}/s`;
    console.log(`| ${job.name} | ${unit(ours)} | ${unit(expert)} | ${Math.round((ours / expert) * 100)}% |`);
  }
  console.log(
    `\nmedians of ${rounds} alternating rounds; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at the end`,
  );
}

if (process.argv[2] === '--receive') {
  const [, , , impl, job, pem] = process.argv;
  void receive(impl as Impl, JSON.parse(job!) as TlsJob, JSON.parse(pem!) as Pem);
} else {
  await main();
}
