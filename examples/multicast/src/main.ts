// Multicast discovery: every node joins one Udp multicast group and says hello there; nodes that
// hear a new name say hello again, so that the newcomer learns of them too. On Ctrl-C, goodbye.
// Usage: node dist/main.js <name> [--group 239.255.0.1:3010] [--interface <IPv4 of an interface>]
import { parseArgs } from 'node:util';
import { Udp, split } from 'message-io';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { group: { type: 'string', default: '239.255.0.1:3010' }, interface: { type: 'string' } },
});
const name = positionals[0];
if (name === undefined || name.includes(':')) {
  console.error('usage: main.js <name> [--group 239.255.0.1:3010] [--interface 127.0.0.1]');
  process.exit(2);
}
// The interface to join the group on and to send through; the system's choice when not given.
const options = values.interface === undefined ? {} : { multicastInterface: values.interface };

const [handler, listener] = split();
const network = handler.network();
await network.listen(Udp, values.group, options); // a multicast address: listening joins the group
const group = network.connect(Udp, values.group, options);
const say = (word: 'hello' | 'bye'): void => void network.send(group, new TextEncoder().encode(`${word}:${name}`));

const known = new Set<string>();
process.once('SIGINT', () => {
  say('bye');
  handler.stop(); // a sent datagram is already on its way
});
await listener.forEach((event) => {
  if (event.type === 'connected') {
    console.log(`${name} joined ${values.group}`);
    say('hello');
  } else if (event.type === 'message') {
    const [word, who] = new TextDecoder().decode(event.data).split(':', 2);
    if (who === undefined || who === name) return; // our own datagrams come back too
    if (word === 'hello' && !known.has(who)) {
      known.add(who);
      console.log(`found ${who} at ${event.endpoint.addr} (${known.size} known)`);
      say('hello'); // so that the newcomer learns of us
    } else if (word === 'bye' && known.delete(who)) {
      console.log(`${who} left (${known.size} known)`);
    }
  }
});
