import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { until } from './support.js';

describe('stop()', () => {
  it('closes every listener and connection; a child process that used the node exits by itself', async () => {
    const peers: Socket[] = [];
    const sink = createServer((socket) => {
      socket.pause();
      peers.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const port = (sink.address() as { port: number }).port;
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/stop-child.mjs', import.meta.url)), String(port)], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until(() => out.includes('stopped'), { timeout: 5000, what: 'the child to stop its node' });
      // A node that left a handle behind keeps the child alive: its signal timers (10 s and more)
      // or a socket never let it exit. A clean stop lets it exit in well under a second, so 5 s
      // leaves room and still comes before those timers.
      const code = await Promise.race([new Promise((r) => child.on('exit', r)), new Promise((r) => setTimeout(() => r('hung'), 5000))]);
      expect(code).toBe(0);
      expect(out).toMatch(/stopped accepted=1 queued=\d+ running=false/);
      expect(out).toContain('exit 0');
      await until(() => peers.every((p) => p.destroyed || p.readableEnded || p.closed), { timeout: 2000, what: 'the sink connection to close' }).catch(
        () => undefined,
      );
    } finally {
      child.kill('SIGKILL');
      for (const p of peers) p.destroy();
      sink.close();
    }
  });
});
