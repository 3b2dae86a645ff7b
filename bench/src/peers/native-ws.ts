// The Ws jobs done the plain way with the `ws` package: one ws.send per message, waiting for the
// socket's 'drain' past a buffered amount.
import WebSocket, { WebSocketServer } from 'ws';
import type { Receiver, Sender } from '../job.js';

export const receiver: Receiver = async (job, report) => {
  let bytes = 0;
  let messages = 0;
  let first = 0;
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  server.on('connection', (socket) => {
    socket.on('message', (data: Buffer) => {
      if (job.metric === 'latency') return void socket.send(data);
      if (first === 0) first = performance.now();
      bytes += data.length;
      messages++;
      if (bytes >= job.totalBytes) {
        report({ bytes, messages, ms: performance.now() - first });
        server.close();
      }
    });
  });
  await new Promise((r) => server.once('listening', r));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
};

export const sender: Sender = async (job, addr, report) => {
  const socket = new WebSocket(`ws://${addr}/`, { perMessageDeflate: false });
  await new Promise((r) => socket.once('open', r));
  const payload = Buffer.alloc(job.size, 7);
  const raw = (socket as unknown as { _socket: import('node:net').Socket })._socket;
  if (job.metric === 'latency') {
    const rtts: number[] = [];
    let start = performance.now();
    socket.on('message', () => {
      rtts.push(performance.now() - start);
      if (rtts.length === job.count) return void (report({ rtts }), socket.terminate());
      start = performance.now();
      socket.send(payload);
    });
    socket.send(payload);
  } else {
    let sent = 0;
    const pump = (): void => {
      while (sent < job.count) {
        socket.send(payload);
        sent++;
        if (socket.bufferedAmount > 4 * 1024 * 1024) return void raw.once('drain', pump);
      }
    };
    pump();
  }
  return () => socket.terminate();
};
