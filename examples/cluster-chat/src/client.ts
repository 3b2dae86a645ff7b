// A client of the cluster chat: prints every line it receives, and sends each line typed; or,
// given a line on the command line, sends it once and stays to read the others (Ctrl+C ends it).
// Usage: node dist/client.js ws://127.0.0.1:4200/ ["a line to send"]
import { createInterface } from 'node:readline';
import { split, Ws } from 'message-io';

const [url = 'ws://127.0.0.1:4200/', line] = process.argv.slice(2);
const [handler, listener] = split();
const network = handler.network();
const server = await network.connectAndWait(Ws, url);
const send = (text: string): void => void network.send(server, new TextEncoder().encode(text));
if (line !== undefined) send(line);
else
  createInterface({ input: process.stdin })
    .on('line', send)
    .on('close', () => handler.stop());
process.once('SIGINT', () => handler.stop());

await listener.forEach((event) => {
  if (event.type === 'message') console.log(new TextDecoder().decode(event.data));
  else if (event.type === 'disconnected') handler.stop();
});
