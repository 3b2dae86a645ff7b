// A worker: takes jobs from the subject `jobs` of a NATS server, in the queue group `workers` (the
// server gives each job to one worker of the group), and answers each to the producer that sent it.
// A job is `<id> <n>`; the answer is `<id> <n squared> <worker name>`.
// Usage: node dist/worker.js [server] [name]   (default nats://127.0.0.1:4222 and the process id)
import { split, Nats } from 'message-io';

const server = process.argv[2] ?? 'nats://127.0.0.1:4222';
const name = process.argv[3] ?? `worker-${process.pid}`;

const [handler, listener] = split();
const net = handler.network();
const { addr } = await net.listen(Nats, `${server}/jobs`, { queue: 'workers', maxReconnectAttempts: -1 });
console.log(`${name} takes jobs from ${addr}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => handler.stop());

await listener.forEach((event) => {
  if (event.type !== 'message') return;
  const [id, n] = new TextDecoder().decode(event.data).split(' ');
  // The endpoint of a message is its sender's reply subject: sending to it answers that producer.
  net.send(event.endpoint, new TextEncoder().encode(`${id} ${Number(n) ** 2} ${name}`));
});
console.log(`${name} stopped`);
