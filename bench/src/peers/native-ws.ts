// The Ws jobs done with the `ws` package: one ws.send per message, waiting for the socket's 'drain'
// past a buffered amount. `plain` as most users write it; `expert` also corks the underlying socket
// for the sends of each event-loop turn, so that they leave in one write (Node's documented idiom).
// The receiving side is `ws`'s own either way.
import WebSocket, { WebSocketServer } from 'ws';
import type { Receiver, Sender } from '../job.js';

const receiver: Receiver = async (job, report) => {
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

const senderOf =
  (expert: boolean): Sender =>
  async (job, addr, report) => {
    const socket = new WebSocket(`ws://${addr}/`, { perMessageDeflate: false });
    await new Promise((r) => socket.once('open', r));
    const payload = Buffer.alloc(job.size, 7);
    const raw = (socket as unknown as { _socket: import('node:net').Socket })._socket;
    const corkTurn = (): void => {
      if (!expert) return;
      raw.cork();
      process.nextTick(() => raw.uncork());
    };
    if (job.metric === 'latency') {
      const rtts: number[] = [];
      let start = performance.now();
      socket.on('message', () => {
        rtts.push(performance.now() - start);
        if (rtts.length === job.count) {
          report({ rtts });
          socket.terminate();
          return;
        }
        start = performance.now();
        socket.send(payload);
      });
      socket.send(payload);
    } else {
      let sent = 0;
      const pump = (): void => {
        corkTurn();
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

/** The Ws jobs with the `ws` package: `expert` corks the socket for the sends of a turn. */
export function nativeWsPeers(expert: boolean): { receiver: Receiver; sender: Sender } {
  return { receiver, sender: senderOf(expert) };
}
