// Raw peers for the tests that attack a node running in a child process (hostile framing, stored
// floods): the child, started with `startJsonChild`, talks JSON lines on stdout and takes one-word
// commands on stdin (test/fixtures/node-commands.mjs); the peers are plain `net` sockets on
// 127.0.0.1 (or a Unix socket path) that write bytes built here: FramedTcp and Ipc prefixes, masked
// WebSocket frames, a hand-made WebSocket upgrade. Every wait is bounded in time. Sockets and
// children are recorded: call `cleanUp()` after each test, which destroys and kills them (by PID).
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';

export const KiB = 1024;
export const MiB = 1024 * KiB;

const children = new Set<ChildProcess>();
const opened = new Set<Socket>();

/** Destroys every socket opened here and kills every child started here, by PID. */
export function cleanUp(): void {
  for (const socket of opened) socket.destroy();
  opened.clear();
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }
  children.clear();
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** A child process that prints JSON lines. */
export interface JsonChild {
  readonly child: ChildProcess;
  /** The value of `key` in the first line from line number `from` on that has it (waits up to `ms`). */
  next<T>(key: string, from?: number, ms?: number): Promise<T>;
  /** Writes `command` as a line on stdin and waits for the next line with `key`. */
  ask<T>(command: string, key: string, ms?: number): Promise<T>;
  /** Every line printed so far. */
  lines(): readonly Record<string, unknown>[];
}

/** Parses `stream` as JSON lines as they come, pushing each object into `lines`. */
export function readJsonLines(stream: NodeJS.ReadableStream, lines: Record<string, unknown>[]): void {
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const part of parts) if (part.trim() !== '') lines.push(JSON.parse(part) as Record<string, unknown>);
  });
}

/** Starts `node ...nodeArgs fixture ...args` in `cwd`, reading its stdout as JSON lines. */
export function startJsonChild(fixture: string, args: readonly string[], cwd: string, nodeArgs: readonly string[] = []): JsonChild {
  const child = spawn(process.execPath, [...nodeArgs, fixture, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  readJsonLines(child.stdout!, lines);
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const next = async <T>(key: string, from = 0, ms = 10_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const line = lines.slice(from).find((l) => key in l);
      if (line !== undefined) return line[key] as T;
      if (Date.now() > deadline) throw new Error(`no "${key}" from the child within ${ms} ms; stderr: ${stderr}`);
      await sleep(5);
    }
  };
  return {
    child,
    next,
    ask: async <T>(command: string, key: string, ms?: number): Promise<T> => {
      const from = lines.length;
      child.stdin!.write(`${command}\n`);
      return next<T>(key, from, ms);
    },
    lines: () => lines,
  };
}

/** Where the peers connect: a port on 127.0.0.1, or a Unix socket path. */
export interface Target {
  readonly port: number;
  readonly path?: string | undefined;
}

/** Opens `count` connections to `target` (50 at a time), with Nagle off so that each write leaves at once. */
export async function connectAll(target: Target, count: number): Promise<Socket[]> {
  const path = target.path;
  const all: Socket[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, () => {
      const socket = path === undefined ? connect({ host: '127.0.0.1', port: target.port, noDelay: true }) : connect({ path });
      opened.add(socket);
      socket.on('error', () => undefined);
      all.push(socket);
      return new Promise<void>((done, fail) => {
        const timer = setTimeout(() => fail(new Error('connect took over 10 s')), 10_000);
        socket.once('connect', () => {
          clearTimeout(timer);
          done();
        });
      });
    });
    await Promise.all(batch);
  }
  return all;
}

/** Resolves once every socket has received something more than when called (bounded by `ms`). */
export async function received(all: readonly Socket[], what: string, ms = 10_000): Promise<void> {
  await Promise.all(
    all.map(
      (socket) =>
        new Promise<void>((done, fail) => {
          const timer = setTimeout(() => fail(new Error(`${what}: nothing within ${ms} ms`)), ms);
          socket.once('data', () => {
            clearTimeout(timer);
            done();
          });
        }),
    ),
  );
}

/** Opens `count` connections and completes a WebSocket upgrade on each. */
export async function upgradeAll(target: Target, count: number): Promise<Socket[]> {
  const all = await connectAll(target, count);
  const answered = received(all, 'the upgrade response');
  for (const socket of all) {
    const key = Buffer.from(Array.from({ length: 16 }, (_, i) => i)).toString('base64');
    socket.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  }
  await answered;
  return all;
}

/** A client's WebSocket frame: `first` is its first byte (FIN, opcode); masked with a fixed key. */
export function wsFrame(first: number, payload: Uint8Array, declared = payload.length): Buffer {
  const big = [127, 0, 0, 0, 0, (declared >>> 24) & 0xff, (declared >>> 16) & 0xff, (declared >>> 8) & 0xff, declared & 0xff];
  const length = declared < 126 ? [declared] : declared < 65536 ? [126, declared >> 8, declared & 0xff] : big;
  const key = [0x12, 0x34, 0x56, 0x78];
  const masked = Buffer.from(payload).map((byte, i) => byte ^ key[i & 3]!);
  return Buffer.concat([Buffer.from([first, 0x80 | length[0]!, ...length.slice(1), ...key]), masked]);
}

/** Writes `bytes` to `socket`, waiting for 'drain' when it asks to (bounded by `ms`). */
export async function writeAll(socket: Socket, bytes: Buffer, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let at = 0; at < bytes.length; at += 64 * KiB) {
    if (Date.now() > deadline) throw new Error(`writing took over ${ms} ms`);
    if (!socket.write(bytes.subarray(at, at + 64 * KiB))) await Promise.race([new Promise((done) => socket.once('drain', done)), sleep(1000)]);
  }
}

/** A FramedTcp length prefix (LEB128). */
export function prefix(length: number): Buffer {
  const bytes: number[] = [];
  let rest = length;
  do {
    const low = rest & 0x7f;
    rest = Math.floor(rest / 128);
    bytes.push(rest > 0 ? low | 0x80 : low);
  } while (rest > 0);
  return Buffer.from(bytes);
}

/** An Ipc length prefix (32-bit big-endian). */
export function ipcPrefix(length: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(length);
  return bytes;
}
