// The browser chat: serves the page over HTTP and runs the chat server, a message-io Ws listener
// that relays every message (a line of UTF-8 text) to every participant, the sender included.
// Browsers, the terminal client (terminal.ts) and any Ws client speaking that protocol can join.
// Usage: node dist/server.js [port]   page on http://127.0.0.1:port/ (default 3080), chat on
// port + 1; with port 0 both take free ports. HOST=0.0.0.0 to be reachable from other machines.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { split } from '@message-io/core';
import { Ws } from '@message-io/ws';

const port = Number(process.argv[2] ?? 3080);
const host = process.env.HOST ?? '127.0.0.1';
const encoder = new TextEncoder();

const [handler, listener] = split();
const net = handler.network();
/** Everyone in the chat: a group, left by itself when a connection ends. */
const participants = net.group();

/** Sends `data` to everyone in the chat. */
function broadcast(data: Uint8Array): void {
  void participants.send(data);
}

const chat = await net.listen(Ws, `${host.includes(':') ? `[${host}]` : host}:${port === 0 ? 0 : port + 1}`, { maxPayload: 4096 });
const chatPort = chat.addr.slice(chat.addr.lastIndexOf(':') + 1);

/** The page's two files: index.html (told the chat's port) and the bundled app.js. */
async function files(): Promise<Map<string, { type: string; body: string }>> {
  const html = await readFile(new URL('../public/index.html', import.meta.url), 'utf8');
  const app = await readFile(new URL('./public/app.js', import.meta.url), 'utf8');
  return new Map([
    ['/', { type: 'text/html', body: html.replace('%CHAT_PORT%', chatPort) }],
    ['/app.js', { type: 'text/javascript', body: app }],
  ]);
}

const site = await files();
const http: Server = createServer((request, response) => {
  const path = new URL(request.url ?? '/', 'http://page').pathname;
  if (path === '/favicon.ico') return void response.writeHead(204).end();
  const file = site.get(path);
  if (file === undefined || request.method !== 'GET') return void response.writeHead(404).end('not found');
  response.writeHead(200, { 'content-type': `${file.type}; charset=utf-8` }).end(file.body);
});
await new Promise<void>((resolve) => http.listen(port, host, resolve));
const { port: httpPort } = http.address() as { port: number };

console.log(`chat page: http://${host.includes(':') ? `[${host}]` : host}:${httpPort}/`);
console.log(`chat server: Ws on ${chat.addr} (ws://${chat.addr}/)`);

const stop = (): void => {
  handler.stop();
  http.closeAllConnections();
  http.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

await listener.forEach((event) => {
  switch (event.type) {
    case 'accepted':
      participants.add(event.endpoint);
      broadcast(encoder.encode(`* ${event.endpoint.addr} joined (${participants.size} here)`));
      break;
    case 'message':
      broadcast(event.data);
      break;
    case 'disconnected': // already out of the group
      broadcast(encoder.encode(`* ${event.endpoint.addr} left (${participants.size} here)`));
      break;
  }
});
