// A Node server of the send-floor benchmark (send-floor.ts), in its own process:
//   node dist/send-floor-server.js <net-loop|ours-loop|ours-group> <connections> <rounds> <size>
// Speaks as floor/send-floor.c does: prints "ADDR <addr>", accepts <connections>, waits 500 ms, then
// sends one <size>-byte message to every connection per round, 2 uncounted rounds and <rounds>
// counted ones 200 ms apart, and prints "ROUND <ms> <cpu ms> <sent>" for each counted one: the time
// from the first send call to the last one's return (a group: to its report).
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SendStatus, split, type Endpoint } from '@message-io/core';
import { Tcp } from '@message-io/tcp';

/** The ways this server sends to everyone. */
export type FloorWay = 'net-loop' | 'ours-loop' | 'ours-group';

const WARMUP = 2;
const [way, countText, roundsText, sizeText] = process.argv.slice(2) as [FloorWay, string, string, string];
const count = Number(countText);
const message = new Uint8Array(Number(sizeText)).fill(7);

/** Listens, prints ADDR, resolves with the send-to-everyone of `way` once `count` connections are in. */
async function serve(): Promise<() => Promise<number>> {
  if (way === 'net-loop') {
    const sockets: Socket[] = [];
    let all: () => void = () => undefined;
    const accepted = new Promise<void>((resolve) => (all = resolve));
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      sockets.push(socket);
      if (sockets.length === count) all();
    });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, resolve));
    process.stdout.write(`ADDR 127.0.0.1:${(server.address() as { port: number }).port}\n`);
    await accepted;
    return async () => {
      for (const socket of sockets) socket.write(message);
      return sockets.length;
    };
  }
  const [handler, listener] = split();
  const net = handler.network();
  const group = net.group();
  const everyone: Endpoint[] = [];
  let all: () => void = () => undefined;
  const accepted = new Promise<void>((resolve) => (all = resolve));
  void listener.forEach((event) => {
    if (event.type !== 'accepted') return;
    everyone.push(event.endpoint);
    group.add(event.endpoint);
    if (everyone.length === count) all();
  });
  const { addr } = await net.listen(Tcp, '127.0.0.1:0', { backlog: 4096 });
  process.stdout.write(`ADDR ${addr}\n`);
  await accepted;
  if (way === 'ours-group') return async () => (await group.send(message)).sent;
  return async () => {
    let sent = 0;
    for (const endpoint of everyone) if (net.send(endpoint, message) === SendStatus.Sent) sent++;
    return sent;
  };
}

const sendToEveryone = await serve();
await sleep(500);
for (let round = 0; round < WARMUP + Number(roundsText); round++) {
  await sleep(200);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const sent = await sendToEveryone();
  // Writes a transport holds back until the next tick are made then: after those.
  await new Promise((resolve) => process.nextTick(resolve));
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  if (round >= WARMUP) process.stdout.write(`ROUND ${ms.toFixed(3)} ${((used.user + used.system) / 1000).toFixed(3)} ${sent}\n`);
}
process.exit(0);
