// Two peers over a WebRTC data channel: each line typed on one side is printed on the other.
// Usage: node dist/peer.js listen [127.0.0.1:3060]       (waits for peers; the address is its signalling socket)
//        node dist/peer.js connect 127.0.0.1:3060         (connects to a listening peer)
// Type lines to send them; `/quit` or Ctrl-D leaves (what was typed is sent first).
import { createInterface } from 'node:readline';
import { split, type Endpoint } from '@message-io/core';
import { WebRtc } from 'message-io-webrtc';

const [mode, addr = '127.0.0.1:3060'] = process.argv.slice(2);
if (mode !== 'listen' && mode !== 'connect') {
  console.error('usage: peer.js listen [host:port] | peer.js connect host:port');
  process.exit(2);
}

const [handler, listener] = split();
const network = handler.network();
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** The peers whose data channel is open: every typed line goes to each of them. */
const peers = new Set<Endpoint>();
const lines = createInterface({ input: process.stdin });
const typed: string[] = []; // lines typed before a peer is there
let inputEnded = false;

const say = (line: string): void => {
  if (line === '/quit') return handler.stop();
  if (peers.size === 0) return void typed.push(line);
  for (const peer of peers) network.send(peer, encoder.encode(line));
};
lines.on('line', say);
lines.on('close', () => {
  // End of input: a connecting peer leaves once it has a peer and sent what was typed; `stop` lets
  // what was sent reach the other side within the linger before the channel closes.
  inputEnded = true;
  if (mode === 'connect' && peers.size > 0) handler.stop();
});
process.once('SIGINT', () => handler.stop());

if (mode === 'listen') {
  const { addr: bound } = await network.listen(WebRtc, addr);
  console.log(`listening for peers on ${bound} (signalling)`);
} else {
  network.connect(WebRtc, addr);
}

/** A peer's data channel is open (`connected` on the side that connected, `accepted` on the listener). */
const opened = (peer: Endpoint): void => {
  peers.add(peer);
  console.log(`* data channel open with ${peer.addr}`);
  for (const line of typed.splice(0)) say(line);
  if (inputEnded && mode === 'connect') handler.stop();
};

await listener.forEach((event) => {
  switch (event.type) {
    case 'accepted':
      opened(event.endpoint);
      break;
    case 'connected':
      if (event.ok) return opened(event.endpoint);
      console.log(`* cannot connect to ${addr}: ${event.error?.message}`);
      handler.stop();
      break;
    case 'message':
      console.log(`${event.endpoint.addr}: ${decoder.decode(event.data)}`);
      break;
    case 'disconnected':
      peers.delete(event.endpoint);
      console.log(`* peer ${event.endpoint.addr} left`);
      if (mode === 'connect') handler.stop();
      break;
  }
});
lines.close();
