// File transfer: `recv` receives files from any number of senders; `send <file>` sends one.
// Usage: node dist/main.js recv [--addr 127.0.0.1:3005] [--dir .]
//        node dist/main.js send <file> [--addr 127.0.0.1:3005] [--limit MiB/s]
import { parseArgs } from 'node:util';
import { receive } from './receiver.js';
import { sendFile } from './sender.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { addr: { type: 'string', default: '127.0.0.1:3005' }, dir: { type: 'string', default: '.' }, limit: { type: 'string' } },
});
const [command, file] = positionals;

try {
  if (command === 'recv') {
    await receive(values.addr, values.dir);
  } else if (command === 'send' && file !== undefined) {
    const limit = values.limit === undefined ? Infinity : Number(values.limit) * 1024 * 1024;
    process.exitCode = await sendFile(file, values.addr, limit);
  } else {
    usage();
  }
} catch (error) {
  // Bad input (an address in use, a file that cannot be read): a message, not a stack trace.
  console.error((error as Error).message);
  process.exitCode = 1;
}

/** Prints how to run this program. */
function usage(): void {
  console.error('usage: main.js recv [--addr host:port] [--dir folder]\n       main.js send <file> [--addr host:port] [--limit MiB/s]');
  process.exitCode = 2;
}
