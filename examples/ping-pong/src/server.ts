// Ping-pong server: answers each ping with a pong that counts the pings of that client.
// Usage: node dist/server.js <tcp|framed-tcp|udp|ws> <port | host:port>
// (a bare port listens on every interface, as the Rust example does)
import { split, type Endpoint } from 'message-io';
import { encodePong, encodeUnknownPong, isPing } from './protocol.js';
import { transportByName } from './transports.js';

const transport = transportByName(process.argv[2], 'server <transport> <port | host:port>');
const where = process.argv[3] ?? '3042';
const address = /^\d+$/.test(where) ? `0.0.0.0:${where}` : where;

const [handler, listener] = split();
const { addr } = await handler.network().listen(transport, address);
console.log(`ping-pong server: ${transport.name} on ${addr}`);

// Pings counted per client. Udp has no connections, so its clients are unknown: they get UnknownPong.
const clients = new Map<Endpoint, bigint>();

process.once('SIGINT', () => handler.stop());
await listener.forEach((event) => {
  switch (event.type) {
    case 'accepted':
      clients.set(event.endpoint, 0n);
      console.log(`client ${event.endpoint.addr} connected (${clients.size} connected)`);
      break;
    case 'message': {
      if (!isPing(event.data)) return console.log(`not a ping from ${event.endpoint.addr}, ignored`);
      const count = clients.get(event.endpoint);
      if (count === undefined) {
        console.log(`ping from ${event.endpoint.addr}`);
        handler.network().send(event.endpoint, encodeUnknownPong());
      } else {
        clients.set(event.endpoint, count + 1n);
        console.log(`ping ${count + 1n} from ${event.endpoint.addr}`);
        handler.network().send(event.endpoint, encodePong(count + 1n));
      }
      break;
    }
    case 'disconnected':
      clients.delete(event.endpoint);
      console.log(`client ${event.endpoint.addr} disconnected (${clients.size} connected)`);
      break;
  }
});
