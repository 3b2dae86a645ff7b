// messageTimeout on Ipc: a message that began to arrive and is not complete in time ends the
// connection with MessageTimeoutError (a peer dribbling a message, or its prefix, one byte at a
// time); messages that arrive in pieces but complete in time, one after another for far longer
// than the timeout, do not. The generated adapter's template has the same code (ipc-template-in-step).
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, MessageTimeoutError } from '@message-io/core';
import { sleep, testNode, until, type TestNode } from '@message-io/adapter-testkit';
import { Ipc, ipcUrl } from '@message-io/ipc';

const dir = mkdtempSync(join(tmpdir(), 'mio-ipc-mt-'));
let count = 0;
const nodes: TestNode[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const n of nodes.splice(0)) n.stop();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A listener with `messageTimeout`, and a raw client connected to its socket file. */
async function setup(messageTimeout: number) {
  const server = testNode();
  nodes.push(server);
  const path = join(dir, `m${count++}.sock`);
  await server.handler.network().listen(Ipc, ipcUrl(path), { messageTimeout });
  const socket = connect({ path });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return { server, socket };
}

/** A 4-byte big-endian length, then the payload. */
const framed = (payload: number[]): number[] => [0, 0, 0, payload.length, ...payload];

describe('Ipc messageTimeout', () => {
  it('ends a connection whose peer dribbles a message, with MessageTimeoutError, between once and twice the timeout', async () => {
    const timeout = 300;
    const { server, socket } = await setup(timeout);
    const started = performance.now();
    void (async () => {
      for (const byte of framed(new Array(100).fill(7))) {
        if (socket.destroyed || socket.readableEnded) return;
        socket.write(Uint8Array.of(byte));
        await sleep(50);
      }
    })();
    const ended = await server.waitFor((e) => e.type === 'disconnected', 5_000);
    const after = performance.now() - started;
    expect(ended.type === 'disconnected' && ended.error).toBeInstanceOf(MessageTimeoutError);
    expect(after).toBeGreaterThanOrEqual(timeout - 25);
    expect(after).toBeLessThan(2 * timeout + 500);
    expect(server.events.filter((e) => e.type === 'message')).toEqual([]);
  });

  it('ends a connection whose peer stops in the middle of a length prefix', async () => {
    const { server, socket } = await setup(200);
    socket.write(Uint8Array.of(0, 0));
    const ended = await server.waitFor((e) => e.type === 'disconnected', 5_000);
    expect(ended.type === 'disconnected' && ended.error).toBeInstanceOf(MessageTimeoutError);
  });

  it('keeps a connection whose messages arrive in pieces, each within the timeout, for far longer than it', async () => {
    const { server, socket } = await setup(200);
    // 12 messages of 10 bytes; each write ends one message and begins the next, 100 ms apart.
    socket.write(Uint8Array.of(...framed([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).slice(0, 8)));
    for (let i = 0; i < 12; i++) {
      await sleep(100);
      const next = i + 1 < 12 ? framed(new Array(10).fill(i + 1)).slice(0, 8) : [];
      socket.write(Uint8Array.of(...new Array(6).fill(i), ...next));
    }
    await until(() => server.events.filter((e) => e.type === 'message').length === 12, { timeout: 2_000, what: 'the 12 messages' });
    expect(server.events.filter((e) => e.type === 'disconnected')).toEqual([]);
  });

  it('is checked: an integer from 0', async () => {
    const n = testNode();
    nodes.push(n);
    await expect(n.handler.network().listen(Ipc, ipcUrl(join(dir, 'bad.sock')), { messageTimeout: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});
