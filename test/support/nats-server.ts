// A real nats-server for tests: started on 127.0.0.1 and a free port, with a config file of its
// own, stopped by PID. Tests that use it skip with `skipWithout('nats-server')` (test/support/peers.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NATS_SERVER } from './peers.js';

/** A running nats-server. */
export interface NatsServer {
  readonly port: number;
  /** `nats://127.0.0.1:<port>/<subject>`. */
  url(subject: string): string;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, after `stop`. */
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): it reads nothing until `resume`, so its clients' sends pile up. */
  pause(): void;
  /** Lets a paused process run again (SIGCONT). */
  resume(): void;
}

/** Settings of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** The server's `max_payload`, in bytes. Default: the server's (1 MiB). */
  readonly maxPayload?: number;
  /** The port; default a free one. */
  readonly port?: number;
  /** Require TLS of every client, with this certificate and key (PEM). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** A port nobody listens on now (bound on 0, then let go). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const running = new Set<ChildProcess>();
const folders = new Set<string>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** Starts one nats-server process and resolves when it says it is ready (10 s at most). */
function spawnServer(config: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(NATS_SERVER, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(child);
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server not ready within 10 s:\n${log}`));
    }, 10_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      running.delete(child);
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}:\n${log}`));
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      if (log.length < 20_000) log += text;
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

/** Waits for `child` to exit: SIGTERM, then SIGKILL after 3 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  child.kill('SIGCONT'); // a paused server could not act on SIGTERM
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(kill);
      running.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts a nats-server on 127.0.0.1 (never another address). Stop it with `stop()`. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'message-io-nats-'));
  folders.add(dir);
  const config = join(dir, 'nats.conf');
  const lines = [`listen: "127.0.0.1:${port}"`];
  if (options.maxPayload !== undefined) lines.push(`max_payload: ${options.maxPayload}`);
  if (options.tls !== undefined) {
    writeFileSync(join(dir, 'server.pem'), options.tls.cert);
    writeFileSync(join(dir, 'server.key'), options.tls.key);
    lines.push(`tls { cert_file: "${join(dir, 'server.pem')}", key_file: "${join(dir, 'server.key')}" }`);
  }
  writeFileSync(config, `${lines.join('\n')}\n`);
  let child: ChildProcess | undefined = await spawnServer(config);
  return {
    port,
    url: (subject) => `nats://127.0.0.1:${port}/${subject}`,
    async stop() {
      const current = child;
      child = undefined;
      if (current !== undefined) await stopChild(current);
    },
    async start() {
      if (child === undefined) child = await spawnServer(config);
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
}
