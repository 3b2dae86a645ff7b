// Interoperability with WebSocket code no line of ours wrote: Debian's python3-websockets (client
// and server, `/usr/bin/python3`) and a plain `ws` client sending text, as a browser does.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SendStatus, type NodeEvent, type NodeHandler } from '@message-io/core';
import { Ws } from '@message-io/ws';
import { skipWithout } from '../../../test/support/peers.js';
import { python, type PythonPeer } from './raw.js';
import { randomBytes, rng, testNode, until, type TestNode } from './support.js';

const MiB = 1024 * 1024;
const nodes: TestNode[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  for (const n of nodes.splice(0)) n.handler.stop();
});

function node(onEvent?: (event: NodeEvent<never>, handler: NodeHandler<never>) => void): TestNode {
  const n = testNode(onEvent);
  nodes.push(n);
  return n;
}

const echo = (event: NodeEvent<never>, handler: NodeHandler<never>): void => {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
};

function run(script: string, args: string[]): PythonPeer {
  const peer = python(script, args);
  cleanups.push(() => peer.kill());
  return peer;
}

const text = (data: Uint8Array): string => Buffer.from(data).toString();

describe.skipIf(skipWithout('python3-websockets'))('python3-websockets', () => {
  it('a Python client: text arrives as bytes, binary echoes are exact, its Close 1000 gives one disconnected', async () => {
    const n = node(echo);
    const { addr } = await n.handler.network().listen(Ws, '127.0.0.1:0');
    const client = run('py-client.py', [`ws://${addr}/`, 'echo', String(100_000)]);
    await client.exited;
    expect(client.stderr()).toBe('');
    expect(client.lines).toEqual([
      { event: 'open' },
      { event: 'message', kind: 'binary', size: 5, head: Buffer.from('hello').toString('hex'), same: null },
      { event: 'message', kind: 'binary', size: 3, head: '010203', same: null },
      { event: 'message', kind: 'binary', size: 100_000, head: expect.any(String), same: true },
      { event: 'closed', code: 1000 },
    ]);
    await n.waitFor((e) => e.type === 'disconnected', 3000);
    const messages = n.events.filter((e) => e.type === 'message');
    expect(text((messages[0] as { data: Uint8Array }).data)).toBe('hello');
    expect(n.events.map((e) => e.type)).toEqual(['accepted', 'message', 'message', 'message', 'disconnected']);
    expect((n.events.at(-1) as { error?: Error }).error).toBeUndefined();
  });

  it('a Python server: our client dials /message-io-default, sends binary frames, and remove() closes with 1000', async () => {
    const server = run('py-server.py', []);
    await until(() => server.lines.length > 0, { timeout: 5000, what: 'the Python server to listen' });
    const port = server.lines[0]!.port as number;
    const client = node();
    const net = client.handler.network();
    const ep = await net.connectAndWait(Ws, `127.0.0.1:${port}`);
    const big = randomBytes(rng(5), 20 * MiB);
    expect(net.send(ep, Buffer.from('one'))).toBe(SendStatus.Sent);
    expect(net.send(ep, big)).toBe(SendStatus.Sent);
    const echoes = await client.waitCount((e) => e.type === 'message', 2, 12_000);
    expect(text((echoes[0] as { data: Uint8Array }).data)).toBe('one');
    expect(Buffer.compare((echoes[1] as { data: Uint8Array }).data, big)).toBe(0);
    net.remove(ep.resourceId);
    await until(() => server.lines.some((l) => l.event === 'closed'), { timeout: 5000, what: 'the server to see the Close' });
    expect(server.lines).toEqual([
      { event: 'listening', port },
      { event: 'open', path: '/message-io-default' },
      { event: 'message', kind: 'binary', size: 3 },
      { event: 'message', kind: 'binary', size: 20 * MiB },
      { event: 'closed', code: 1000 },
    ]);
    expect(client.events.some((e) => e.type === 'disconnected')).toBe(false);
  });

  it('WS-01 from Python: a message over maxPayload gets Close 1009 and one disconnected', async () => {
    const n = node(echo);
    const { addr } = await n.handler.network().listen(Ws, '127.0.0.1:0', { maxPayload: MiB });
    const client = run('py-client.py', [`ws://${addr}/`, 'oversize', String(MiB + 1)]);
    await client.exited;
    expect(client.lines).toEqual([{ event: 'open' }, { event: 'closed', code: 1009 }]);
    await n.waitFor((e) => e.type === 'disconnected', 3000);
    expect(n.events.map((e) => e.type)).toEqual(['accepted', 'disconnected']);
  });

  it('our listener refusing a Python client through authenticate: the client sees 401', async () => {
    const n = node();
    const { addr } = await n.handler.network().listen(Ws, '127.0.0.1:0', { authenticate: () => false });
    const client = run('py-client.py', [`ws://${addr}/`, 'close']);
    await client.exited;
    expect(client.lines).toEqual([{ event: 'refused', status: 401 }]);
    expect(n.events).toEqual([]);
  });
});

describe('text frames', () => {
  it('a plain ws client sending text (as a browser does): delivered as the UTF-8 bytes', async () => {
    const n = node(echo);
    const { addr } = await n.handler.network().listen(Ws, '[::1]:0');
    const socket = new WebSocket(`ws://${addr}/`);
    cleanups.push(() => socket.terminate());
    socket.on('error', () => undefined);
    const replies: [Buffer, boolean][] = [];
    socket.on('message', (data: Buffer, isBinary: boolean) => replies.push([data, isBinary]));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send('héllo wörld');
    socket.send('');
    await until(() => replies.length === 2, { timeout: 3000, what: 'two echoes' });
    const messages = n.events.filter((e) => e.type === 'message').map((e) => (e as { data: Uint8Array }).data);
    expect(messages.map(text)).toEqual(['héllo wörld', '']);
    expect(Buffer.compare(messages[0]!, Buffer.from('héllo wörld', 'utf8'))).toBe(0);
    expect(replies.map(([data, binary]) => [data.toString(), binary])).toEqual([
      ['héllo wörld', true],
      ['', true],
    ]);
  });
});
