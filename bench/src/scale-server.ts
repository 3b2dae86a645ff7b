// The server of the scale benchmark, in its own process (run with --expose-gc):
//   node --expose-gc dist/scale-server.js <ours|native> <tcp|framed-tcp|ws> <connections> <settle ms> <broadcast 0|1>
// Measures memory after GC before listening, prints "ADDR <addr>", echoes whatever a connection
// sends, prints "ACCEPTED <time> <cpu ms>" (absolute ms; the CPU time since listening) when it has accepted <connections>; on "MEASURE"
// from stdin it lets things settle, collects garbage and prints "RESULT <json>" (ScaleMemory). On
// "BROADCAST <rounds> <size>" it sends one <size>-byte message to every connection, <rounds> times
// per way (message-io: a plain loop of `send` and a group, alternated; native: a loop of `write`
// or `ws.send`), and prints "BROADCAST <json>" (Broadcasts).
import { rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Endpoint } from 'message-io';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer } from 'ws';

/** Memory figures of the server process, in bytes, after GC. */
export interface MemorySample {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** What the server reports on "MEASURE". */
export interface ScaleMemory {
  readonly before: MemorySample;
  readonly after: MemorySample;
  /** CPU milliseconds (user + system) from listening to "MEASURE": every accept, and every echo when the client pinged. */
  readonly servedCpuMs: number;
  readonly accepted: number;
  readonly received: number;
  readonly closed: number;
}

/** Absolute time in milliseconds, comparable between processes on one machine. */
const now = (): number => performance.timeOrigin + performance.now();

/** Collects garbage twice, `settleMs` apart, and samples memory. */
async function collect(settleMs: number): Promise<MemorySample> {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run the scale server with --expose-gc');
  await sleep(settleMs);
  gc();
  await sleep(20);
  gc();
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapTotal, heapUsed, external, arrayBuffers };
}

/** Where an Ipc server of this process listens: a Unix socket file of its own, removed first. */
function ipcPath(): string {
  const path = join(tmpdir(), `mio-scale-${process.pid}.sock`);
  rmSync(path, { force: true });
  return path;
}

/** Ipc's frame: a 4-byte big-endian length, then the message. */
function ipcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(4 + message.length);
  frame.writeUInt32BE(message.length, 0);
  frame.set(message, 4);
  return frame;
}

/** A hand-written reader of Ipc's frames (4-byte big-endian lengths), as a plain Unix socket server keeps per connection. */
function ipcFrameReader(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer | undefined;
  return (chunk) => {
    const data = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    pending = undefined;
    let at = 0;
    while (data.length - at >= 4 && data.length - at - 4 >= data.readUInt32BE(at)) {
      const length = data.readUInt32BE(at);
      onFrame(data.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    if (at < data.length) pending = data.subarray(at);
  };
}

function encodeLength(length: number): Buffer {
  const bytes: number[] = [];
  for (; length >= 0x80; length = Math.floor(length / 0x80)) bytes.push((length & 0x7f) | 0x80);
  bytes.push(length);
  return Buffer.from(bytes);
}

/** A hand-written LEB128 frame reader, as a plain framed server keeps per connection. */
function frameReader(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer | undefined;
  return (chunk) => {
    const data = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    pending = undefined;
    let at = 0;
    while (at < data.length) {
      let length = 0;
      let scale = 1;
      let next = at;
      let complete = false;
      while (next < data.length && !complete) {
        const byte = data[next++]!;
        length += (byte & 0x7f) * scale;
        scale *= 0x80;
        complete = (byte & 0x80) === 0;
      }
      if (!complete || data.length - next < length) break;
      onFrame(data.subarray(next, next + length));
      at = next + length;
    }
    if (at < data.length) pending = data.subarray(at);
  };
}

interface Counters {
  accepted: number;
  received: number;
  closed: number;
}

/** One way of sending a message to every connection: resolves once the last send call returned (or the group's report came). */
type Broadcast = (message: Uint8Array) => Promise<{ sent: number }>;

/** What the server reports after "BROADCAST": per way, the time of each round and what the event loop went through. */
export interface Broadcasts {
  readonly ways: Record<string, BroadcastWay>;
}

/** The rounds of one way of sending to everyone. */
export interface BroadcastWay {
  /**
   * Milliseconds of each round, from the first send call to the last one's return (a group: to its
   * report) and the writes the sends left for the end of the turn (Ipc corks them until then) made.
   */
  readonly ms: number[];
  /** CPU milliseconds (user + system) of the server process in each round. */
  readonly cpuMs: number[];
  /** Connections each round's sends answered `Sent` (native: every `write`). */
  readonly sent: number[];
  /** Event-loop delay during the rounds of this way (`monitorEventLoopDelay`, 1 ms resolution): the largest p99 and max of its rounds, in ms. */
  readonly delayP99: number;
  readonly delayMax: number;
}

/** Starts the server; calls `onAccept` for each connection accepted; resolves with its address and its ways of sending to everyone. */
type Serve = (transport: string, counters: Counters, onAccept: () => void) => Promise<{ addr: string; ways: Record<string, Broadcast> }>;

/**
 * message-io: one node, one listener, echoing messages. Every listener has a backlog of 4,096,
 * as the native servers; a Ws listener may have all `count` connections in their handshake at
 * once (`maxPendingHandshakes`, 1,024 by default): a `ws` server has no such limit.
 */
async function prepareOurs(track: boolean, count: number): Promise<Serve> {
  const { FramedTcp, Ipc, SendStatus, Tcp, Ws, ipcUrl, split } = await import('message-io');
  const [handler, listener] = split();
  const net = handler.network();
  const everyone = new Set<Endpoint>();
  const group = net.group();
  return async (transport, counters, onAccept) => {
    const path = transport === 'ipc' ? ipcPath() : '';
    const { addr } =
      transport === 'ws'
        ? await net.listen(Ws, '127.0.0.1:0', { backlog: 4096, maxPendingHandshakes: Math.max(count, 1) })
        : transport === 'ipc'
          ? await net.listen(Ipc, ipcUrl(path), { backlog: 4096 })
          : await net.listen(transport === 'tcp' ? Tcp : FramedTcp, '127.0.0.1:0', { backlog: 4096 });
    void listener.forEach((event) => {
      if (event.type === 'accepted') {
        counters.accepted++;
        // Kept only for the broadcast measurement: the memory figures are of a bare echo server.
        if (track) {
          everyone.add(event.endpoint);
          group.add(event.endpoint);
        }
        onAccept();
      } else if (event.type === 'message') {
        counters.received += event.data.length;
        net.send(event.endpoint, event.data);
      } else if (event.type === 'disconnected') {
        counters.closed++;
        everyone.delete(event.endpoint);
      }
    });
    const loop: Broadcast = async (message) => {
      let sent = 0;
      for (const endpoint of everyone) if (net.send(endpoint, message) === SendStatus.Sent) sent++;
      return { sent };
    };
    const toGroup: Broadcast = async (message) => ({ sent: (await group.send(message)).sent });
    return { addr: transport === 'ipc' ? path : addr, ways: { 'message-io loop': loop, 'message-io group': toGroup } };
  };
}

/**
 * node:net for Tcp (echo each chunk), FramedTcp (a frame reader per connection, echo each frame)
 * and Ipc (the same on a Unix socket, with Ipc's 4-byte lengths); `ws` for Ws.
 */
async function prepareNative(track: boolean): Promise<Serve> {
  return async (transport, counters, onAccept): Promise<{ addr: string; ways: Record<string, Broadcast> }> => {
    if (transport === 'ws') {
      const server = new WebSocketServer({ host: '127.0.0.1', port: 0, backlog: 4096, perMessageDeflate: false });
      const loop: Broadcast = async (message) => {
        for (const ws of server.clients) ws.send(message);
        return { sent: server.clients.size };
      };
      server.on('connection', (ws) => {
        counters.accepted++;
        ws.on('error', () => undefined);
        ws.on('message', (data: Buffer) => {
          counters.received += data.length;
          ws.send(data);
        });
        ws.on('close', () => counters.closed++);
        onAccept();
      });
      await new Promise((resolve) => server.once('listening', resolve));
      return { addr: `127.0.0.1:${(server.address() as { port: number }).port}`, ways: { 'ws loop': loop } };
    }
    const framed = transport === 'framed-tcp';
    const ipc = transport === 'ipc';
    const sockets = new Set<Socket>();
    // An expert frames the message once for everyone.
    const loop: Broadcast = async (message) => {
      const frame = ipc ? ipcFrame(message) : framed ? Buffer.concat([encodeLength(message.length), message]) : message;
      for (const socket of sockets) socket.write(frame);
      return { sent: sockets.size };
    };
    const server = createServer((socket: Socket) => {
      counters.accepted++;
      if (track) sockets.add(socket);
      if (!ipc) socket.setNoDelay(true);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        counters.closed++;
        sockets.delete(socket);
      });
      if (ipc) {
        const read = ipcFrameReader((frame) => {
          counters.received += frame.length;
          socket.write(ipcFrame(frame));
        });
        socket.on('data', read);
      } else if (framed) {
        const read = frameReader((frame) => {
          counters.received += frame.length;
          socket.write(Buffer.concat([encodeLength(frame.length), frame]));
        });
        socket.on('data', read);
      } else {
        socket.on('data', (chunk: Buffer) => {
          counters.received += chunk.length;
          socket.write(chunk);
        });
      }
      onAccept();
    });
    if (ipc) {
      const path = ipcPath();
      await new Promise<void>((resolve) => server.listen({ path, backlog: 4096 }, resolve));
      return { addr: path, ways: { 'node:net loop': loop } };
    }
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, resolve));
    return { addr: `127.0.0.1:${(server.address() as { port: number }).port}`, ways: { 'node:net loop': loop } };
  };
}

/**
 * `rounds` rounds of each way, alternated, 200 ms apart (the sockets drain in between), after two
 * rounds of each that are not counted (the first ones run code not yet optimised, on either side).
 */
async function broadcast(ways: Record<string, Broadcast>, rounds: number, size: number): Promise<Broadcasts> {
  const message = new Uint8Array(size).fill(7);
  const names = Object.keys(ways);
  const result: Record<string, { ms: number[]; cpuMs: number[]; sent: number[]; p99: number[]; max: number[] }> = {};
  for (const name of names) result[name] = { ms: [], cpuMs: [], sent: [], p99: [], max: [] };
  const WARMUP = 2;
  for (let round = 0; round < WARMUP + rounds; round++) {
    for (const name of names) {
      await sleep(190);
      // A histogram per round: one enabled again would count the time it was off as a delay.
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      // Its first interval is not recorded: let it start before the round does.
      await sleep(10);
      const cpu = process.cpuUsage();
      const start = performance.now();
      const { sent } = await ways[name]!(message);
      // A transport that holds a turn's writes back until the next tick (Ipc) makes them then: after those.
      await new Promise((resolve) => process.nextTick(resolve));
      const ms = performance.now() - start;
      const used = process.cpuUsage(cpu);
      // Until the sockets have written what the round queued, the loop is still busy with it.
      await sleep(100);
      delay.disable();
      if (round < WARMUP) continue;
      const way = result[name]!;
      way.ms.push(ms);
      way.cpuMs.push((used.user + used.system) / 1000);
      way.sent.push(sent);
      way.p99.push(delay.percentile(99) / 1e6);
      way.max.push(delay.max / 1e6);
    }
  }
  const out: Record<string, BroadcastWay> = {};
  for (const name of names) {
    const { ms, cpuMs, sent, p99, max } = result[name]!;
    out[name] = { ms, cpuMs, sent, delayP99: Math.max(...p99), delayMax: Math.max(...max) };
  }
  return { ways: out };
}

async function main(): Promise<void> {
  const [impl, transport, countText, settleText, broadcastText] = process.argv.slice(2);
  const track = broadcastText === '1';
  const count = Number(countText);
  const settleMs = Number(settleText ?? '500');
  // The parent going away closes stdin: leave with it. A failsafe bounds the process's life too.
  setTimeout(() => process.exit(2), 600_000).unref();
  // Both servers load the same modules before the first sample, so that code paged in or
  // compiled for message-io does not count against one side only.
  await import('message-io');
  const serve = impl === 'ours' ? await prepareOurs(track, count) : await prepareNative(track);
  const counters: Counters = { accepted: 0, received: 0, closed: 0 };
  const before = await collect(settleMs);
  // The process's CPU time from listening to the last accept: what taking the connections cost.
  let cpu = process.cpuUsage();
  const { addr, ways } = await serve(transport!, counters, () => {
    if (counters.accepted !== count) return;
    const used = process.cpuUsage(cpu);
    process.stdout.write(`ACCEPTED ${now()} ${(used.user + used.system) / 1000}\n`);
  });
  cpu = process.cpuUsage();
  process.stdout.write(`ADDR ${addr}\n`);
  let input = '';
  process.stdin.on('data', (chunk: Buffer) => {
    input += chunk.toString();
    const command = /^(MEASURE|BROADCAST (\d+) (\d+))\n/.exec(input);
    if (command === null) return;
    input = input.slice(command[0].length);
    if (command[2] !== undefined) {
      void broadcast(ways, Number(command[2]), Number(command[3])).then((result) => process.stdout.write(`BROADCAST ${JSON.stringify(result)}\n`));
      return;
    }
    const served = process.cpuUsage(cpu);
    const servedCpuMs = (served.user + served.system) / 1000;
    void collect(settleMs).then((after) => {
      const result: ScaleMemory = { before, after, servedCpuMs, ...counters };
      process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    });
  });
  process.stdin.on('end', () => process.exit(0));
}

await main();
