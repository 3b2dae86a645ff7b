// What the core adds to each message, with no socket: a do-nothing transport whose connection
// hands the same 64-byte message to the core again and again (the receive path: the watch's
// `received`, counting, the dispatcher, a callback that counts) and whose send accepts everything
// (the send path: `network().send`'s checks, counting). Reports nanoseconds a message, the last of
// 3 rounds. Pass the path of a built core's entry to compare two checkouts in turn.
// Usage: node dist/core-cost.js [path/to/core/dist/index.js] [messages a round, default 3000000]
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import type * as Core from 'message-io';

const entry = process.argv[2];
const core = (entry === undefined ? await import('message-io') : await import(pathToFileURL(entry).href)) as typeof Core;
const count = Number(process.argv[3] ?? 3_000_000);
const { PendingStatus, SendStatus, split } = core;

let watch: Core.RemoteWatch | undefined;
const remote: Core.Remote = {
  source: (w) => void (watch = w),
  pending: () => PendingStatus.Ready,
  receive: () => undefined,
  send: () => SendStatus.Sent,
  bufferedBytes: 0,
  close: () => undefined,
};
const transport: Core.Transport = {
  name: 'Null',
  connectionOriented: true,
  packetBased: true,
  maxMessageSize: Number.POSITIVE_INFINITY,
  adapter: {
    connect: () => remote,
    listen: () => Promise.reject(new Error('the null transport does not listen')),
  },
} as Core.Transport;

const [handler, listener] = split();
let received = 0;
listener.forEach((event) => {
  if (event.type === 'message') received++;
});
const endpoint = await handler.network().connectAndWait(transport, '127.0.0.1:1');
const data = new Uint8Array(64);
let figures = { receive: 0, send: 0 };
for (let round = 0; round < 3; round++) {
  let started = performance.now();
  for (let i = 0; i < count; i++) watch!.received(data);
  const receive = ((performance.now() - started) / count) * 1e6;
  started = performance.now();
  for (let i = 0; i < count; i++) handler.network().send(endpoint, data);
  figures = { receive, send: ((performance.now() - started) / count) * 1e6 };
}
if (received !== 3 * count) throw new Error(`${received} messages delivered, expected ${3 * count}`);
console.log(`receive ${figures.receive.toFixed(1)} ns, send ${figures.send.toFixed(1)} ns a message; load average ${loadavg()[0]!.toFixed(2)}`);
handler.stop();
