// The clients of the scale benchmark, in their own process, the same for every server:
//   node dist/scale-client.js <tcp|framed-tcp|ws|ipc> <addr> <connections> <concurrency> <ping 0|1>
// Opens <connections> plain node:net sockets (or `ws` clients), at most <concurrency> connecting at
// a time; prints "CONNECTED <json>" when all are open (with the absolute time of the first connect).
// With ping, each then sends one 16-byte message and waits for its echo; prints "PINGED <json>".
// Connections come from rotating loopback source addresses (127.0.1.1, 127.0.2.1, ...), so that
// local ports are not the limit (Ipc: `addr` is the path of a Unix socket). On "GOT" from stdin it prints "GOT <n>": the bytes (Ws: message
// bytes) received beyond the pings' echoes.
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';

/** What the client reports when all its connections are open. */
export interface ClientReport {
  /** Absolute time (ms) just before the first connect. */
  readonly start: number;
  readonly open: number;
  /** Connection attempts that failed and were made again. */
  readonly retries: number;
}

const PING = 16;
/** Attempts per connection before the client gives up on it. */
const ATTEMPTS = 4;

/** One open client connection, whatever its kind. */
interface Client {
  ping(): void;
}

const [transport, addr, countText, concurrencyText, pingText] = process.argv.slice(2);
const count = Number(countText);
const concurrency = Number(concurrencyText);
const port = Number(addr!.slice(addr!.lastIndexOf(':') + 1));
setTimeout(() => process.exit(2), 600_000).unref();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('data', (chunk: Buffer) => {
  if (chunk.toString().includes('GOT')) process.stdout.write(`GOT ${received}\n`);
});

let echoed = 0;
/** Bytes received in all, pings' echoes included. */
let received = 0;
/** The source address of the `n`th connection: 250 loopback addresses in turn. */
const sourceOf = (n: number): string => `127.0.${(n % 250) + 1}.1`;
let opened = 0;
const pinged = (): void => {
  if (++echoed === count) process.stdout.write(`PINGED ${JSON.stringify({ echoed })}\n`);
};

/** Opens one connection; calls `done` with it once open, or with an error. */
function open(done: (error: Error | undefined, client?: Client) => void): void {
  const localAddress = sourceOf(opened++);
  if (transport === 'ws') {
    const ws = new WebSocket(`ws://${addr}/`, { perMessageDeflate: false, localAddress });
    let settled = false;
    ws.on('error', (error) => {
      if (!settled) {
        settled = true;
        done(error);
      }
    });
    let first = true;
    ws.on('message', (data: Buffer) => {
      received += data.length;
      if (first) pinged();
      first = false;
    });
    ws.once('open', () => {
      settled = true;
      done(undefined, { ping: () => ws.send(Buffer.alloc(PING, 7)) });
    });
    return;
  }
  const framed = transport === 'framed-tcp';
  const ipc = transport === 'ipc';
  const expected = ipc ? PING + 4 : framed ? PING + 1 : PING;
  // Ipc: `addr` is the Unix socket's path (a Unix socket client has no address to rotate).
  const socket: Socket = ipc ? connect({ path: addr! }) : connect({ host: '127.0.0.1', port, localAddress });
  let settled = false;
  let got = 0;
  socket.on('error', (error) => {
    if (!settled) {
      settled = true;
      done(error);
    }
  });
  socket.on('data', (chunk: Buffer) => {
    const before = got;
    got += chunk.length;
    received += chunk.length;
    if (before < expected && got >= expected) pinged();
  });
  socket.once('connect', () => {
    settled = true;
    if (!ipc) socket.setNoDelay(true);
    const prefix = ipc ? Buffer.from([0, 0, 0, PING]) : framed ? Buffer.from([PING]) : Buffer.alloc(0);
    done(undefined, { ping: () => socket.write(Buffer.concat([prefix, Buffer.alloc(PING, 7)])) });
  });
}

const clients: Client[] = [];
let started = 0;
let retries = 0;
let start = 0;

const next = (attempt = 1): void => {
  if (start === 0) start = performance.timeOrigin + performance.now();
  open((error, client) => {
    if (error !== undefined) {
      if (attempt >= ATTEMPTS) {
        process.stderr.write(`scale client: a connection failed ${ATTEMPTS} times, last: ${error.message}\n`);
        process.exit(1);
      }
      retries++;
      return void setTimeout(() => next(attempt + 1), 10 * attempt);
    }
    clients.push(client!);
    if (clients.length === count) return finish();
    if (started < count) {
      started++;
      next();
    }
  });
};

function finish(): void {
  const report: ClientReport = { start, open: clients.length, retries };
  process.stdout.write(`CONNECTED ${JSON.stringify(report)}\n`);
  if (pingText === '1') for (const client of clients) client.ping();
}

for (; started < Math.min(concurrency, count); started++) next();
