// Terminal chat client: joins with a name, sends each line typed, prints what the others say.
// Usage: node dist/client.js <name> [ws://127.0.0.1:3040/]   (type /quit or Ctrl-D to leave)
import { createInterface } from 'node:readline';
import { Ws, split } from 'message-io';
import { encode, parseServerMessage, type ServerMessage } from './protocol.js';

const name = process.argv[2];
if (name === undefined) {
  console.error('usage: client.js <name> [ws://host:port/]');
  process.exit(2);
}
const [handler, listener] = split();
const server = handler.network().connect(Ws, process.argv[3] ?? 'ws://127.0.0.1:3040/');
const lines = createInterface({ input: process.stdin });
let joined = false;
let inputEnded = false;
const queued: string[] = []; // lines typed (or piped) before the server welcomed us

const say = (line: string): void => {
  if (line === '/quit') return handler.stop();
  if (line.trim() !== '') handler.network().send(server, encode({ type: 'say', text: line }));
};

const show = (message: ServerMessage): void => {
  if (message.type === 'welcome') {
    console.log(`* joined as ${message.name}; here: ${message.members.join(', ') || 'nobody else'}`);
    joined = true;
    queued.splice(0).forEach(say);
    if (inputEnded) handler.stop();
  } else if (message.type === 'joined') console.log(`* ${message.name} joined`);
  else if (message.type === 'left') console.log(`* ${message.name} left`);
  else if (message.type === 'said') console.log(`${message.name}: ${message.text}`);
  else console.log(`* refused: ${message.reason}`);
};

lines.on('line', (line) => (joined ? say(line) : queued.push(line)));
lines.on('close', () => {
  // End of input (Ctrl-D, or the end of a piped file): leave, once what was typed is sent.
  inputEnded = true;
  if (joined) handler.stop();
});
process.once('SIGINT', () => handler.stop());
await listener.forEach((event) => {
  if (event.type === 'connected') {
    if (!event.ok) {
      console.log(`cannot connect to ${server.addr}: ${event.error?.message}`);
      return handler.stop();
    }
    handler.network().send(server, encode({ type: 'join', name }));
  } else if (event.type === 'message') {
    const message = parseServerMessage(event.data);
    if (message !== undefined) show(message);
  } else if (event.type === 'disconnected') {
    console.log('* the server closed the connection');
    handler.stop();
  }
});
lines.close();
