// A failed connection says why in its ConnectError's message (the system's code and what it
// means), not only in `cause`: refused on IPv4 and IPv6, and a source address already in use.
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectError, type NodeEvent } from '@message-io/core';
import { FramedTcp, Tcp } from '@message-io/tcp';
import { rejection } from '../../../test/support/rejection.js';
import { testNode, type TestNode } from './support.js';

const nodes: TestNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.handler.stop();
});
function node(): TestNode {
  const n = testNode();
  nodes.push(n);
  return n;
}

/** A port on `host` where nothing listens (bound, then closed). */
async function closedPort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

type Failed = NodeEvent<never> & { type: 'connected'; ok: false; error: Error };

describe.each([
  { transport: Tcp, host: '127.0.0.1', addr: (port: number) => `127.0.0.1:${port}` },
  { transport: FramedTcp, host: '127.0.0.1', addr: (port: number) => `127.0.0.1:${port}` },
  { transport: Tcp, host: '::1', addr: (port: number) => `[::1]:${port}` },
  { transport: FramedTcp, host: '::1', addr: (port: number) => `[::1]:${port}` },
])('$transport.name to $host', ({ transport, host, addr }) => {
  it('a refused connection: ECONNREFUSED in the message of the event and of connectAndWait', async () => {
    const port = await closedPort(host);
    const client = node();
    client.handler.network().connect(transport, addr(port));
    const event = (await client.waitFor((e) => e.type === 'connected', 5000)) as Failed;
    expect(event.ok).toBe(false);
    expect(event.error).toBeInstanceOf(ConnectError);
    expect(event.error.message).toBe(`connection to ${addr(port)} failed: ECONNREFUSED (connection refused)`);
    expect(event.error.cause).toMatchObject({ code: 'ECONNREFUSED' });
    await expect(client.handler.network().connectAndWait(transport, addr(port))).rejects.toThrow(
      `connection to ${addr(port)} failed: ECONNREFUSED (connection refused)`,
    );
  });

  it('a source address already in use: EADDRINUSE in the message', async () => {
    const server = node();
    const { addr: bound } = await server.handler.network().listen(transport, addr(0));
    const peer = await server.handler.network().listen(transport, addr(0));
    const client = node();
    // Connecting from the port another socket listens on cannot bind it.
    const error = await rejection(client.handler.network().connectAndWait(transport, bound, { sourceAddress: peer.addr }));
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.message).toBe(`connection to ${bound} failed: EADDRINUSE (the local address is in use)`);
  });
});
