// The NATS client is loaded when the Nats transport is first used, not when `@message-io/nats` or
// the `message-io` package (which brings every transport) is imported: a program that never uses
// Nats does not carry the client. Checked in a process of its own, on the built packages (the
// client is CommonJS, so what Node loaded of it shows in `require.cache`).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);

const SCRIPT = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const loaded = () => Object.keys(require.cache).filter((path) => path.includes('@nats-io')).length;
const { Nats, split } = await import('message-io');
await import('@message-io/nats');
const afterImport = loaded();
// A first use: connecting to a port nobody listens on loads the client, then fails.
const [handler, listener] = split();
const failed = new Promise((resolve) => listener.forEach((event) => { if (event.type === 'connected') resolve(event.ok); }));
handler.network().connect(Nats, 'nats://127.0.0.1:9/subject');
const ok = await failed;
handler.stop();
console.log(JSON.stringify({ afterImport, afterUse: loaded(), ok }));
`;

describe('the NATS client is loaded on first use', () => {
  it('importing message-io and @message-io/nats loads none of it; the first connect does', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: root, timeout: 20_000 });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { afterImport: number; afterUse: number; ok: boolean };
    expect(report.afterImport, 'NATS client modules loaded by the imports alone').toBe(0);
    expect(report.afterUse, 'NATS client modules loaded by a connect').toBeGreaterThan(0);
    expect(report.ok).toBe(false);
  }, 30_000);
});
