// The message-io adapter conformance suite, run against Ipc: on socket files in a temporary
// folder, and on abstract names (Linux only: elsewhere every case of that suite shows as skipped).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { registerConformanceTests } from '@message-io/adapter-testkit';
import { Ipc, ipcUrl } from '@message-io/ipc';
import { onlyWhere } from '../../../test/support/skips.js';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'mio-ipc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let count = 0;
const limits = { connectOptions: { maxMessageSize: MiB }, listenOptions: { maxMessageSize: MiB }, maxMessageSize: MiB, idleTimeoutOption: 'idleTimeout' };

registerConformanceTests({
  transport: Ipc,
  name: 'Ipc conformance on socket files',
  bindAddr: () => ipcUrl(join(dir, `s${count++}.sock`)),
  ...limits,
});

const linux = onlyWhere(process.platform === 'linux', `abstract socket names exist on Linux only; this is ${process.platform}`);
describe.skipIf(linux.skip)(linux.title('Ipc conformance on abstract names'), () => {
  registerConformanceTests({
    transport: Ipc,
    name: 'Ipc',
    bindAddr: () => ipcUrl(`@mio-conformance-${process.pid}-${count++}`),
    ...limits,
  });
});
