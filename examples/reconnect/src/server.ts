// An echo server to kill and start again while the client runs.
// Usage: node dist/server.js <framed-tcp|tcp|ws|ipc> <address>   (such as 127.0.0.1:4000, ipc:///tmp/echo.sock)
import { split } from 'message-io';
import { transportNamed } from './transports.js';

const transport = transportNamed(process.argv[2]);
const [handler, listener] = split();
const { addr } = await handler.network().listen(transport, process.argv[3] ?? '127.0.0.1:4000');
console.log(`listening on ${addr}`);
process.once('SIGINT', () => handler.stop());

await listener.forEach((event) => {
  if (event.type === 'accepted') console.log(`client ${event.endpoint.addr} connected`);
  else if (event.type === 'message') handler.network().send(event.endpoint, event.data);
});
