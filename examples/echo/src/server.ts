// All-in-one echo server: listens on every transport and sends each message back to its sender.
// Usage: node dist/server.js [port] [--verbose]   (FramedTcp and Udp on port, default 3042; Tcp on
// port + 1; Ws on port + 2; Ipc on the local socket @message-io-echo-<port>). --verbose prints what
// message-io publishes on its diagnostics channels (src/verbose.ts).
import { split } from 'message-io';
import { transports } from './transports.js';
import { logDiagnostics } from './verbose.js';

const args = process.argv.slice(2);
if (args.includes('--verbose')) logDiagnostics();
const base = Number(args.find((arg) => arg !== '--verbose') ?? 3042);
const [handler, listener] = split();

for (const { transport, address } of transports) {
  const { addr } = await handler.network().listen(transport, address(base));
  console.log(`echo server: ${transport.name} on ${addr}`);
}

process.once('SIGINT', () => handler.stop());
await listener.forEach((event) => {
  switch (event.type) {
    case 'accepted':
      console.log(`client ${event.endpoint.addr} connected`);
      break;
    case 'message':
      handler.network().send(event.endpoint, event.data);
      break;
    case 'disconnected':
      console.log(`client ${event.endpoint.addr} left`);
      break;
  }
});
