// Echo server: sends every message back to whoever sent it.
// Usage: node dist/server.js [transport] [address]   (defaults: framed-tcp 127.0.0.1:3042)
import { split } from 'message-io';
import { transportByName } from './transports.js';

const transport = transportByName(process.argv[2] ?? 'framed-tcp');
const [handler, listener] = split();

const { addr } = await handler.network().listen(transport, process.argv[3] ?? '127.0.0.1:3042');
console.log(`echo server on ${addr} (${transport.name})`);

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
