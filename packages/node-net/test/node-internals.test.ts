// src/node-internals.ts leans on fields of Node's `net.Socket` that are not in Node's documented
// API (`_handle` with `readStart` and `useUserBuffer`, `_server`, the cached `_peername`) and on
// the `onread` and `handle` options of `new Socket()`. Where Node changes them, our code falls back
// quietly (the slower path, or memory not saved), so nothing else would notice: this test says so
// loudly, on real sockets, for the Node it runs on.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, connect, Socket, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { forgetCachedPeer, readInPlace, readingSocket, readUpgradedInPlace, takeOverSocket } from '@message-io/node-net';

const servers: Server[] = [];
const httpServers: HttpServer[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
  for (const server of httpServers.splice(0)) server.close();
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
    const taken = takeOverSocket(accepted, {
      onread: { buffer, callback: (n: number, b: Uint8Array) => void (received += Buffer.from(b.subarray(0, n)).toString()) },
    });
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

  it('an accepted socket can read with onread in place, without a second socket (readInPlace)', async () => {
    const { server, accepted, client } = await acceptedPair();
    const buffers = [Buffer.alloc(1024), Buffer.alloc(1024)];
    let next = 0;
    const reads: Uint8Array[] = [];
    let received = '';
    const ok = readInPlace(accepted, {
      onread: {
        buffer: () => buffers[next++ % 2]!,
        callback: (n: number, b: Uint8Array) => {
          reads.push(b);
          received += Buffer.from(b.subarray(0, n)).toString();
        },
      },
      writableHighWaterMark: 4096,
    });
    // false here means this Node keeps `onread` otherwise: the adapters fall back to takeOverSocket.
    expect(ok, 'readInPlace on this Node').toBe(true);
    expect(accepted.writableHighWaterMark, 'the writable high-water mark set in place').toBe(4096);
    // It reads by itself, with nothing more called.
    client.write('hello');
    const deadline = Date.now() + 5000;
    while (received.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(received).toBe('hello');
    // Node read into a buffer the function gave: the very object, not a copy of its own.
    expect(
      buffers.some((buffer) => buffer === reads[0]),
      'the read went into one of our buffers',
    ).toBe(true);
    const count = await new Promise<number>((resolve, reject) => server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
    expect(count, 'the server counts the connection, still the same socket').toBe(1);
    accepted.write('back');
    const answer = await new Promise<string>((resolve) => client.once('data', (d: Buffer) => resolve(d.toString())));
    expect(answer).toBe('back');
    // A socket that reads already is left alone.
    expect(readInPlace(accepted, { onread: { buffer: Buffer.alloc(16), callback: () => undefined } })).toBe(false);
  });

  it('a socket an HTTP server let go after an upgrade reads with onread in place (readUpgradedInPlace)', async () => {
    const server = createHttpServer();
    httpServers.push(server);
    const upgraded = new Promise<{ socket: Socket; head: Buffer }>((resolve) =>
      server.once('upgrade', (_request, socket: Socket, head: Buffer) => resolve({ socket, head })),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
    sockets.push(client);
    client.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n');
    const { socket, head } = await upgraded;
    sockets.push(socket);
    expect(head.length).toBe(0);
    const buffer = Buffer.alloc(1024);
    let received = '';
    const reads: Uint8Array[] = [];
    const ok = readUpgradedInPlace(socket, {
      onread: {
        buffer: () => buffer,
        callback: (n: number, b: Uint8Array) => {
          reads.push(b);
          received += Buffer.from(b.subarray(0, n)).toString();
        },
      },
    });
    // false here means this Node keeps `onread` otherwise, or its HTTP server left the socket not
    // reading: the Ws adapter then moves the stream into a second socket (takeOverSocket).
    expect(ok, 'readUpgradedInPlace on this Node').toBe(true);
    client.write('after the upgrade');
    const deadline = Date.now() + 5000;
    while (received.length < 17 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(received).toBe('after the upgrade');
    expect(
      reads.every((read) => read === buffer),
      'the reads went into our buffer',
    ).toBe(true);
    socket.write('back');
    const answer = await new Promise<string>((resolve) => client.once('data', (d: Buffer) => resolve(d.toString())));
    expect(answer).toContain('back');
    // Once it reads with onread, it is not set again; a socket not reading is left to readInPlace.
    expect(readUpgradedInPlace(socket, { onread: { buffer: Buffer.alloc(16), callback: () => undefined } })).toBe(false);
    const { accepted } = await acceptedPair();
    expect(readUpgradedInPlace(accepted, { onread: { buffer: Buffer.alloc(16), callback: () => undefined } })).toBe(false);
  });

  it('a socket with no stream is not taken over: takeOverSocket answers undefined and changes nothing', () => {
    const idle = new Socket();
    sockets.push(idle);
    expect(takeOverSocket(idle, { onread: { buffer: new Uint8Array(16), callback: () => undefined } })).toBeUndefined();
    expect(idle.destroyed).toBe(false);
  });

  it('reading remoteAddress caches the peer in `_peername`, which forgetCachedPeer drops', async () => {
    const { accepted } = await acceptedPair();
    expect(accepted.remoteAddress).toBe('127.0.0.1');
    expect(typeof (accepted as Socket & { _peername?: unknown })._peername, 'the cached peer').toBe('object');
    forgetCachedPeer(accepted);
    expect((accepted as Socket & { _peername?: unknown })._peername).toBeUndefined();
    expect(accepted.remoteAddress, 'asked of the system again').toBe('127.0.0.1');
  });

  it('a socket made by readingSocket reads into its onread buffer', async () => {
    const server = createServer((socket) => socket.end('from the server'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const buffer = new Uint8Array(64);
    const reads: Uint8Array[] = [];
    const socket = readingSocket({ onread: { buffer, callback: (_length: number, b: Uint8Array) => void reads.push(b) } });
    sockets.push(socket);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
    await closed;
    // Node hands over the very buffer given as `onread.buffer`: `undefined` means it ignored `onread`.
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((read) => read === buffer)).toBe(true);
  });
});
