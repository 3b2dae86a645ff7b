// The `npm start` demo: one echo server and three clients per transport, all in this process.
// Every client sends a few messages, checks the echoes, and leaves; then the node stops.
import { split, type Endpoint } from 'message-io';
import { transports } from './transports.js';

const CLIENTS = 3;
const MESSAGES = 5;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const [handler, listener] = split<'timeout'>();
const net = handler.network();
const servers = new Set<string>();
const clients = new Map<Endpoint, { transport: string; pending: string[]; received: string }>();

for (const { name, transport, address } of transports) {
  const { id, addr } = await net.listen(transport, address(0));
  servers.add(id.toString());
  console.log(`[${name}] echo server listening on ${addr}`);
  for (let i = 0; i < CLIENTS; i++) {
    const endpoint = net.connect(transport, addr);
    const pending = Array.from({ length: MESSAGES }, (_, n) => `${name} client ${i} message ${n}`);
    clients.set(endpoint, { transport: name, pending, received: '' });
  }
}
const deadline = handler.signals().sendWithTimer('timeout', 5000);
let finished = 0;
let failed = false;

await listener.forEach((event) => {
  switch (event.type) {
    case 'connected': {
      const client = clients.get(event.endpoint)!;
      if (!event.ok) {
        failed = true;
        console.log(`[${client.transport}] connect failed: ${event.error?.message}`);
        return;
      }
      for (const text of client.pending) net.send(event.endpoint, encoder.encode(text));
      break;
    }
    case 'accepted':
      break;
    case 'message': {
      const client = clients.get(event.endpoint);
      if (client === undefined) {
        net.send(event.endpoint, event.data); // the server side: echo it back
        return;
      }
      client.received += decoder.decode(event.data);
      if (client.received === client.pending.join('')) {
        console.log(`[${client.transport}] ${event.endpoint.addr}: ${client.pending.length} echoes received`);
        net.remove(event.endpoint.resourceId);
        if (++finished === clients.size) {
          handler.signals().cancelTimer(deadline);
          handler.stop();
        }
      }
      break;
    }
    case 'disconnected':
      console.log(`${event.endpoint.addr} disconnected`);
      break;
    case 'signal':
      failed = true;
      console.log('demo timed out');
      handler.stop();
      break;
  }
});
console.log(failed ? 'demo failed' : `demo done: ${finished} clients on ${servers.size} transports, every echo received`);
process.exitCode = failed ? 1 : 0;
