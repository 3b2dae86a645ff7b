// The listener as an async iterable: each event owns its data, so it can be kept.
import { FramedTcp, split } from 'message-io';

const [handler, listener] = split();
const { addr } = await handler.network().listen(FramedTcp, '127.0.0.1:0');
const client = await handler.network().connectAndWait(FramedTcp, addr);
for (const word of ['one', 'two', 'three']) handler.network().send(client, new TextEncoder().encode(word));

const kept: Uint8Array[] = [];
for await (const event of listener) {
  if (event.type !== 'message') continue;
  kept.push(event.data); // the event's data is ours: safe to keep
  if (kept.length === 3) break; // leaving the loop stops the node
}
console.log(kept.map((data) => new TextDecoder().decode(data)).join(' '));
