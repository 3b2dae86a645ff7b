// Endpoint.fromListener holds its endpoints weakly: endpoints of peers the program does not keep
// are let go, so many peers do not grow memory, while a peer the program keeps (a Map key) keeps
// its endpoint. Measured in a child process started with --expose-gc, killed by PID if it hangs.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const core = pathToFileURL(createRequire(import.meta.url).resolve('@message-io/core')).href;

// 10 rounds of 20,000 new senders each (distinct hosts and ports), as a Udp listener asks for
// them, none of them kept; the heap is measured after the first round and after the last.
const script = `
import { Endpoint, ResourceId } from ${JSON.stringify(core)};
const listener = new ResourceId(0, 'local', 1);
const settle = async () => {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 10)); // finalization callbacks run here
  }
};
const kept = new Map();
const mine = Endpoint.fromListener(listener, { host: '127.0.0.1', port: 1 });
kept.set(mine, 'state of 127.0.0.1:1');
let firstOfRound;
const round = (r) => {
  for (let i = 0; i < 20000; i++) {
    const n = r * 20000 + i;
    const endpoint = Endpoint.fromListener(listener, { host: '10.' + ((n >> 16) & 255) + '.' + ((n >> 8) & 255) + '.' + (n & 255), port: 1024 + (n % 50000) });
    if (i === 0) firstOfRound = new WeakRef(endpoint);
  }
};
round(0);
await settle();
const before = process.memoryUsage().heapUsed;
for (let r = 1; r < 10; r++) {
  round(r);
  await settle();
}
const after = process.memoryUsage().heapUsed;
const again = Endpoint.fromListener(listener, { host: '127.0.0.1', port: 1 });
console.log(JSON.stringify({
  growth: after - before,
  collected: firstOfRound.deref() === undefined,
  sameObject: again === mine && Endpoint.fromListener(listener, '127.0.0.1:1') === mine,
  state: kept.get(again) ?? null,
}));
`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runNode(args: string[], ms: number): Promise<Result> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('Endpoint.fromListener memory', () => {
  it('lets go of 180,000 endpoints nobody keeps, and keeps the one a Map holds', async () => {
    const { code, stdout, stderr } = await runNode(['--expose-gc', '--input-type=module', '-e', script], 20_000);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { growth: number; collected: boolean; sameObject: boolean; state: string | null };
    expect(result.collected).toBe(true);
    // Kept, 180,000 endpoints and their entries would take tens of MB.
    expect(result.growth).toBeLessThan(4 * 1024 * 1024);
    expect(result.sameObject).toBe(true);
    expect(result.state).toBe('state of 127.0.0.1:1');
  }, 25_000);
});
