// Two Node processes over WebRtc on loopback: this one listens, a child connects, sends, gets its
// echo, and is then killed by PID; the listener sees the connection end.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testNode, text } from '@message-io/adapter-testkit';
import { WebRtc } from '../src/index.js';

const fixture = fileURLToPath(new URL('fixtures/peer.mjs', import.meta.url));

describe('between processes', () => {
  it('a child process connects, gets its echo, and its death ends the connection', async () => {
    const server = testNode((event, handler) => {
      if (event.type === 'message') handler.network().send(event.endpoint, event.data);
    });
    const { addr } = await server.handler.network().listen(WebRtc, '127.0.0.1:0');
    const peer = spawn(process.execPath, [fixture, addr], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const echoed = new Promise<string>((resolve, reject) => {
        let output = '';
        const timer = setTimeout(() => reject(new Error(`no echo within 10 s; the child printed: ${output}`)), 10_000);
        peer.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('\n')) {
            clearTimeout(timer);
            resolve(output.trim());
          }
        });
        peer.once('exit', (code) => reject(new Error(`the child exited with ${code} before the echo`)));
      });
      expect(await echoed).toBe(`hello from ${peer.pid}`);
      const message = await server.waitFor((e) => e.type === 'message', 1_000);
      expect(message.type === 'message' && text(message.data)).toBe(`hello from ${peer.pid}`);
      process.kill(peer.pid!, 'SIGKILL');
      await server.waitFor((e) => e.type === 'disconnected', 5_000);
    } finally {
      if (peer.exitCode === null && peer.signalCode === null) process.kill(peer.pid!, 'SIGKILL');
      server.stop();
    }
  });
});
