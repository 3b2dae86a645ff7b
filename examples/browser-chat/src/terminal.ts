// The terminal side of the chat: sends each line you type (as `name: line`), prints every line
// the chat server relays. Ctrl-D or Ctrl-C leaves.
// Usage: node dist/terminal.js [server] [name]   (default ws://127.0.0.1:3081/ and terminal-<pid>)
import { createInterface } from 'node:readline';
import { split } from '@message-io/core';
import { Ws } from '@message-io/ws';

const url = process.argv[2] ?? 'ws://127.0.0.1:3081/';
const name = process.argv[3] ?? `terminal-${process.pid}`;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const [handler, listener] = split();
const net = handler.network();
const server = net.connect(Ws, url);
const input = createInterface({ input: process.stdin, terminal: false });

input.on('line', (line) => {
  if (line.trim() === '') return;
  const status = net.send(server, encoder.encode(`${name}: ${line}`));
  if (status !== 'Sent') console.log(`(not sent: ${status})`);
});
input.on('close', () => handler.stop());

await listener.forEach((event) => {
  switch (event.type) {
    case 'connected':
      if (event.ok) console.log(`connected to ${url} as ${name}`);
      else {
        console.log(`could not connect to ${url}: ${event.error?.message}`);
        process.exitCode = 1;
        handler.stop();
      }
      break;
    case 'message':
      console.log(decoder.decode(event.data));
      break;
    case 'disconnected':
      console.log('the chat server left');
      handler.stop();
      break;
  }
});
input.close();
