// The FramedTcp jobs done the plain way with zeromq 6's async API: PUSH/PULL over tcp for
// throughput and rate (`await send` waits while the high-water mark is reached, ZeroMQ's own flow
// control), REQ/REP for latency. zeromq is an optional dependency with a native addon, so it is
// imported dynamically: `load` rejects with the reason when it is missing or does not load here.
import type { Receiver, Sender } from '../job.js';

// The little of zeromq's API used here, declared so that tsc does not need zeromq installed.
interface Socket {
  bind(address: string): Promise<void>;
  connect(address: string): void;
  send(message: Uint8Array): Promise<void>;
  receive(): Promise<Buffer[]>;
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined>;
  readonly lastEndpoint: string | null;
  close(): void;
}
type SocketClass = new () => Socket;

/** The zeromq socket classes used by this peer. */
export interface Zmq {
  readonly Push: SocketClass;
  readonly Pull: SocketClass;
  readonly Request: SocketClass;
  readonly Reply: SocketClass;
}

/** Loads zeromq, or rejects with why it cannot (not installed, or its native addon fails to load). */
export async function load(): Promise<Zmq> {
  const name = 'zeromq'; // not a literal, so that tsc leaves it unresolved
  const loaded = (await import(name)) as { default: Zmq };
  // zeromq is CommonJS: its module.exports is the default export.
  return loaded.default;
}

/** Binds a PULL socket and counts bytes (throughput, rate), or a REP socket that echoes (latency). */
export const receiver: Receiver = async (job, report) => {
  const zmq = await load();
  const socket = job.metric === 'latency' ? new zmq.Reply() : new zmq.Pull();
  await socket.bind('tcp://127.0.0.1:*');
  const run = async (): Promise<void> => {
    if (job.metric === 'latency') {
      for await (const [data] of socket) await socket.send(data!);
      return;
    }
    let bytes = 0;
    let messages = 0;
    let first = 0;
    for await (const [data] of socket) {
      if (first === 0) first = performance.now();
      bytes += data!.length;
      messages++;
      if (bytes >= job.totalBytes) {
        report({ bytes, messages, ms: performance.now() - first });
        return socket.close();
      }
    }
  };
  run().catch((error: unknown) => console.error(`zeromq receiver: ${(error as Error).message}`));
  // lastEndpoint is `tcp://127.0.0.1:<port>`, the port chosen by the `*`.
  return socket.lastEndpoint!.slice('tcp://'.length);
};

/** Connects a PUSH socket and awaits each send of `job.count` messages, or a REQ socket that pings. */
export const sender: Sender = async (job, addr, report) => {
  const zmq = await load();
  const payload = Buffer.alloc(job.size, 7);
  const socket = job.metric === 'latency' ? new zmq.Request() : new zmq.Push();
  socket.connect(`tcp://${addr}`);
  const run = async (): Promise<void> => {
    if (job.metric === 'latency') {
      const rtts: number[] = [];
      for (let i = 0; i < job.count; i++) {
        const start = performance.now();
        await socket.send(payload);
        await socket.receive();
        rtts.push(performance.now() - start);
      }
      report({ rtts });
      return socket.close();
    }
    for (let i = 0; i < job.count; i++) await socket.send(payload);
  };
  run().catch((error: unknown) => console.error(`zeromq sender: ${(error as Error).message}`));
  return () => socket.close();
};
