// Throughput of each transport against Node's own sockets used the plain way ("native"), printed
// as a table. The measuring is the bench package's: a receiver and a sender, each in its own
// process, on loopback.
// Usage: node dist/main.js [--mib 256] [--only tcp,framed-tcp,udp,ws]
import { parseArgs } from 'node:util';
import { format, jobsFor, measure, type Figure, type Job } from '@message-io/bench/measure';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '256' }, only: { type: 'string', default: 'tcp,framed-tcp,udp,ws' } } });
const bytes = Number(values.mib) * 2 ** 20;
const transports = values.only.split(',') as Job['transport'][];

/** The bench's bulk-throughput job for a transport, resized to about `bytes`. */
function throughputJob(transport: Job['transport']): Job {
  const { job } = jobsFor(transport, true).find(({ job }) => job.metric === 'throughput')!;
  const count = Math.max(1, Math.floor(bytes / job.size));
  return { ...job, count, totalBytes: count * job.size };
}

const cell = (figure: Figure, job: Job): string =>
  `${format(figure.value, job.metric)}${job.transport === 'udp' ? ` (loss ${((figure.loss ?? 0) * 100).toFixed(1)}%)` : ''}`;

console.log(`${values.mib} MiB per transport, one run each, on loopback (Node.js ${process.version})\n`);
console.log('| transport | message | message-io | native | message-io / native |');
console.log('|---|---|---|---|---|');
for (const transport of transports) {
  const job = throughputJob(transport);
  const native = await measure('native', job);
  const ours = await measure('ours', job);
  const ratio = `${((ours.value / native.value) * 100).toFixed(0)}%`;
  console.log(`| ${transport} | ${job.size.toLocaleString('en')} B | ${cell(ours, job)} | ${cell(native, job)} | ${ratio} |`);
}
