// Smoke-runs the echo example's programs as a user would, by their README commands.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function run(script: string, args: string[] = []): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [dist + script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out, exit: new Promise((r) => child.on('exit', (code) => r(code))) };
}

async function waitOutput(output: () => string, text: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${ms} ms; output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('echo example', () => {
  it('is what the root README shows, word for word', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    for (const file of ['server.ts', 'client.ts']) {
      const source = readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8');
      expect(blocks, `README.md shows examples/echo/src/${file}`).toContain(source);
    }
  });

  it('the npm start demo echoes on every transport and exits 0 by itself', async () => {
    const demo = run('demo.js');
    const code = await Promise.race([demo.exit, new Promise((r) => setTimeout(() => r('hung'), 10_000))]);
    expect(demo.output()).toMatch(/demo done: \d+ clients on \d+ transports, every echo received/);
    expect(code).toBe(0);
  });

  it.each(['tcp', 'framed-tcp', 'udp', 'ws', 'ipc'])('the all-in-one server and a client talk over %s', async (transport) => {
    // A base port below the ephemeral range (32768+), so that no test's client port takes it;
    // another run may still hold it, so try a few.
    let port = '';
    let server: ReturnType<typeof run> | undefined;
    for (let attempt = 0; attempt < 5 && server === undefined; attempt++) {
      port = String(10000 + 2 * Math.floor(Math.random() * 10000));
      const candidate = run('server.js', [port]);
      const started = await Promise.race([waitOutput(candidate.output, 'echo server: Ipc on', 5000).then(() => true), candidate.exit.then(() => false)]);
      if (started) server = candidate;
    }
    if (server === undefined) throw new Error('no free base port after 5 attempts');
    const client = run('client.js', [transport, port]);
    await waitOutput(client.output, 'echo: hello', 5000);
    const connectionOriented = transport !== 'udp'; // a Udp server sees datagrams, not clients
    if (connectionOriented) await waitOutput(server.output, 'connected', 5000);
    client.child.kill('SIGINT');
    expect(await client.exit).toBe(0);
    if (connectionOriented) await waitOutput(server.output, 'left', 5000);
    server.child.kill('SIGINT');
    expect(await server.exit).toBe(0);
  });

  it('--verbose prints one line per diagnostics message: the listeners, a client arriving and leaving', async () => {
    const port = String(10001 + 2 * Math.floor(Math.random() * 10000));
    const server = run('server.js', [port, '--verbose']);
    await waitOutput(server.output, 'echo server: Ipc on', 5000);
    expect(server.output()).toMatch(new RegExp(`message-io:listen \\{"listenerId":"[^"]+","transport":"FramedTcp","addr":"127\\.0\\.0\\.1:${port}"\\}`));
    const client = run('client.js', ['framed-tcp', port]);
    await waitOutput(client.output, 'echo: hello', 5000);
    await waitOutput(server.output, 'message-io:accept 127.0.0.1:', 5000);
    client.child.kill('SIGINT');
    expect(await client.exit).toBe(0);
    await waitOutput(server.output, '{"reason":"closed"}', 5000);
    expect(server.output()).toMatch(/message-io:disconnect 127\.0\.0\.1:\d+ \{"reason":"closed"\}/);
    server.child.kill('SIGINT');
    expect(await server.exit).toBe(0);
  });
});
