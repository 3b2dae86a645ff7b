// The same jobs done with Node's own net and dgram, two ways: `plain`, as most users write it (one
// write per message; a LEB128 reader that joins the pending bytes with each new chunk), and
// `expert`, as someone who knows Node's streams writes it (the sends of one event-loop turn corked
// together, Node's documented idiom; a frame reader that copies each byte once). Udp is the same
// both ways: dgram has nothing to batch, and a datagram is read whole.
import { createSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';
import { dueBy, UDP_IDLE_MS, type ConnectingReceiver, type ListeningSender, type Receiver, type Sender } from '../job.js';

/** The LEB128 length prefix of a FramedTcp message. */
export function encodeLength(length: number): Buffer {
  const bytes: number[] = [];
  while (length >= 128) {
    bytes.push((length % 128) | 0x80);
    length = Math.floor(length / 128);
  }
  bytes.push(length);
  return Buffer.from(bytes);
}

/** Counts framed messages the way a hand-written LEB128 reader would (one Buffer.concat per partial frame). */
function frameCounter(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    let data: Buffer = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      let length = 0;
      let scale = 1;
      let at = 0;
      let done = false;
      while (at < data.length) {
        const byte = data[at++]!;
        length += (byte & 0x7f) * scale;
        scale *= 128;
        if ((byte & 0x80) === 0) {
          done = true;
          break;
        }
      }
      if (!done || data.length - at < length) break;
      onFrame(data.subarray(at, at + length));
      data = data.subarray(at + length);
    }
    pending = data;
  };
}

/**
 * A FramedTcp reader whose cost is linear in the bytes: a frame within a chunk is a view of it; a
 * frame over several chunks is copied piece by piece into a buffer of its declared length.
 */
export function linearFrameCounter(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let length = 0;
  let scale = 1;
  let frame: Buffer | undefined;
  let filled = 0;
  return (chunk) => {
    let at = 0;
    while (at < chunk.length) {
      if (frame !== undefined) {
        const take = Math.min(frame.length - filled, chunk.length - at);
        chunk.copy(frame, filled, at, at + take);
        filled += take;
        at += take;
        if (filled < frame.length) return;
        const whole = frame;
        frame = undefined;
        onFrame(whole);
        continue;
      }
      const byte = chunk[at++]!;
      length += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte & 0x80) continue;
      const size = length;
      length = 0;
      scale = 1;
      if (chunk.length - at >= size) {
        onFrame(chunk.subarray(at, at + size));
        at += size;
      } else {
        frame = Buffer.allocUnsafe(size);
        filled = 0;
      }
    }
  };
}

/**
 * Writes `frame` `count` times, waiting for `'drain'` whenever `write` says so. `corked`: the writes
 * of each turn are corked and leave together on the next tick (`socket.cork()`, then
 * `process.nextTick(() => socket.uncork())`), as Node's documentation suggests for many small writes.
 */
function writeAll(socket: Socket, frame: Buffer, count: number, corked: boolean): void {
  let sent = 0;
  const pump = (): void => {
    if (corked) {
      socket.cork();
      process.nextTick(() => socket.uncork());
    }
    while (sent < count) {
      sent++;
      if (!socket.write(frame)) return void socket.once('drain', pump);
    }
  };
  pump();
}

const receiverOf =
  (expert: boolean): Receiver =>
  async (job, report) => {
    let bytes = 0;
    let messages = 0;
    let first = 0;
    let last = 0;
    // Udp: armed at the first datagram, so that a slow sender start does not end the job.
    let idle: ReturnType<typeof setTimeout> | undefined;
    const count = (length: number): boolean => {
      if (first === 0) first = performance.now();
      bytes += length;
      messages++;
      if (job.transport === 'udp') {
        last = performance.now();
        if (idle === undefined) idle = setTimeout(() => report({ bytes, messages, ms: last - first }), UDP_IDLE_MS);
        else idle.refresh();
      }
      if (bytes >= job.totalBytes) clearTimeout(idle);
      return bytes >= job.totalBytes;
    };
    if (job.transport === 'udp') {
      const socket = createSocket('udp4');
      socket.on('message', (data, rinfo) => {
        if (job.metric === 'latency') return void socket.send(data, rinfo.port, rinfo.address);
        if (count(data.length)) {
          report({ bytes, messages, ms: performance.now() - first });
          socket.close();
        }
      });
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
      return `127.0.0.1:${socket.address().port}`;
    }
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      const framed = job.transport === 'framed-tcp';
      const onFrame = (frame: Buffer): void => {
        if (job.metric === 'latency') socket.write(Buffer.concat([encodeLength(frame.length), frame]));
        else if (count(frame.length)) {
          report({ bytes, messages, ms: performance.now() - first });
          socket.destroy();
          server.close();
        }
      };
      const reader = (expert ? linearFrameCounter : frameCounter)(onFrame);
      socket.on('data', (chunk: Buffer) => {
        if (framed) return reader(chunk);
        if (job.metric === 'latency') return void socket.write(chunk);
        if (count(chunk.length)) {
          report({ bytes, messages, ms: performance.now() - first });
          socket.destroy();
          server.close();
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `127.0.0.1:${(server.address() as { port: number }).port}`;
  };

const senderOf =
  (expert: boolean): Sender =>
  async (job, addr, report) => {
    const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
    const payload = Buffer.alloc(job.size, 7);
    const framed = job.transport === 'framed-tcp';
    const rtts: number[] = [];
    let start = 0;
    if (job.transport === 'udp') {
      const socket = createSocket('udp4');
      await new Promise<void>((r) => socket.connect(port, '127.0.0.1', r));
      socket.on('error', () => undefined);
      if (job.metric === 'latency') {
        // As for ours: a lost ping is sent again after 50 ms, untimed.
        let retry: ReturnType<typeof setTimeout> | undefined;
        const ping = (): void => {
          start = performance.now();
          socket.send(payload);
          retry = setTimeout(ping, 50);
        };
        socket.on('message', () => {
          clearTimeout(retry);
          rtts.push(performance.now() - start);
          if (rtts.length === job.count) {
            report({ rtts });
            socket.close();
            return;
          }
          ping();
        });
        ping();
      } else {
        let sent = 0;
        const started = performance.now();
        const pump = (): void => {
          const due = dueBy(job, performance.now() - started);
          for (let i = 0; i < 4096 && sent < due; i++, sent++) socket.send(payload);
          if (sent < job.count) setImmediate(pump);
        };
        pump();
      }
      return () => socket.close();
    }
    const socket: Socket = connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    await new Promise((r) => socket.once('connect', r));
    const frame = framed ? Buffer.concat([encodeLength(job.size), payload]) : payload;
    if (job.metric === 'latency') {
      socket.on('data', () => {
        rtts.push(performance.now() - start);
        if (rtts.length === job.count) {
          report({ rtts });
          socket.destroy();
          return;
        }
        start = performance.now();
        socket.write(frame);
      });
      start = performance.now();
      socket.write(frame);
    } else writeAll(socket, frame, job.count, expert);
    return () => socket.destroy();
  };

/** A download (`toClient`, Tcp and FramedTcp): a server that writes the job to the first connection, following `'drain'`. */
const listeningSenderOf =
  (expert: boolean): ListeningSender =>
  async (job) => {
    const payload = Buffer.alloc(job.size, 7);
    const frame = job.transport === 'framed-tcp' ? Buffer.concat([encodeLength(job.size), payload]) : payload;
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      writeAll(socket, frame, job.count, expert);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `127.0.0.1:${(server.address() as { port: number }).port}`;
  };

/** A download (`toClient`): connects and counts bytes (FramedTcp: frames, with the plain or the linear reader). */
const connectingReceiverOf =
  (expert: boolean): ConnectingReceiver =>
  async (job, addr, report) => {
    const socket = connect({ host: '127.0.0.1', port: Number(addr.slice(addr.lastIndexOf(':') + 1)) });
    socket.on('error', () => undefined);
    let bytes = 0;
    let first = 0;
    const count = (length: number): void => {
      if (first === 0) first = performance.now();
      bytes += length;
      if (bytes >= job.totalBytes) {
        report({ bytes, ms: performance.now() - first });
        socket.destroy();
      }
    };
    const reader = (expert ? linearFrameCounter : frameCounter)((frame) => count(frame.length));
    socket.on('data', (chunk: Buffer) => (job.transport === 'framed-tcp' ? reader(chunk) : count(chunk.length)));
  };

/** The jobs done with net and dgram: `expert` corks the writes of a turn and reads frames linearly. */
export function nativePeers(expert: boolean): {
  receiver: Receiver;
  sender: Sender;
  listeningSender: ListeningSender;
  connectingReceiver: ConnectingReceiver;
} {
  return {
    receiver: receiverOf(expert),
    sender: senderOf(expert),
    listeningSender: listeningSenderOf(expert),
    connectingReceiver: connectingReceiverOf(expert),
  };
}
