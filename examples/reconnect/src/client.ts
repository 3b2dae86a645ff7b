// A client that sends a numbered tick every 250 ms and stays with its server through restarts:
// the `reconnect` option makes the connection again, with the same endpoint, when it is lost.
// Usage: node dist/client.js <framed-tcp|tcp|ws|ipc> <address>   (ws: ws://127.0.0.1:4000/)
import { SendStatus, split } from 'message-io';
import { transportNamed } from './transports.js';

const transport = transportNamed(process.argv[2]);
const [handler, listener] = split<'tick'>();
const server = handler.network().connect(transport, process.argv[3] ?? '127.0.0.1:4000', {
  // Retry after about 0.2 s, then 0.4, 0.8, ... up to 2 s between retries; give up after 5 minutes.
  reconnect: { initialDelay: 200, maxDelay: 2_000, maxTime: 300_000 },
});
const encoder = new TextEncoder();
let tick = 0;
process.once('SIGINT', () => handler.stop());

await listener.forEach((event) => {
  switch (event.type) {
    case 'connected':
      if (event.ok && event.reconnected === true) console.log('reconnected');
      else if (event.ok) {
        console.log(`connected to ${server.addr}`);
        handler.signals().send('tick'); // the ticks start once, and go on through every outage
      } else {
        console.log(`gave up: ${event.error?.message}`);
        handler.stop();
      }
      break;
    case 'reconnecting':
      console.log(
        `${event.attempt === 1 ? 'connection lost' : 'still down'} (${
          event.error?.message ?? 'closed by the server'
        }); retry ${event.attempt} in ${event.delay} ms`,
      );
      break;
    case 'disconnected': // only once the reconnect policy gives up
      console.log(`gave up: ${event.error?.message}`);
      handler.stop();
      break;
    case 'message':
      console.log(`echo: ${new TextDecoder().decode(event.data)}`);
      break;
    case 'signal': {
      const status = handler.network().send(server, encoder.encode(`tick ${++tick};`));
      // While the connection is down, send answers ResourceNotAvailable and keeps nothing.
      if (status !== SendStatus.Sent) console.log(`tick ${tick} not sent: ${status}`);
      handler.signals().sendWithTimer('tick', 250);
      break;
    }
  }
});
