// Discovery server: keeps the list of participants, gives it to each newcomer, and tells everyone
// who joins and who leaves. It never relays what participants say to each other.
// Usage: node dist/discovery.js [host:port]   (default 127.0.0.1:5000)
import { FramedTcp, split, type Endpoint } from 'message-io';
import { decode, encode, type FromDiscovery, type Participant, type ToDiscovery } from './protocol.js';

const [handler, listener] = split();
const network = handler.network();
const { addr } = await network.listen(FramedTcp, process.argv[2] ?? '127.0.0.1:5000', { maxMessageSize: 4096 });
console.log(`discovery server on ${addr}`);

const participants = new Map<Endpoint, Participant>();
const tellOthers = (except: Endpoint, message: FromDiscovery): void => {
  for (const endpoint of participants.keys()) if (endpoint !== except) network.send(endpoint, encode(message));
};

const register = (endpoint: Endpoint, message: ToDiscovery | undefined): void => {
  const valid = message?.type === 'register' && typeof message.name === 'string' && typeof message.addr === 'string';
  if (!valid || participants.has(endpoint)) return void network.remove(endpoint.resourceId);
  if ([...participants.values()].some((p) => p.name === message.name)) {
    network.send(endpoint, encode({ type: 'refused', reason: `${message.name} is registered already` }));
    return void network.remove(endpoint.resourceId);
  }
  const participant = { name: message.name, addr: message.addr };
  network.send(endpoint, encode({ type: 'participants', list: [...participants.values()] }));
  tellOthers(endpoint, { type: 'joined', participant });
  participants.set(endpoint, participant);
  console.log(`${participant.name} registered, direct address ${participant.addr} (${participants.size} registered)`);
};

process.once('SIGINT', () => handler.stop());
await listener.forEach((event) => {
  if (event.type === 'message') register(event.endpoint, decode<ToDiscovery>(event.data));
  else if (event.type === 'disconnected') {
    const participant = participants.get(event.endpoint);
    if (participant === undefined) return;
    participants.delete(event.endpoint);
    tellOthers(event.endpoint, { type: 'left', name: participant.name });
    console.log(`${participant.name} left (${participants.size} registered)`);
  }
});
