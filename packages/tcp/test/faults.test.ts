// Faults on Tcp and FramedTcp, driven by peers we did not write where possible
// (docs/reliability.md LC-01, LC-02, LC-04, LC-05).
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SendStatus, type Transport } from '@message-io/core';
import { encodeVarint, FramedTcp, Tcp } from '@message-io/tcp';
import { PYTHON, requirePeers, skipWithout } from '../../../test/support/peers.js';
import { sleep, testNode, until, type TestNode } from './support.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});
function node(onEvent?: Parameters<typeof testNode<never>>[0]): TestNode {
  const n = testNode(onEvent);
  cleanups.push(() => n.handler.stop());
  return n;
}
function child(command: string, args: string[], input?: string): { proc: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  cleanups.push(() => proc.kill('SIGKILL'));
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString('latin1')));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString('latin1')));
  if (input !== undefined) proc.stdin!.end(input, 'latin1');
  return { proc, out: () => out, exit: new Promise((r) => proc.on('exit', (code) => r(code))) };
}
function raw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.on('error', reject);
    cleanups.push(() => socket.destroy());
  });
}
const portOf = (addr: string): number => Number(addr.slice(addr.lastIndexOf(':') + 1));
const frame = (text: string): string => String.fromCharCode(...encodeVarint(text.length)) + text;

const transports: [string, Transport<never, never>][] = [
  ['Tcp', Tcp],
  ['FramedTcp', FramedTcp],
];

describe.each(transports)('%s', (name, transport) => {
  it('LC-01: a reset in the middle of a message gives one disconnected and no partial message', async () => {
    const server = node();
    const { addr } = await server.handler.network().listen(transport, '127.0.0.1:0');
    const peer = await raw(portOf(addr));
    const accepted = await server.waitFor((e) => e.type === 'accepted');
    const payload = Buffer.alloc(1000, 0x61);
    peer.write(Buffer.concat([Buffer.from(encodeVarint(2000)), payload]));
    await sleep(50);
    peer.resetAndDestroy();
    await server.waitFor((e) => e.type === 'disconnected', 3000);
    await sleep(100);
    const mine = server.events.filter((e) => 'endpoint' in e && e.endpoint === accepted.endpoint);
    expect(mine.filter((e) => e.type === 'disconnected')).toHaveLength(1);
    const bytes = mine.reduce((n, e) => n + (e.type === 'message' ? e.data.length : 0), 0);
    expect(bytes).toBe(transport.packetBased ? 0 : 1002); // Tcp delivers what arrived before the reset
    expect(server.handler.network().send(accepted.endpoint, new Uint8Array([1]))).toBe(SendStatus.ResourceNotFound);
  });

  it('LC-01: a reset while we write 8 MiB to the peer is one disconnected, no uncaught error', async () => {
    const server = node();
    const { addr } = await server.handler.network().listen(transport, '127.0.0.1:0');
    const peer = await raw(portOf(addr));
    const accepted = await server.waitFor((e) => e.type === 'accepted');
    expect(server.handler.network().send(accepted.endpoint, new Uint8Array(8 * 1024 * 1024))).toBe(SendStatus.Sent);
    await sleep(20);
    peer.resetAndDestroy();
    await server.waitFor((e) => e.type === 'disconnected', 3000);
    await sleep(100);
    expect(server.events.filter((e) => e.type === 'disconnected')).toHaveLength(1);
  });

  it.skipIf(skipWithout('nc'))('LC-02: frames followed by a half-close (nc -N) are all delivered, and the replies reach nc', async () => {
    requirePeers('nc');
    const server = node((event, handler) => {
      if (event.type === 'message') handler.network().send(event.endpoint, Buffer.concat([Buffer.from('re:'), event.data]));
    });
    const { addr } = await server.handler.network().listen(transport, '127.0.0.1:0');
    const texts = ['one', 'two', 'three'];
    const input = transport.packetBased ? texts.map(frame).join('') : texts.join('');
    const nc = child('nc', ['-N', '127.0.0.1', String(portOf(addr))], input);
    expect(await Promise.race([nc.exit, sleep(5000).then(() => 'hung')])).toBe(0);
    await server.waitFor((e) => e.type === 'disconnected', 3000);
    const types = server.events.filter((e) => e.type !== 'accepted').map((e) => e.type);
    expect(types.at(-1)).toBe('disconnected');
    expect(types.filter((t) => t === 'disconnected')).toHaveLength(1);
    const received = server.events.flatMap((e) => (e.type === 'message' ? [Buffer.from(e.data).toString()] : []));
    if (transport.packetBased) {
      expect(received).toEqual(texts);
      expect(nc.out()).toBe(texts.map((t) => frame(`re:${t}`)).join(''));
    } else {
      expect(received.join('')).toBe(texts.join(''));
      expect(nc.out().replace(/re:/g, '')).toBe(texts.join(''));
    }
  });

  it.skipIf(skipWithout('python3'))('LC-05: a connect to a black-holed listener fails after connectTimeout', async () => {
    requirePeers('python3');
    const script = `
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
port = s.getsockname()[1]
fillers = []
for i in range(4):
    f = socket.socket(); f.setblocking(False)
    try: f.connect(('127.0.0.1', port))
    except BlockingIOError: pass
    fillers.append(f)
print(port, flush=True)
time.sleep(20)
`;
    const listener = child(PYTHON, ['-c', script]);
    await until(() => /\d+\n/.test(listener.out()), { timeout: 5000, what: 'the python listener' });
    const port = Number(listener.out().trim());
    // Make sure the queue is full: one more raw connect must hang.
    const probe = connect({ host: '127.0.0.1', port });
    probe.on('error', () => undefined);
    cleanups.push(() => probe.destroy());
    await sleep(300);
    if (!probe.connecting) return expect.soft(probe.connecting, 'the kernel accepted past the backlog; cannot black-hole here').toBe(true);

    const client = node();
    const started = performance.now();
    const ep = client.handler.network().connect(transport, `127.0.0.1:${port}`, { connectTimeout: 1000 });
    const failed = await client.waitFor((e) => e.type === 'connected', 3000);
    const elapsed = performance.now() - started;
    expect(failed).toMatchObject({ endpoint: ep, ok: false, error: { code: 'ERR_CONNECT_TIMEOUT' } });
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(client.handler.network().isReady(ep.resourceId)).toBeUndefined();
    await expect(client.handler.network().connectAndWait(transport, `127.0.0.1:${port}`, { connectTimeout: 500 })).rejects.toMatchObject({
      code: 'ERR_CONNECT_TIMEOUT',
    });
    void name;
  });
});
