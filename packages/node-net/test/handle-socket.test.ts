// src/handle-socket.ts takes a server's accepted connections as libuv handles (the server handle's
// `onconnection`, the handle's read, write, shutdown and close methods, and the request classes
// and shared state of Node's `stream_wrap` binding), none of it documented. Where Node changes
// them, `acceptHandles` answers false and the listener goes on with `net.Socket`s, so nothing else
// would notice: this test says so loudly, on real sockets, for the Node it runs on, and checks
// that a HandleSocket behaves as the socket it stands for.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { acceptHandles, type HandleSocket, type OnRead } from '@message-io/node-net';

const dir = mkdtempSync(join(tmpdir(), 'mio-handle-socket-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const servers: Server[] = [];
const sockets: Socket[] = [];
const handles: HandleSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const handle of handles.splice(0)) handle.destroy();
  for (const server of servers.splice(0)) server.close();
});

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** What the handle's reads handed over, and the `this` of each callback. */
interface Reads {
  text: string;
  thisValues: unknown[];
  buffersAsked: number;
}

/**
 * A listening server whose connections come as HandleSockets, and a client connected to it: on
 * 127.0.0.1, or on the Unix domain socket `path`.
 */
async function handlePair(highWaterMark = 16 * 1024, path?: string): Promise<{ handle: HandleSocket; client: Socket; reads: Reads; server: Server }> {
  const server = createServer({ pauseOnConnect: true });
  servers.push(server);
  server.on('connection', () => {
    throw new Error('a net.Socket was built');
  });
  await new Promise<void>((resolve) => (path === undefined ? server.listen(0, '127.0.0.1', resolve) : server.listen(path, resolve)));
  const reads: Reads = { text: '', thisValues: [], buffersAsked: 0 };
  const onread: OnRead = {
    buffer: () => {
      reads.buffersAsked++;
      return new Uint8Array(1024);
    },
    callback(length, buffer) {
      reads.thisValues.push(this);
      reads.text += Buffer.from(buffer.subarray(0, length)).toString();
    },
  };
  const accepted = new Promise<HandleSocket>((resolve) => {
    // `false` here means this Node's server or stream binding is not as handle-socket.ts expects.
    expect(acceptHandles(server, onread, highWaterMark, resolve), 'acceptHandles on this Node').toBe(true);
  });
  const client = path === undefined ? connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port }) : connect({ path });
  sockets.push(client);
  const handle = await accepted;
  handles.push(handle);
  return { handle, client, reads, server };
}

describe("Node's TCP handle internals we depend on (HandleSocket)", () => {
  it('takes an accepted connection with no net.Socket: both ends, reads into the buffers asked for', async () => {
    const { handle, client, reads } = await handlePair();
    await new Promise<void>((resolve) => (client.readyState === 'open' ? resolve() : client.once('connect', resolve)));
    expect(handle.remoteAddress).toBe('127.0.0.1');
    expect(handle.remotePort).toBe(client.localPort);
    expect(handle.remoteFamily).toBe('IPv4');
    expect(handle.address()).toEqual({ address: '127.0.0.1', port: client.remotePort, family: 'IPv4' });
    expect([handle.localAddress, handle.localPort]).toEqual(['127.0.0.1', client.remotePort]);
    client.write('hello ');
    await until(() => reads.text === 'hello ', 'the first read');
    client.write('again');
    await until(() => reads.text === 'hello again', 'the second read');
    expect(reads.thisValues.every((value) => value === handle)).toBe(true);
    expect(reads.buffersAsked).toBeGreaterThanOrEqual(reads.thisValues.length + 1);
  });

  it('writes in order, one at a time and corked together, and calls back once written', async () => {
    const { handle, client } = await handlePair();
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const done: string[] = [];
    handle.write(Buffer.from('one '), () => done.push('one'));
    handle.cork();
    handle.write(Buffer.from('two '), () => done.push('two'));
    handle.write(Buffer.from('three'), () => done.push('three'));
    expect(handle.writableLength).toBe(9);
    handle.uncork();
    await until(() => received === 'one two three', 'the bytes at the client');
    await until(() => done.length === 3, 'the callbacks');
    expect(done).toEqual(['one', 'two', 'three']);
    expect(handle.writableLength).toBe(0);
  });

  it('answers false past the high-water mark while the peer does not read, then drains: every byte arrives in order', async () => {
    const { handle, client } = await handlePair(64 * 1024);
    client.pause();
    const chunk = Buffer.alloc(64 * 1024);
    let sent = 0;
    let full = false;
    for (let i = 0; i < 1000 && !full; i++) {
      chunk.fill(i % 251);
      full = !handle.write(Buffer.from(chunk));
      sent++;
    }
    expect(full, 'write answered false once the system stopped taking bytes').toBe(true);
    expect(handle.writableLength).toBeGreaterThanOrEqual(64 * 1024);
    const drained = new Promise<void>((resolve) => handle.once('drain', resolve));
    let at = 0;
    let wrong = 0;
    client.on('data', (data: Buffer) => {
      for (const byte of data) if (byte !== Math.floor(at++ / chunk.length) % 251) wrong++;
    });
    client.resume();
    await drained;
    expect(handle.writableLength).toBe(0);
    await until(() => at === sent * chunk.length, 'every byte at the client', 10_000);
    expect(wrong).toBe(0);
  });

  it('a corked run past the high-water mark is followed by drain even when the system takes it all at once', async () => {
    const { handle, client } = await handlePair(1024);
    let received = 0;
    client.on('data', (chunk: Buffer) => (received += chunk.length));
    handle.cork();
    expect(handle.write(Buffer.alloc(600))).toBe(true);
    expect(handle.write(Buffer.alloc(600)), 'past the high-water mark').toBe(false);
    const drained = new Promise<void>((resolve) => handle.once('drain', resolve));
    handle.uncork();
    expect(handle.writableLength, 'the system took both at once').toBe(0);
    await drained;
    await until(() => received === 1200, 'the bytes at the client');
  });

  it('when the peer ends: writes what is queued, ends its side, then closes without an error', async () => {
    const { handle, client } = await handlePair();
    const events: string[] = [];
    handle.on('error', () => events.push('error'));
    handle.on('close', (hadError: boolean) => events.push(`close ${hadError}`));
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const clientEnded = new Promise<void>((resolve) => client.once('end', resolve));
    handle.write(Buffer.from('last words'));
    client.end();
    await clientEnded;
    expect(received).toBe('last words');
    await until(() => events.length > 0, 'close');
    expect(events).toEqual(['close false']);
    expect(handle.destroyed).toBe(true);
  });

  it('end() shuts our side after what is queued (finish), and the connection closes once the peer ends too', async () => {
    const { handle, client } = await handlePair();
    const seen: string[] = [];
    handle.on('finish', () => seen.push('finish'));
    handle.on('close', () => seen.push('close'));
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString()));
    client.on('end', () => {
      seen.push('peer saw the end');
      client.end();
    });
    handle.cork();
    handle.write(Buffer.from('bye'));
    expect(handle.writableEnded).toBe(false);
    handle.end();
    expect(handle.writableEnded).toBe(true);
    expect(handle.write(Buffer.from('too late'))).toBe(false);
    // Held by cork: not shut yet, so no finish.
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
    handle.uncork();
    await until(() => seen.includes('close'), 'close after both ends');
    expect(received).toBe('bye');
    expect(seen.filter((event) => event !== 'peer saw the end')).toEqual(['finish', 'close']);
  });

  it('a reset by the peer is an error named as Node names it, then close', async () => {
    const { handle, client } = await handlePair();
    const events: string[] = [];
    handle.on('error', (error: Error & { code?: string; syscall?: string }) => events.push(`error ${error.code} ${error.syscall}`));
    handle.on('close', (hadError: boolean) => events.push(`close ${hadError}`));
    await new Promise<void>((resolve) => (client.readyState === 'open' ? resolve() : client.once('connect', resolve)));
    client.resetAndDestroy();
    await until(() => events.length === 2, 'error and close');
    expect(events).toEqual(['error ECONNRESET read', 'close true']);
  });

  it('destroy(error) closes at once: the peer sees the end, the error then close are emitted', async () => {
    const { handle, client } = await handlePair();
    const events: string[] = [];
    handle.on('error', (error: Error) => events.push(`error ${error.message}`));
    handle.on('close', () => events.push('close'));
    const clientClosed = new Promise<void>((resolve) => client.once('close', resolve));
    client.on('error', () => undefined);
    handle.destroy(new Error('gone'));
    expect(handle.destroyed).toBe(true);
    await clientClosed;
    await until(() => events.length === 2, 'error and close');
    expect(events).toEqual(['error gone', 'close']);
  });

  it('setTimeout: timeout after silence, put off by every read', async () => {
    const { handle, client, reads } = await handlePair();
    let timedOut = 0;
    handle.setTimeout(150, () => timedOut++);
    for (let i = 0; i < 4; i++) {
      client.write('x');
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    expect(reads.text).toBe('xxxx');
    expect(timedOut, 'reads every 60 ms keep it from timing out').toBe(0);
    await until(() => timedOut === 1, 'the timeout after silence');
    expect(handle.destroyed, 'a timeout only tells').toBe(false);
  });

  it('takes a Unix domain socket connection too: no peer address, no TCP options, reads and writes both ways', async () => {
    const { handle, client, reads } = await handlePair(16 * 1024, join(dir, 'pair.sock'));
    await new Promise<void>((resolve) => (client.readyState === 'open' ? resolve() : client.once('connect', resolve)));
    expect([handle.remoteAddress, handle.remotePort, handle.remoteFamily]).toEqual(['', 0, undefined]);
    expect(handle.address()).toEqual({});
    // TCP_NODELAY and keep-alive mean nothing here: nothing happens, nothing throws.
    handle.setNoDelay(true).setKeepAlive(true, 1000);
    client.write('over a pipe');
    await until(() => reads.text === 'over a pipe', 'the read');
    let back = '';
    client.on('data', (chunk: Buffer) => (back += chunk.toString()));
    handle.write(Buffer.from('and back'));
    await until(() => back === 'and back', 'the write');
  });

  it('pause() stops reading until resume()', async () => {
    const { handle, client, reads } = await handlePair();
    handle.pause();
    expect(handle.isPaused()).toBe(true);
    client.write('held');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reads.text).toBe('');
    handle.resume();
    await until(() => reads.text === 'held', 'the read after resume');
  });
});
