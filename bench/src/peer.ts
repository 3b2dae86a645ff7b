// One benchmark peer in its own process: node dist/peer.js <ours|borrowed|native|expert|socket.io|zeromq> <receiver|sender> <job-json> [addr]
// Prints "ADDR <addr>" (the receiver; the sender in a toClient job) and "RESULT <json>" when it has figures.
import type { Impl, Job, Result } from './job.js';

// Each peer loads only what its side needs, as its user would: Node's modules for native, core and
// the measured transport's package for ours (peers/ours.ts), never the whole `message-io` package.

const [impl, role, jobText, addr] = process.argv.slice(2) as [Impl, string, string, string?];
const job = JSON.parse(jobText) as Job;
// With MESSAGE_IO_BENCH_SUBSCRIBE=1 in the environment, our peers subscribe to every diagnostics
// channel (and count what they get), to measure what a subscriber costs.
if ((impl === 'ours' || impl === 'borrowed') && process.env.MESSAGE_IO_BENCH_SUBSCRIBE === '1') (await import('./subscribe.js')).subscribeToEveryChannel();
const peers =
  impl === 'ours' || impl === 'borrowed'
    ? await import('./peers/ours.js')
    : impl === 'socket.io'
      ? await import('./peers/socketio.js')
      : impl === 'zeromq'
        ? await import('./peers/zeromq.js')
        : job.transport === 'ws'
          ? (await import('./peers/native-ws.js')).nativeWsPeers(impl === 'expert')
          : (await import('./peers/native.js')).nativePeers(impl === 'expert');
const report = (result: Result): void => {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  setTimeout(() => process.exit(0), 50);
};
if (job.toClient) {
  // A download: the sender listens, the receiver connects (ours and native only).
  const download = peers as Partial<typeof import('./peers/ours.js')>;
  if (download.listeningSender === undefined || download.connectingReceiver === undefined) throw new Error(`${impl} does no download job`);
  if (role === 'sender') process.stdout.write(`ADDR ${await download.listeningSender(job)}\n`);
  else await download.connectingReceiver(job, addr!, report);
} else if (role === 'receiver') {
  const listening = await peers.receiver(job, report);
  process.stdout.write(`ADDR ${listening}\n`);
} else {
  await peers.sender(job, addr!, report);
}
