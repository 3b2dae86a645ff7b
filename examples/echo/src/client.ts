// Echo client: sends "hello" every second and prints what comes back.
// Usage: node dist/client.js [transport] [port]   (defaults: framed-tcp 3042; the server's base port)
import { split } from 'message-io';
import { transportByName } from './transports.js';

const { transport, address } = transportByName(process.argv[2] ?? 'framed-tcp');
const [handler, listener] = split<'greet'>();

const server = handler.network().connect(transport, address(Number(process.argv[3] ?? 3042)));

process.once('SIGINT', () => handler.stop());
await listener.forEach((event) => {
  switch (event.type) {
    case 'connected':
      if (!event.ok) {
        console.log(`cannot connect to ${server.addr}: ${event.error?.message}`);
        return handler.stop();
      }
      handler.signals().send('greet');
      break;
    case 'message':
      console.log(`echo: ${new TextDecoder().decode(event.data)}`);
      break;
    case 'disconnected':
      console.log('server left');
      handler.stop();
      break;
    case 'signal':
      handler.network().send(server, new TextEncoder().encode('hello'));
      handler.signals().sendWithTimer('greet', 1000);
      break;
  }
});
