// messageTimeout on Ws: a message that began to arrive and is not complete in time ends the
// connection with MessageTimeoutError (a raw peer dribbling a frame, a frame header, or the
// fragments of one message); messages that arrive in pieces but complete in time, one after another
// for far longer than the timeout, do not.
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, MessageTimeoutError, type NodeEvent } from '@message-io/core';
import { Ws } from '@message-io/ws';
import { frame, rawPeer, status, upgradeRequest, type RawPeer } from './raw.js';
import { sleep, testNode, until, type TestNode } from './support.js';

const nodes: TestNode[] = [];
const peers: RawPeer[] = [];
afterEach(() => {
  for (const peer of peers.splice(0)) peer.socket.destroy();
  for (const n of nodes.splice(0)) n.stop();
});

/** A listener with `messageTimeout`, and a raw client past its upgrade. */
async function setup(messageTimeout: number) {
  const server = testNode();
  nodes.push(server);
  const { addr } = await server.handler.network().listen(Ws, '127.0.0.1:0', { messageTimeout });
  const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
  const peer = rawPeer('127.0.0.1', port, upgradeRequest());
  peers.push(peer);
  await until(() => status(peer.head) === 101, { what: 'the upgrade' });
  await until(() => server.events.some((e) => e.type === 'accepted'), { what: 'accepted' });
  return { server, peer };
}

const timedOut = (events: readonly NodeEvent<never>[]): boolean =>
  events.some((e) => e.type === 'disconnected' && e.error instanceof MessageTimeoutError && /messageTimeout/.test(e.error.message));

/** Writes `bytes` one byte at a time, `gap` ms apart, until they are all out or the socket closed. */
async function dribble(peer: RawPeer, bytes: Buffer, gap: number): Promise<void> {
  for (const byte of bytes) {
    if (peer.closed) return;
    peer.socket.write(Buffer.of(byte));
    await sleep(gap);
  }
}

describe('Ws messageTimeout', () => {
  it('ends a connection whose frame is dribbled a byte at a time', async () => {
    const { server, peer } = await setup(200);
    const started = Date.now();
    await dribble(peer, frame(2, Buffer.alloc(200, 7), { mask: true }), 40);
    await until(() => timedOut(server.events), { what: 'disconnected with MessageTimeoutError' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(server.events.some((e) => e.type === 'message')).toBe(false);
  });

  it('ends a connection whose message comes as small fragments that never end', async () => {
    const { server, peer } = await setup(200);
    peer.socket.write(frame(2, Buffer.of(1), { fin: false, mask: true }));
    for (let i = 0; i < 30 && !peer.closed && !timedOut(server.events); i++) {
      peer.socket.write(frame(0, Buffer.of(i), { fin: false, mask: true }));
      await sleep(40);
    }
    await until(() => timedOut(server.events), { what: 'disconnected with MessageTimeoutError' });
  });

  it('keeps a connection whose messages arrive in pieces and complete in time, for many times the timeout', async () => {
    const { server, peer } = await setup(300);
    for (let i = 0; i < 20; i++) {
      const whole = frame(2, Buffer.alloc(40, i), { mask: true });
      peer.socket.write(whole.subarray(0, 10));
      await sleep(30);
      peer.socket.write(whole.subarray(10));
      await sleep(30);
    }
    await until(() => server.events.filter((e) => e.type === 'message').length === 20, { what: 'the 20 messages' });
    expect(server.events.some((e) => e.type === 'disconnected')).toBe(false);
  });

  it('is off by default, and refuses a bad value', async () => {
    const node = testNode();
    nodes.push(node);
    await expect(node.handler.network().listen(Ws, '127.0.0.1:0', { messageTimeout: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => node.handler.network().connect(Ws, 'ws://127.0.0.1:1/', { messageTimeout: 1.5 })).toThrow(InvalidOptionError);
    const { addr } = await node.handler.network().listen(Ws, '127.0.0.1:0');
    const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
    const peer = rawPeer('127.0.0.1', port, upgradeRequest());
    peers.push(peer);
    await until(() => status(peer.head) === 101, { what: 'the upgrade' });
    peer.socket.write(frame(2, Buffer.alloc(10), { mask: true }).subarray(0, 4));
    await sleep(500);
    expect(node.events.some((e) => e.type === 'disconnected')).toBe(false);
  });
});
