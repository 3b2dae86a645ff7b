// Participant: takes direct messages on a Udp listener of its own, registers that address with the
// discovery server, and greets every other participant directly as it learns of them.
// Usage: node dist/participant.js <name> [discovery host:port] [host for its Udp listener]
//        (defaults: 127.0.0.1:5000 and 127.0.0.1)
import { Endpoint, FramedTcp, Udp, split, type ResourceId } from 'message-io';
import { decode, encode, type FromDiscovery, type Participant } from './protocol.js';

const [name, discoveryAddr = '127.0.0.1:5000', host = '127.0.0.1'] = process.argv.slice(2);
if (name === undefined) {
  console.error('usage: participant.js <name> [discovery host:port] [host]');
  process.exit(2);
}
const [handler, listener] = split();
const network = handler.network();
const direct = await network.listen(Udp, `${host}:0`);
const discovery = network.connect(FramedTcp, discoveryAddr);

/** Sends from our Udp listener, so that the receiver sees our registered address as the sender. */
const greet = (listenerId: ResourceId, participant: Participant): void => {
  network.send(Endpoint.fromListener(listenerId, participant.addr), new TextEncoder().encode(`hello ${participant.name}, I am ${name}`));
};

const onDiscovery = (message: FromDiscovery | undefined): void => {
  if (message?.type === 'participants') {
    console.log(`registered as ${name}; ${message.list.length} other participant(s)`);
    for (const participant of message.list) greet(direct.id, participant);
  } else if (message?.type === 'joined') {
    console.log(`${message.participant.name} joined at ${message.participant.addr}`);
    greet(direct.id, message.participant);
  } else if (message?.type === 'left') {
    console.log(`${message.name} left`);
  } else if (message?.type === 'refused') {
    console.log(`refused: ${message.reason}`);
  }
};

process.once('SIGINT', () => handler.stop());
await listener.forEach((event) => {
  if (event.type === 'connected') {
    if (!event.ok) {
      console.log(`cannot reach the discovery server at ${discoveryAddr}: ${event.error?.message}`);
      return handler.stop();
    }
    network.send(discovery, encode({ type: 'register', name, addr: direct.addr }));
  } else if (event.type === 'message' && event.endpoint === discovery) {
    onDiscovery(decode<FromDiscovery>(event.data));
  } else if (event.type === 'message') {
    console.log(`direct from ${event.endpoint.addr}: ${new TextDecoder().decode(event.data)}`);
  } else if (event.type === 'disconnected') {
    console.log('the discovery server is gone');
    handler.stop();
  }
});
