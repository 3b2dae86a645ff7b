// Our side of each benchmark: a receiver and a sender built on message-io, loading the core and
// the package of the transport measured, as a user who installs that transport does. (The whole
// `message-io` package loads every transport, `ws` with them: a larger heap, which measurably
// costs a Udp receiver of small datagrams, docs/performance.md.)
import { SendStatus, split, type Endpoint, type Transport } from '@message-io/core';
import { dueBy, UDP_IDLE_MS, type ConnectingReceiver, type ListeningSender, type Receiver, type Sender } from '../job.js';

const loaders: Record<string, () => Promise<Transport<never, never>>> = {
  tcp: async () => (await import('@message-io/tcp')).Tcp as Transport<never, never>,
  'framed-tcp': async () => (await import('@message-io/tcp')).FramedTcp as Transport<never, never>,
  udp: async () => (await import('@message-io/udp')).Udp as Transport<never, never>,
  ws: async () => (await import('@message-io/ws')).Ws as Transport<never, never>,
};
/** The transport of this process's job, loaded once by {@link loadTransport}. */
const transports: Record<string, Transport<never, never>> = {};
async function loadTransport(name: string): Promise<void> {
  transports[name] ??= await loaders[name]!();
}

/** The receiving side's options: `borrowed` (peer.ts's first argument) opts in to lent messages. */
const receiving: { reuseReceiveBuffer?: boolean } = process.argv[2] === 'borrowed' ? { reuseReceiveBuffer: true } : {};

/** Listens; counts bytes (throughput, rate) or echoes (latency). */
export const receiver: Receiver = async (job, report) => {
  await loadTransport(job.transport);
  const [handler, listener] = split();
  const net = handler.network();
  const { addr } = await net.listen(transports[job.transport]!, '127.0.0.1:0', receiving as never);
  let bytes = 0;
  let messages = 0;
  let first = 0;
  let last = 0;
  // Udp loses datagrams: a bulk or rate job ends once none came for UDP_IDLE_MS (armed at the first).
  let idle: ReturnType<typeof setTimeout> | undefined;
  const finish = (): void => {
    report({ bytes, messages, ms: last - first });
    handler.stop();
  };
  void listener.forEach((event) => {
    if (event.type !== 'message') return;
    if (job.metric === 'latency') return void net.send(event.endpoint, event.data);
    if (first === 0) first = performance.now();
    bytes += event.data.length;
    messages++;
    if (job.transport === 'udp') {
      last = performance.now();
      if (idle === undefined) idle = setTimeout(finish, UDP_IDLE_MS);
      else idle.refresh();
    }
    if (bytes >= job.totalBytes) {
      clearTimeout(idle);
      report({ bytes, messages, ms: performance.now() - first });
      handler.stop();
    }
  });
  return addr;
};

/** Connects and sends `job.count` messages of `job.size` bytes, following backpressure; or pings for latency. */
export const sender: Sender = async (job, addr, report) => {
  await loadTransport(job.transport);
  const [handler, listener] = split();
  const net = handler.network();
  const payload = new Uint8Array(job.size).fill(7);
  let sent = 0;
  let started = 0;
  const pump = (ep: Endpoint): void => {
    if (started === 0) started = performance.now();
    const due = dueBy(job, performance.now() - started);
    while (sent < due) {
      const status = net.send(ep, payload);
      if (status === SendStatus.Backpressure) return;
      sent++;
      if (sent % 4096 === 0 && job.transport === 'udp') return void setImmediate(() => pump(ep));
    }
    if (sent < job.count) setImmediate(() => pump(ep)); // paced: the next ones are not due yet
  };
  const rtts: number[] = [];
  let start = 0;
  // A lost Udp ping would stall the round trips: send another after 50 ms (that one is not timed).
  let retry: ReturnType<typeof setTimeout> | undefined;
  const ping = (ep: Endpoint): void => {
    start = performance.now();
    net.send(ep, payload);
    if (job.transport === 'udp') retry = setTimeout(() => ping(ep), 50);
  };
  void listener.forEach((event) => {
    if (event.type === 'connected' || event.type === 'writable') {
      if (job.metric === 'latency') ping(event.endpoint);
      else pump(event.endpoint);
    }
    if (event.type === 'message' && job.metric === 'latency') {
      clearTimeout(retry);
      rtts.push(performance.now() - start);
      if (rtts.length === job.count) {
        report({ rtts });
        return handler.stop();
      }
      ping(event.endpoint);
    }
  });
  net.connect(transports[job.transport]!, addr, { maxBufferedBytes: 4 * 1024 * 1024 });
  return () => handler.stop();
};

/** A download (`toClient`): listens and sends `job.count` messages to the first connection, following backpressure. */
export const listeningSender: ListeningSender = async (job) => {
  await loadTransport(job.transport);
  const [handler, listener] = split();
  const net = handler.network();
  const payload = new Uint8Array(job.size).fill(7);
  let sent = 0;
  void listener.forEach((event) => {
    if (event.type !== 'accepted' && event.type !== 'writable') return;
    while (sent < job.count) {
      if (net.send(event.endpoint, payload) === SendStatus.Backpressure) return;
      sent++;
    }
  });
  const { addr } = await net.listen(transports[job.transport]!, '127.0.0.1:0', { maxBufferedBytes: 4 * 1024 * 1024 });
  return addr;
};

/** A download (`toClient`): connects to `addr` and counts the bytes that arrive. */
export const connectingReceiver: ConnectingReceiver = async (job, addr, report) => {
  await loadTransport(job.transport);
  const [handler, listener] = split();
  let bytes = 0;
  let first = 0;
  void listener.forEach((event) => {
    if (event.type !== 'message') return;
    if (first === 0) first = performance.now();
    bytes += event.data.length;
    if (bytes >= job.totalBytes) {
      report({ bytes, ms: performance.now() - first });
      handler.stop();
    }
  });
  handler.network().connect(transports[job.transport]!, addr, receiving as never);
};
