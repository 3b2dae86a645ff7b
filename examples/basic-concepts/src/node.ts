// A node that listens, connects to itself, sends one message, and stops.
import { FramedTcp, split } from 'message-io';

// S, the type of the signals this node can send itself: none here.
const [handler, listener] = split();

// listen() binds and resolves with the address actually bound (port 0: any free port).
const { id, addr } = await handler.network().listen(FramedTcp, '127.0.0.1:0');
console.log(`listener ${id} on ${addr}`);

// connect() returns the endpoint at once; the outcome comes later, as the `connected` event.
const server = handler.network().connect(FramedTcp, addr);

await listener.forEach((event) => {
  switch (event.type) {
    case 'connected': // our own connection is ready (or failed: event.ok is false)
      console.log(`connected to ${event.endpoint.addr}: ${event.ok}`);
      handler.network().send(server, new TextEncoder().encode('hello'));
      break;
    case 'accepted': // the listener accepted a connection: a new endpoint
      console.log(`accepted ${event.endpoint} on listener ${event.listenerId}`);
      break;
    case 'message': // event.data is ours: keep it, or read it after an await
      console.log(`message from ${event.endpoint.addr}: ${new TextDecoder().decode(event.data)}`);
      handler.stop(); // closes everything; forEach's promise resolves
      break;
    case 'disconnected':
      console.log(`${event.endpoint.addr} disconnected`);
      break;
  }
});
console.log('stopped');
