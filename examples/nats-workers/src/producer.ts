// A producer: sends jobs to the subject `jobs` of a NATS server and waits for every answer. NATS
// delivers at most once (a job sent while no worker listens is lost), so a job still unanswered
// after a while is sent again; an answer that comes twice counts once.
// Usage: node dist/producer.js [server] [jobs]   (default nats://127.0.0.1:4222 and 10)
import { split, Nats } from 'message-io';

const server = process.argv[2] ?? 'nats://127.0.0.1:4222';
const count = Number(process.argv[3] ?? 10);
const RETRY_MS = 500;
const MAX_TRIES = 20;

const [handler, listener] = split<'retry'>();
const net = handler.network();
const jobs = net.connect(Nats, `${server}/jobs`);
const answers = new Map<number, string>();
const byWorker = new Map<string, number>();
let tries = 0;

function sendMissing(): void {
  for (let id = 0; id < count; id++) {
    if (!answers.has(id)) net.send(jobs, new TextEncoder().encode(`${id} ${id + 1}`));
  }
  if (++tries < MAX_TRIES) handler.signals().sendWithTimer('retry', RETRY_MS);
}

await listener.forEach((event) => {
  switch (event.type) {
    case 'connected':
      if (!event.ok) {
        console.error(`cannot reach ${server}: ${event.error?.message}`);
        process.exitCode = 1;
        handler.stop();
      } else sendMissing();
      break;
    case 'signal':
      if (answers.size < count) sendMissing();
      break;
    case 'message': {
      const [id, square, worker] = new TextDecoder().decode(event.data).split(' ');
      if (answers.has(Number(id))) break;
      answers.set(Number(id), square!);
      byWorker.set(worker!, (byWorker.get(worker!) ?? 0) + 1);
      console.log(`job ${id}: ${square} from ${worker}`);
      if (answers.size === count) handler.stop();
      break;
    }
  }
  if (tries >= MAX_TRIES && answers.size < count) {
    console.error(`${count - answers.size} jobs unanswered after ${MAX_TRIES} tries`);
    process.exitCode = 1;
    handler.stop();
  }
});
const shares = [...byWorker].map(([worker, jobs]) => `${worker} ${jobs}`).join(', ');
console.log(`${answers.size} of ${count} jobs answered (${shares})`);
