// messageTimeout on FramedTcp: a message that began to arrive and is not complete in time ends the
// connection with MessageTimeoutError (a peer dribbling a frame, or a prefix, one byte at a time);
// messages that arrive in pieces but complete in time, one after another for far longer than the
// timeout, do not; Tcp refuses the option.
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, MessageTimeoutError, type NodeEvent, type NodeHandler } from '@message-io/core';
import { FramedTcp, Tcp } from '@message-io/tcp';
import { sleep, testNode, until, type TestNode } from './support.js';

const nodes: TestNode[] = [];
const sockets: Socket[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
  for (const n of nodes.splice(0)) n.handler.stop();
});

function node(onEvent?: (event: NodeEvent<never>, handler: NodeHandler<never>) => void): TestNode {
  const n = testNode(onEvent);
  nodes.push(n);
  return n;
}

/** A raw TCP client connected to `port`. */
async function raw(port: number): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return socket;
}

/** Writes `bytes` one at a time, `gap` ms apart, until the socket closes or `bytes` run out. */
async function dribble(socket: Socket, bytes: Uint8Array, gap: number): Promise<void> {
  for (const byte of bytes) {
    if (socket.destroyed || socket.writableEnded) return;
    socket.write(Uint8Array.of(byte));
    await sleep(gap);
  }
}

/** A FramedTcp listener with `messageTimeout`, its node and port. */
async function listening(messageTimeout: number) {
  const server = node();
  const { addr } = await server.handler.network().listen(FramedTcp, '127.0.0.1:0', { messageTimeout });
  return { server, port: Number(addr.slice(addr.lastIndexOf(':') + 1)) };
}

describe('FramedTcp messageTimeout', () => {
  it('ends a connection whose peer dribbles a message, with MessageTimeoutError, between once and twice the timeout', async () => {
    const timeout = 300;
    const { server, port } = await listening(timeout);
    const socket = await raw(port);
    const started = performance.now();
    // A 100-byte message, one byte every 50 ms: it would take 5 s.
    void dribble(socket, Uint8Array.of(100, ...new Uint8Array(100).fill(7)), 50);
    const ended = await server.waitFor((e) => e.type === 'disconnected', 5_000);
    const after = performance.now() - started;
    expect(ended.type === 'disconnected' && ended.error).toBeInstanceOf(MessageTimeoutError);
    expect(after).toBeGreaterThanOrEqual(timeout - 25);
    expect(after).toBeLessThan(2 * timeout + 500);
    expect(server.events.filter((e) => e.type === 'message')).toEqual([]);
    await until(() => socket.destroyed || socket.readableEnded, { timeout: 2_000, what: 'the raw client to be closed' });
  });

  it('ends a connection whose peer stops in the middle of a length prefix', async () => {
    const { server, port } = await listening(200);
    const socket = await raw(port);
    socket.write(Uint8Array.of(0x80)); // a prefix with more bytes to come
    const ended = await server.waitFor((e) => e.type === 'disconnected', 5_000);
    expect(ended.type === 'disconnected' && ended.error).toBeInstanceOf(MessageTimeoutError);
  });

  it.each([false, true])(
    'keeps a connection whose messages arrive in pieces, each within the timeout, for far longer than it (reuseReceiveBuffer %s)',
    async (reuseReceiveBuffer) => {
      const timeout = 200;
      const server = node();
      const { addr } = await server.handler.network().listen(FramedTcp, '127.0.0.1:0', { messageTimeout: timeout, reuseReceiveBuffer });
      const socket = await raw(Number(addr.slice(addr.lastIndexOf(':') + 1)));
      // 12 messages of 10 bytes; each write ends one message and begins the next, 100 ms apart:
      // 1.3 s in all with a frame always in progress, each frame complete within 100 ms.
      socket.write(Uint8Array.of(10, 0, 0, 0, 0));
      for (let i = 0; i < 12; i++) {
        await sleep(100);
        const next = i + 1 < 12 ? [10, i + 1, i + 1, i + 1, i + 1] : [];
        socket.write(Uint8Array.of(i, i, i, i, i, i, ...next));
      }
      await until(() => server.events.filter((e) => e.type === 'message').length === 12, { timeout: 2_000, what: 'the 12 messages' });
      expect(server.events.filter((e) => e.type === 'disconnected')).toEqual([]);
    },
  );

  it('on connect: a server that dribbles its message ends the connection on the client side', async () => {
    const peer = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
      void dribble(socket, Uint8Array.of(50, ...new Uint8Array(50)), 50);
    });
    servers.push(peer);
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const client = node();
    await client.handler.network().connectAndWait(FramedTcp, `127.0.0.1:${(peer.address() as AddressInfo).port}`, { messageTimeout: 200 });
    const ended = await client.waitFor((e) => e.type === 'disconnected', 5_000);
    expect(ended.type === 'disconnected' && ended.error).toBeInstanceOf(MessageTimeoutError);
  });

  it('is checked, and Tcp refuses it', async () => {
    const n = node();
    const net = n.handler.network();
    await expect(net.listen(FramedTcp, '127.0.0.1:0', { messageTimeout: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => net.connect(Tcp, '127.0.0.1:1', { messageTimeout: 100 } as never)).toThrow('option messageTimeout applies to FramedTcp; Tcp is a byte stream');
  });
});
