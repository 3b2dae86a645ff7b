// FramedTcp echo server over TLS.
// Usage: node dist/server.js <cert.pem> <key.pem> [host:port] [client-ca.pem]
// With client-ca.pem, mutual TLS: every client must present a certificate signed by that CA.
import { readFileSync } from 'node:fs';
import { FramedTcp, split } from 'message-io';

const [certFile, keyFile, addr = '127.0.0.1:4443', clientCaFile] = process.argv.slice(2);
if (certFile === undefined || keyFile === undefined) {
  console.error('usage: server.js <cert.pem> <key.pem> [host:port] [client-ca.pem]');
  process.exit(2);
}

const [handler, listener] = split();
const { addr: bound } = await handler.network().listen(FramedTcp, addr, {
  tls: {
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    ...(clientCaFile !== undefined && { ca: readFileSync(clientCaFile), requestCert: true }),
  },
});
console.log(`listening on ${bound} (TLS${clientCaFile === undefined ? '' : ', client certificates required'})`);
process.once('SIGINT', () => handler.stop());

await listener.forEach((event) => {
  if (event.type === 'accepted') console.log(`${event.endpoint.addr} connected (handshake done)`);
  else if (event.type === 'message') handler.network().send(event.endpoint, event.data);
  else if (event.type === 'disconnected') console.log(`${event.endpoint.addr} disconnected`);
});
