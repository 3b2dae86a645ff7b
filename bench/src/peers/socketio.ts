// The Ws jobs done the plain way with socket.io 4: a Server on an http server, a socket.io-client
// with the websocket transport only, one emit per message with the payload as a binary Buffer.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import type { Receiver, Sender } from '../job.js';

/** Counts bytes (throughput, rate) or emits each message back (latency); acks when asked to. */
export const receiver: Receiver = async (job, report) => {
  let bytes = 0;
  let messages = 0;
  let first = 0;
  const http = createServer();
  const server = new Server(http, { transports: ['websocket'], serveClient: false });
  server.on('connection', (socket) => {
    socket.on('m', (data: Buffer, ack?: () => void) => {
      if (job.metric === 'latency') return void socket.emit('m', data);
      if (first === 0) first = performance.now();
      bytes += data.length;
      messages++;
      ack?.();
      if (bytes >= job.totalBytes) {
        report({ bytes, messages, ms: performance.now() - first });
        void server.close();
      }
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(http.address() as { port: number }).port}`;
};

// socket.io has no backpressure a user can wait on: engine.io-client's 'drain' fires on the next
// tick whatever the websocket still buffers. So the bulk sender does what a user would: it asks
// for an ack on the last emit of every 1 MiB of messages and keeps at most 4 MiB unacknowledged
// (the 4 MiB that ours and native-ws buffer at most).
const batchBytes = 1024 * 1024;
const batchesInFlight = 4;

/** Connects and emits `job.count` messages, acked every 1 MiB; or pings for latency. */
export const sender: Sender = async (job, addr, report) => {
  const socket = io(`ws://${addr}`, { transports: ['websocket'], reconnection: false });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const payload = Buffer.alloc(job.size, 7);
  if (job.metric === 'latency') {
    const rtts: number[] = [];
    let start = performance.now();
    socket.on('m', () => {
      rtts.push(performance.now() - start);
      if (rtts.length === job.count) {
        report({ rtts });
        socket.disconnect();
        return;
      }
      start = performance.now();
      socket.emit('m', payload);
    });
    socket.emit('m', payload);
  } else {
    const batch = Math.max(1, Math.floor(batchBytes / job.size));
    let sent = 0;
    let inFlight = 0;
    const acked = (): void => {
      inFlight--;
      pump();
    };
    const pump = (): void => {
      while (sent < job.count && inFlight < batchesInFlight) {
        const end = Math.min(job.count, sent + batch);
        for (; sent < end - 1; sent++) socket.emit('m', payload);
        sent++;
        inFlight++;
        socket.emit('m', payload, acked);
      }
    };
    pump();
  }
  return () => socket.disconnect();
};
