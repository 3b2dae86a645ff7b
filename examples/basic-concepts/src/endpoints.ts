// Endpoints and resources on Udp, which has no connections: a listener answers any address.
import { Endpoint, Udp, split } from 'message-io';

const [handler, listener] = split();
const network = handler.network();

const { id: listenerId, addr } = await network.listen(Udp, '127.0.0.1:0');
const peer = await network.connectAndWait(Udp, addr); // resolves when ready: at once for Udp
console.log(`listener ${listenerId} (local: ${listenerId.isLocal}), connection ${peer.resourceId} (remote: ${peer.resourceId.isRemote})`);
console.log(`send: ${network.send(peer, new Uint8Array([1, 2, 3]))}`);

await listener.forEach((event) => {
  if (event.type !== 'message') return;
  if (event.endpoint.resourceId === listenerId) {
    // A datagram that reached the listener: answer its sender from the listener's socket.
    console.log(`listener got ${event.data.byteLength} bytes from ${event.endpoint.addr}`);
    const reply = Endpoint.fromListener(listenerId, event.endpoint.addr);
    network.send(reply, new Uint8Array([4]));
  } else {
    console.log(`connection got ${event.data.byteLength} byte back`);
    network.remove(peer.resourceId); // no `disconnected` follows a remove()
    console.log(`send after remove: ${network.send(peer, new Uint8Array([5]))}`);
    console.log(`isReady: listener ${network.isReady(listenerId)}, removed ${network.isReady(peer.resourceId)}`);
    handler.stop();
  }
});
