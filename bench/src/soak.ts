// Soak: many clients connect, exchange and leave in churn for a bounded time against one node.
// Reports memory, event-loop delay and leaked handles; asserts nothing (a report, not a test).
// Usage: node dist/soak.js [--seconds 30] [--clients 1000] [--transport framed-tcp|tcp]
import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { FramedTcp, Tcp, split } from 'message-io';

const arg = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
};
const seconds = Number(arg('seconds', '30'));
const clients = Number(arg('clients', '1000'));
const transportName = arg('transport', 'framed-tcp');
const transport = transportName === 'tcp' ? Tcp : FramedTcp;

if (process.argv[2] === '--client') await runClients(process.argv[3]!);
else await runServer();

/** The child: keeps `clients` connections busy; each sends 10 messages, waits for the echoes, leaves and comes back. */
async function runClients(addr: string): Promise<void> {
  const [handler, listener] = split<'end'>();
  const net = handler.network();
  const pending = new Map<object, number>();
  let cycles = 0;
  const open = (): void => {
    pending.set(net.connect(transport, addr), 0);
  };
  for (let i = 0; i < clients; i++) open();
  handler.signals().sendWithTimer('end', seconds * 1000);
  await listener.forEach((event) => {
    if (event.type === 'signal') {
      process.send?.({ cycles });
      handler.stop();
    } else if (event.type === 'connected') {
      if (!event.ok) {
        pending.delete(event.endpoint);
        open();
        return;
      }
      for (let i = 0; i < 10; i++) net.send(event.endpoint, new Uint8Array(64));
    } else if (event.type === 'message') {
      const got = pending.get(event.endpoint)! + event.data.length;
      pending.set(event.endpoint, got);
      if (got >= 640) {
        net.remove(event.endpoint.resourceId);
        pending.delete(event.endpoint);
        cycles++;
        open();
      }
    } else if (event.type === 'disconnected') {
      pending.delete(event.endpoint);
      open();
    }
  });
}

async function runServer(): Promise<void> {
  const [handler, listener] = split();
  const net = handler.network();
  const { addr } = await net.listen(transport, '127.0.0.1:0', { backlog: 4096 });
  let accepted = 0;
  let live = 0;
  void listener.forEach((event) => {
    if (event.type === 'accepted') {
      accepted++;
      live++;
    }
    if (event.type === 'disconnected') live--;
    if (event.type === 'message') net.send(event.endpoint, event.data);
  });
  const handlesBefore = process.getActiveResourcesInfo().length;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const samples: string[] = [];
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    samples.push(`${samples.length + 1}s rss=${(m.rss / 2 ** 20).toFixed(1)}MiB live=${live} accepted=${accepted}`);
  }, 1000);
  const child = fork(fileURLToPath(import.meta.url), ['--client', addr, ...process.argv.slice(2)], { stdio: 'inherit' });
  const cycles = await new Promise<number>((resolve) => child.once('message', (m: { cycles: number }) => resolve(m.cycles)));
  await new Promise((r) => child.once('exit', r));
  await new Promise((r) => setTimeout(r, 1500));
  clearInterval(sampler);
  delay.disable();
  global.gc?.();
  const rssAfter = process.memoryUsage().rss;
  const handlesAfter = process.getActiveResourcesInfo().length;
  console.log(samples.join('\n'));
  console.log(
    JSON.stringify(
      {
        transport: transport.name,
        seconds,
        clients,
        cycles,
        accepted,
        liveAtEnd: live,
        rssGrowthMiB: +((rssAfter - rssBefore) / 2 ** 20).toFixed(1),
        eventLoopDelayP99ms: +(delay.percentile(99) / 1e6).toFixed(2),
        eventLoopDelayMaxMs: +(delay.max / 1e6).toFixed(2),
        handlesBefore,
        handlesAfter,
      },
      null,
      2,
    ),
  );
  handler.stop();
}
