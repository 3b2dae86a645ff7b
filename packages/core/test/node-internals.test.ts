// Core's `takeOverSocket` and the Tcp listener lean on fields of Node's `net.Socket` that are not
// in Node's documented API (`_handle` with `readStart` and `useUserBuffer`, `_server`, the cached
// `_peername`). Where Node changes them, our code falls back quietly (the slower path, or memory
// not saved), so nothing else would notice: this test says so loudly, on real sockets, for the
// Node it runs on.
import { createServer, connect, Socket, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { takeOverSocket } from '@message-io/core/adapter';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
});

/** A server that pauses what it accepts, and one client connected to it; resolves with the accepted socket. */
async function acceptedPair(): Promise<{ server: Server; accepted: Socket; client: Socket }> {
  const server = createServer({ pauseOnConnect: true });
  servers.push(server);
  const acceptedSocket = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
  sockets.push(client);
  const accepted = await acceptedSocket;
  sockets.push(accepted);
  return { server, accepted, client };
}

describe("Node's net.Socket internals we depend on", () => {
  it('an accepted socket can be taken over by a socket that reads with onread (takeOverSocket)', async () => {
    const { server, accepted, client } = await acceptedPair();
    const buffer = Buffer.alloc(1024);
    let received = '';
    const taken = takeOverSocket(
      accepted,
      (handle) =>
        new Socket({
          handle,
          readable: true,
          writable: true,
          onread: { buffer, callback: (n: number, b: Uint8Array) => void (received += Buffer.from(b.subarray(0, n)).toString()) },
        } as ConstructorParameters<typeof Socket>[0]),
    );
    // `undefined` here means this Node no longer builds the socket as takeOverSocket expects.
    expect(taken, 'takeOverSocket on this Node').toBeInstanceOf(Socket);
    sockets.push(taken!);
    expect((accepted as Socket & { _handle?: unknown })._handle, 'the accepted socket let go of its stream').toBeNull();
    const count = await new Promise<number>((resolve, reject) => server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
    expect(count, 'the server still counts the connection (moved with `_server`)').toBe(1);
    client.write('hello');
    const deadline = Date.now() + 5000;
    while (received.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(received).toBe('hello');
    taken!.write('back');
    const answer = await new Promise<string>((resolve) => client.once('data', (d: Buffer) => resolve(d.toString())));
    expect(answer).toBe('back');
  });

  it('reading remoteAddress caches the peer in `_peername` (the Tcp listener drops it to save memory)', async () => {
    const { accepted } = await acceptedPair();
    expect(accepted.remoteAddress).toBe('127.0.0.1');
    expect(typeof (accepted as Socket & { _peername?: unknown })._peername).toBe('object');
  });
});
