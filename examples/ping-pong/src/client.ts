// Ping-pong client: sends a ping every second and prints each pong.
// Usage: node dist/client.js <tcp|framed-tcp|udp|ws> <host:port | ws://host:port/path>
import { split } from 'message-io';
import { PING, decodeFromServer } from './protocol.js';
import { transportByName } from './transports.js';

const transport = transportByName(process.argv[2], 'client <transport> <host:port | ws://url>');
const [handler, listener] = split<'ping'>();
const server = handler.network().connect(transport, process.argv[3] ?? '127.0.0.1:3042');

process.once('SIGINT', () => handler.stop());
await listener.forEach((event) => {
  switch (event.type) {
    case 'connected':
      if (!event.ok) {
        console.log(`cannot connect to ${server.addr}: ${event.error?.message}`);
        return handler.stop();
      }
      console.log(`connected to ${server.addr} by ${transport.name}`);
      handler.signals().send('ping');
      break;
    case 'signal':
      handler.network().send(server, PING);
      handler.signals().sendWithTimer('ping', 1000);
      break;
    case 'message': {
      const pong = decodeFromServer(event.data);
      if (pong === undefined) console.log('the server sent something that is not a pong');
      else if (pong.kind === 'pong') console.log(`pong: ${pong.count} pings so far`);
      else console.log('pong: the server does not count connectionless clients');
      break;
    }
    case 'disconnected':
      console.log('the server left');
      handler.stop();
      break;
  }
});
