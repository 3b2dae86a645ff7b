// Chat server over Ws: relays each line to everyone and tells who joins and leaves.
// Usage: node dist/server.js [host:port]   (default 127.0.0.1:3040; clients dial ws://host:port/)
import { Ws, split, type Endpoint } from 'message-io';
import { encode, parseClientMessage, type ServerMessage } from './protocol.js';

const [handler, listener] = split();
const network = handler.network();
const { addr } = await network.listen(Ws, process.argv[2] ?? '127.0.0.1:3040', { maxPayload: 64 * 1024 });
console.log(`chat server on ws://${addr}/`);

const members = new Map<Endpoint, string>(); // connections that joined, and their names
// The connections that joined, as a group: one call sends to all of them (framed once), and a
// connection that ends leaves the group by itself.
const room = network.group();

const broadcast = (message: ServerMessage): void => {
  void room.send(encode(message));
};

const onMessage = (endpoint: Endpoint, data: Uint8Array): void => {
  const message = parseClientMessage(data);
  const name = members.get(endpoint);
  if (message?.type === 'join' && name === undefined) {
    if ([...members.values()].includes(message.name)) {
      network.send(endpoint, encode({ type: 'refused', reason: `the name ${message.name} is taken` }));
      return void network.remove(endpoint.resourceId); // flushes the answer, then closes
    }
    network.send(endpoint, encode({ type: 'welcome', name: message.name, members: [...members.values()] }));
    broadcast({ type: 'joined', name: message.name });
    members.set(endpoint, message.name);
    room.add(endpoint);
    console.log(`${message.name} joined from ${endpoint.addr} (${members.size} here)`);
  } else if (message?.type === 'say' && name !== undefined) {
    broadcast({ type: 'said', name, text: message.text });
  } else {
    console.log(`${endpoint.addr} broke the protocol; closed`);
    network.remove(endpoint.resourceId);
    leave(endpoint);
  }
};

const leave = (endpoint: Endpoint): void => {
  const name = members.get(endpoint);
  if (name === undefined) return;
  members.delete(endpoint);
  room.delete(endpoint); // already out if its connection ended; not if the server closed it
  broadcast({ type: 'left', name });
  console.log(`${name} left (${members.size} here)`);
};

process.once('SIGINT', () => handler.stop());
await listener.forEach((event) => {
  if (event.type === 'message') onMessage(event.endpoint, event.data);
  else if (event.type === 'disconnected') leave(event.endpoint);
});
