// What one handler.network().stats() call costs with many connections open: a FramedTcp server
// and its clients in this process, on 127.0.0.1 (two descriptors a connection: keep it under half
// of `ulimit -n`). Reports the median and the slowest of 21 calls on the server's node.
// Usage: node dist/stats-cost.js [connections, default 9000]
import { loadavg } from 'node:os';
import { FramedTcp, split } from 'message-io';

const count = Number(process.argv[2] ?? 9000);
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(`stats() with ${count} FramedTcp connections; load average ${load()}`);
const [server, serverEvents] = split();
const [client, clientEvents] = split();
let accepted = 0;
serverEvents.forEach((event) => {
  if (event.type === 'accepted') accepted++;
});
clientEvents.forEach(() => undefined);
const { addr } = await server.network().listen(FramedTcp, '127.0.0.1:0', { backlog: 4096 });
for (let i = 0; i < count; i += 500) {
  const batch = Math.min(500, count - i);
  await Promise.all(Array.from({ length: batch }, () => client.network().connectAndWait(FramedTcp, addr)));
}
while (accepted < count) await new Promise((resolve) => setTimeout(resolve, 10));
const times: number[] = [];
for (let i = 0; i < 21; i++) {
  const started = performance.now();
  const stats = server.network().stats();
  times.push(performance.now() - started);
  if (stats.connections !== count) throw new Error(`expected ${count} connections, stats() says ${stats.connections}`);
}
times.sort((a, b) => a - b);
console.log(`median ${times[10]!.toFixed(3)} ms, slowest ${times[20]!.toFixed(3)} ms; load average ${load()}`);
client.stop();
server.stop();
