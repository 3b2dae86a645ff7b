// The message-io adapter conformance suite, run against Ipc: on socket files in a temporary
// folder, and (on Linux) on abstract names.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { registerConformanceTests } from '@message-io/adapter-testkit';
import { Ipc, ipcUrl } from '@message-io/ipc';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'mio-ipc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let count = 0;
const limits = { connectOptions: { maxMessageSize: MiB }, listenOptions: { maxMessageSize: MiB }, maxMessageSize: MiB };

registerConformanceTests({
  transport: Ipc,
  name: 'Ipc conformance on socket files',
  bindAddr: () => ipcUrl(join(dir, `s${count++}.sock`)),
  ...limits,
});

if (process.platform === 'linux') {
  registerConformanceTests({
    transport: Ipc,
    name: 'Ipc conformance on abstract names',
    bindAddr: () => ipcUrl(`@mio-conformance-${process.pid}-${count++}`),
    ...limits,
  });
}
