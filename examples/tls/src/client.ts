// FramedTcp client over TLS: sends three messages, prints their echoes, and leaves.
// Usage: node dist/client.js <host:port> <ca.pem> [client-cert.pem client-key.pem]
import { readFileSync } from 'node:fs';
import { FramedTcp, split } from 'message-io';

const [addr, caFile, certFile, keyFile] = process.argv.slice(2);
if (addr === undefined || caFile === undefined) {
  console.error('usage: client.js <host:port> <ca.pem> [client-cert.pem client-key.pem]');
  process.exit(2);
}

const [handler, listener] = split();
const server = handler.network().connect(FramedTcp, addr, {
  tls: {
    ca: readFileSync(caFile),
    ...(certFile !== undefined && keyFile !== undefined && { cert: readFileSync(certFile), key: readFileSync(keyFile) }),
  },
});
const encoder = new TextEncoder();
let echoes = 0;

await listener.forEach((event) => {
  if (event.type === 'connected') {
    if (!event.ok) {
      console.log(`cannot connect: ${event.error?.message}`);
      process.exitCode = 1;
      return handler.stop();
    }
    console.log(`connected to ${server.addr} over TLS`);
    for (let i = 1; i <= 3; i++) handler.network().send(server, encoder.encode(`message ${i}`));
  } else if (event.type === 'message') {
    console.log(`echo: ${new TextDecoder().decode(event.data)}`);
    if (++echoes === 3) handler.stop();
  } else if (event.type === 'disconnected') {
    console.log(`the server closed the connection${event.error === undefined ? '' : `: ${event.error.message}`}`);
    process.exitCode = 1;
    handler.stop();
  }
});
