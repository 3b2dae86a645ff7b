// LC-07 for Ws: stop() with 8 MiB queued to a peer that never reads, heartbeats running and a
// listener: no event afterwards, and the process exits by itself within 2 s (closeTimeout
// defaults to linger, 1 s).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { until } from './support.js';

/** A WebSocket server that completes the upgrade and then never reads again. */
function neverReading(peers: Socket[]) {
  return createServer((socket) => {
    peers.push(socket);
    socket.on('error', () => undefined);
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      const key = /sec-websocket-key: *(\S+)/i.exec(head)![1];
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    };
    socket.on('data', onData);
  });
}

describe('stop()', () => {
  it('closes everything; a child process that used a Ws node exits by itself', async () => {
    const peers: Socket[] = [];
    const sink = neverReading(peers);
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const port = (sink.address() as { port: number }).port;
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/stop-child.mjs', import.meta.url)), String(port)], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until(() => out.includes('stopped'), { timeout: 8000, what: 'the child to stop its node' });
      // A node that left a handle behind (a heartbeat timer, a socket) keeps the child alive for
      // good; a clean stop lets it exit in well under a second. The bound only ends a hung run.
      const code = await Promise.race([new Promise((r) => child.on('exit', r)), new Promise((r) => setTimeout(() => r('hung'), 5000))]);
      expect(code).toBe(0);
      expect(out).toMatch(/stopped accepted=1 queued=\d+ running=false/);
      expect(out).toContain('exit 0');
      for (const p of peers) p.resume();
      await until(() => peers.length === 1 && peers.every((p) => p.destroyed || p.readableEnded || p.closed), {
        timeout: 2000,
        what: 'the sink connection to close',
      });
    } finally {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      for (const p of peers) p.destroy();
      sink.close();
    }
  });
});
