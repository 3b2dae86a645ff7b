// The socket's send queue, for real: on loopback the system always takes a datagram at once, so
// these tests make two network namespaces joined by a veth pair (as root, deleted after) and slow
// the sender's side down with a token bucket (`tc ... tbf`), which fills the system's send buffer
// and makes Node queue datagrams. The nodes run inside the namespaces (`ip netns exec`,
// test/fixtures/queue-node.mjs, on the built packages). Skipped with a printed reason where
// namespaces cannot be made (not root, no iproute2) and CI is not set.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../test/support/peers.js';

const fixture = fileURLToPath(new URL('./fixtures/queue-node.mjs', import.meta.url));
const sender = `mio-qs-${process.pid}`;
const receiver = `mio-qr-${process.pid}`;
const FROM = '10.99.0.1';
const TO = '10.99.0.2';
const COUNT = 300;
const SIZE = 1000;

const run = promisify(execFile);
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', timeout: 10_000 });

interface Report {
  sent: number;
  backpressure: number;
  writable: number;
  maxBuffered: number;
  other: string[];
  left: number;
}

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
});

interface Received {
  readonly index: number;
  readonly whole: boolean;
}

/** A plain dgram receiver in the receiving namespace; resolves once it is bound, with what it will have received. */
async function receive(port: number): Promise<{ got: Promise<Received[]> }> {
  const child = spawn('ip', ['netns', 'exec', receiver, process.execPath, fixture, 'receiver', TO, String(port), String(COUNT)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(child);
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.startsWith('ready\n')) resolve();
    });
    child.once('exit', () => reject(new Error(`the receiver ended before it was bound: ${out}`)));
  });
  const got = new Promise<Received[]>((resolve) => child.once('exit', () => resolve(JSON.parse(out.trim().split('\n').at(-1)!))));
  await ready;
  return { got };
}

async function send(from: 'connection' | 'listener', port: number, cap: number): Promise<Report> {
  const args = ['netns', 'exec', sender, process.execPath, fixture, 'sender', from, TO, String(port), String(COUNT), String(SIZE), String(cap)];
  const { stdout } = await run('ip', args, { encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Report;
}

const inOrder = Array.from({ length: COUNT }, (_, index) => ({ index, whole: true }));

/** A receiver on `port`, then a sender of the kind `from` with the cap `cap`: the sender's report and what arrived. */
async function exchange(from: 'connection' | 'listener', port: number, cap: number): Promise<{ report: Report; got: Received[] }> {
  const { got } = await receive(port);
  const report = await send(from, port, cap);
  return { report, got: await got };
}

describe.skipIf(skipWithout('netns'))('Udp send queue, filled for real between two network namespaces', () => {
  beforeAll(() => {
    ip('netns', 'add', sender);
    ip('netns', 'add', receiver);
    ip('-n', sender, 'link', 'add', 'q0', 'type', 'veth', 'peer', 'name', 'q1', 'netns', receiver);
    ip('-n', sender, 'addr', 'add', `${FROM}/24`, 'dev', 'q0');
    ip('-n', receiver, 'addr', 'add', `${TO}/24`, 'dev', 'q1');
    for (const ns of [sender, receiver]) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    ip('-n', sender, 'link', 'set', 'q0', 'up');
    ip('-n', receiver, 'link', 'set', 'q1', 'up');
    // 8 Mbit/s: the 300 datagrams of 1000 bytes take 0.3 s to leave, and the sender makes them in
    // far less; the bucket's own queue (2 MB) holds them all, so none is lost on the way.
    execFileSync('ip', ['netns', 'exec', sender, 'tc', 'qdisc', 'add', 'dev', 'q0', 'root', 'tbf', 'rate', '8mbit', 'burst', '16kb', 'limit', '2mb']);
  });
  afterAll(() => {
    for (const ns of [sender, receiver]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // not made
      }
    }
  });

  // Each datagram is sent from one buffer that the sender rewrites right after `send` returns: a
  // datagram that waits in the queue must still be what the buffer held at its `send`.
  it('a connection: datagrams that wait in the queue keep their bytes, backpressure past the cap, writable, none lost or reordered', async () => {
    const { report, got } = await exchange('connection', 7001, 64 * 1024);
    expect(report.other).toEqual([]);
    expect(report.sent).toBe(COUNT);
    // The queue was really used, up to the cap: refused, then told when it drained.
    expect(report.maxBuffered).toBeGreaterThan(0);
    expect(report.backpressure).toBeGreaterThan(0);
    expect(report.writable).toBe(report.backpressure);
    expect(report.left).toBe(0);
    expect(got).toEqual(inOrder);
  });

  it('a listen socket sending through Endpoint.fromListener: the same, retrying after Backpressure', async () => {
    const { report, got } = await exchange('listener', 7002, 64 * 1024);
    expect(report.other).toEqual([]);
    expect(report.sent).toBe(COUNT);
    expect(report.backpressure).toBeGreaterThan(0);
    expect(got).toEqual(inOrder);
  });

  it('a connection under a cap it never reaches: everything queues, and leaves whole', async () => {
    const { report, got } = await exchange('connection', 7003, 4 * 1024 * 1024);
    expect(report.backpressure).toBe(0);
    expect(report.maxBuffered).toBeGreaterThan(100 * SIZE);
    expect(report.left).toBe(0);
    expect(got).toEqual(inOrder);
  });
});
