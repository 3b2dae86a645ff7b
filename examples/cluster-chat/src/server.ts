// A Ws chat server in several processes: node:cluster workers share one listening port, each
// worker's node holds the clients the kernel gave it, and every line reaches every client: a
// worker sends it to its own clients and to the primary, which passes it to the other workers.
// Usage: node dist/server.js [port] [workers]   (default 4200 and 2; port 0 for any free port)
import cluster from 'node:cluster';
import { split, Ws } from 'message-io';

/** What workers and the primary tell each other over the cluster's IPC channel. */
type Note = { listening: string } | { line: string } | { stop: true };

const port = Number(process.argv[2] ?? 4200);
const workers = Number(process.argv[3] ?? 2);

if (cluster.isPrimary) {
  let listening = 0;
  cluster.on('message', (from, note: Note) => {
    if ('listening' in note) {
      console.log(`worker ${from.id} (pid ${from.process.pid}) listening`);
      if (++listening === workers) console.log(`chat on ws://${note.listening}/ with ${workers} workers`);
      return;
    }
    if (!('line' in note)) return;
    // A line said on one worker: the others send it to their clients.
    for (const worker of Object.values(cluster.workers ?? {})) if (worker !== from) worker?.send(note);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!worker.exitedAfterDisconnect) console.log(`worker ${worker.id} ended (${signal ?? code})`);
  });
  for (let i = 0; i < workers; i++) cluster.fork();
  // Each worker stops its node and leaves; the primary ends with the last of them.
  const stop = (): void => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send({ stop: true } satisfies Note);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} else {
  const id = cluster.worker!.id;
  const [handler, listener] = split();
  const network = handler.network();
  // Every worker listens on the same address: the primary holds the socket and hands each new
  // connection to one worker in turn.
  const { addr } = await network.listen(Ws, `127.0.0.1:${port}`);
  // This worker's clients: a group, which a client leaves by itself when its connection ends.
  const clients = network.group();
  const toClients = (line: string): void => void clients.send(new TextEncoder().encode(line));
  process.on('message', (note: Note) => {
    if ('line' in note) toClients(note.line);
    else if ('stop' in note) handler.stop();
  });
  process.once('disconnect', () => handler.stop()); // the primary is gone
  process.send!({ listening: addr } satisfies Note);

  await listener.forEach((event) => {
    if (event.type === 'accepted') {
      clients.add(event.endpoint);
      network.send(event.endpoint, new TextEncoder().encode(`welcome to worker ${id}`));
    } else if (event.type === 'message') {
      const line = `${event.endpoint.addr} (worker ${id}): ${new TextDecoder().decode(event.data)}`;
      toClients(line);
      process.send!({ line } satisfies Note);
    }
  });
  if (cluster.worker!.isConnected()) cluster.worker!.disconnect(); // stopped: leave the cluster; nothing holds the process now
}
