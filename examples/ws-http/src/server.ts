// An HTTP application with its own routes, and a WebSocket chat endpoint on the same port, at /chat.
// Usage: node dist/server.js [port]   (default 8080; 0 for any free port)
import { createServer } from 'node:http';
import { SendStatus, split, Ws, type Endpoint } from 'message-io';

// The application's server, as an Express or Fastify app would create it (`createServer(app)`).
const server = createServer((request, response) => {
  if (request.url === '/') response.end('hello over HTTP\n');
  else response.writeHead(404).end('not found\n');
});
await new Promise<void>((resolve) => server.listen(Number(process.argv[2] ?? 8080), '127.0.0.1', resolve));

const [handler, listener] = split();
// No port of its own: the listener takes the upgrade requests for /chat on the application's server.
const { addr } = await handler.network().listen(Ws, '127.0.0.1:0', {
  server,
  path: '/chat',
  selectProtocol: (offered) => (offered.includes('chat.v1') ? 'chat.v1' : undefined),
});
console.log(`HTTP on http://${addr}/ and WebSocket on ws://${addr}/chat`);
process.once('SIGINT', () => {
  handler.stop();
  server.close();
});

const members = new Set<Endpoint>();
await listener.forEach((event) => {
  if (event.type === 'accepted') members.add(event.endpoint);
  else if (event.type === 'disconnected') members.delete(event.endpoint);
  else if (event.type === 'message') {
    // Browsers send strings as text frames: answer in kind, to everyone.
    const line = `${event.endpoint.addr}: ${new TextDecoder().decode(event.data)}`;
    for (const member of members) {
      const status = event.text === true ? handler.network().sendText(member, line) : handler.network().send(member, new TextEncoder().encode(line));
      if (status !== SendStatus.Sent) console.log(`not sent to ${member.addr}: ${status}`);
    }
  }
});
