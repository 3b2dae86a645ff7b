// connectAndWait gives up on its signal: against a server that accepts TCP and never answers the
// WebSocket upgrade, an abort removes the connection (the server sees it close), rejects with
// ConnectAbortedError carrying the signal's reason, and no `connected` event follows. A signal
// already aborted connects nothing.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectAbortedError, ConnectTimeoutError, InvalidArgumentError, InvalidOptionError } from '@message-io/core';
import { Ws } from '@message-io/ws';
import { rejection } from '../../../test/support/rejection.js';
import { sleep, testNode, until, type TestNode } from './support.js';

const nodes: TestNode[] = [];
const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.handler.stop();
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});
function node(): TestNode {
  const n = testNode();
  nodes.push(n);
  return n;
}

/** A server that accepts TCP connections and never answers: the upgrade never completes. */
async function silentServer(): Promise<{ addr: string; accepted: Socket[]; closed: () => number }> {
  const accepted: Socket[] = [];
  let closed = 0;
  const server = createServer((socket) => {
    accepted.push(socket);
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => closed++);
    socket.resume(); // reads the upgrade request (and the end of the connection), answers nothing
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { addr: `127.0.0.1:${(server.address() as AddressInfo).port}`, accepted, closed: () => closed };
}

describe('connectAndWait with a signal', () => {
  it('an abort while the upgrade is pending removes the connection and rejects with the reason as cause', async () => {
    const server = await silentServer();
    const client = node();
    const controller = new AbortController();
    const waiting = client.handler.network().connectAndWait(Ws, server.addr, undefined, { signal: controller.signal });
    await until(() => server.accepted.length === 1, { timeout: 5000, what: 'the server to accept the TCP connection' });
    const reason = new Error('the user gave up');
    controller.abort(reason);
    const error = await rejection(waiting);
    expect(error).toBeInstanceOf(ConnectAbortedError);
    expect(error).toMatchObject({ code: 'ERR_CONNECT_ABORTED', message: `connecting to ${server.addr} was aborted` });
    expect(error.cause).toBe(reason);
    await until(() => server.closed() === 1, { timeout: 5000, what: 'the aborted connection to close' });
    await sleep(100);
    expect(client.events).toEqual([]);
  });

  it('AbortSignal.timeout gives a deadline: the cause is the TimeoutError', async () => {
    const server = await silentServer();
    const client = node();
    const started = Date.now();
    const error = await rejection(client.handler.network().connectAndWait(Ws, server.addr, undefined, { signal: AbortSignal.timeout(150) }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(error).toBeInstanceOf(ConnectAbortedError);
    expect(error.cause).toMatchObject({ name: 'TimeoutError' });
    await until(() => server.closed() === 1, { timeout: 5000, what: 'the timed-out connection to close' });
    expect(client.events).toEqual([]);
  });

  it('a signal already aborted rejects at once and connects nothing', async () => {
    const server = await silentServer();
    const client = node();
    const reason = new Error('too late');
    const error = await rejection(client.handler.network().connectAndWait(Ws, server.addr, { maxPayload: 10 }, { signal: AbortSignal.abort(reason) }));
    expect(error).toBeInstanceOf(ConnectAbortedError);
    expect(error.cause).toBe(reason);
    await sleep(150);
    expect(server.accepted).toHaveLength(0);
    expect(client.events).toEqual([]);
  });

  it('an abort after the connection is ready changes nothing', async () => {
    const listener = node();
    const { addr } = await listener.handler.network().listen(Ws, '127.0.0.1:0');
    const client = node();
    const controller = new AbortController();
    const endpoint = await client.handler.network().connectAndWait(Ws, addr, undefined, { signal: controller.signal });
    controller.abort();
    await sleep(50);
    expect(client.handler.network().isReady(endpoint.resourceId)).toBe(true);
    expect(client.events.map((e) => e.type)).toEqual(['connected']);
  });

  it('without a signal, the connectTimeout option is the deadline', async () => {
    const server = await silentServer();
    const client = node();
    const error = await rejection(client.handler.network().connectAndWait(Ws, server.addr, { connectTimeout: 150 }));
    expect(error).toBeInstanceOf(ConnectTimeoutError);
    await until(() => server.closed() === 1, { timeout: 5000, what: 'the timed-out connection to close' });
  });

  it('refuses wait options it does not take', async () => {
    const server = await silentServer();
    const net = node().handler.network();
    await expect(net.connectAndWait(Ws, server.addr, undefined, { signal: 'stop' } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(net.connectAndWait(Ws, server.addr, undefined, 5 as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(net.connectAndWait(Ws, server.addr, undefined, { timeout: 100 } as never)).rejects.toThrow(InvalidOptionError);
    await expect(net.connectAndWait(Ws, server.addr, undefined, { timeout: 100 } as never)).rejects.toThrow(/connectTimeout/);
    await expect(net.connectAndWait(Ws, server.addr, undefined, { sigal: undefined, bogus: 1 } as never)).rejects.toThrow(
      'unknown option bogus for connectAndWait',
    );
    await sleep(50);
    expect(server.accepted).toHaveLength(0);
  });

  it('ignores wait options inherited from a prototype: an aborted signal or a timeout there changes nothing (OPT-01)', async () => {
    const listener = node();
    const { addr } = await listener.handler.network().listen(Ws, '127.0.0.1:0');
    const net = node().handler.network();
    const inherited = Object.create({ signal: AbortSignal.abort(new Error('inherited')), timeout: 1 }) as object;
    await expect(net.connectAndWait(Ws, addr, undefined, inherited as never)).resolves.toMatchObject({ addr });
  });
});
