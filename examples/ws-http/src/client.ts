// A chat client for the ws-http server: offers the chat.v1 subprotocol, sends one line as text, and
// prints what comes back. Usage: node dist/client.js ws://127.0.0.1:8080/chat "hello"
import { split, Ws } from 'message-io';

const [url = 'ws://127.0.0.1:8080/chat', line = 'hello'] = process.argv.slice(2);
const [handler, listener] = split();
const server = handler.network().connect(Ws, url, { protocols: ['chat.v1'] });

await listener.forEach((event) => {
  if (event.type === 'connected') {
    if (!event.ok) {
      console.log(`cannot connect: ${event.error?.message}`);
      process.exitCode = 1;
      return handler.stop();
    }
    console.log(`connected, subprotocol ${handler.network().protocol(server) ?? 'none'}`);
    handler.network().sendText(server, line);
  } else if (event.type === 'message') {
    console.log(`${event.text === true ? 'text' : 'binary'}: ${new TextDecoder().decode(event.data)}`);
    handler.stop();
  }
});
