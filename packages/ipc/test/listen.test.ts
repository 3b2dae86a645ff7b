// Listening on socket paths: stale files from dead processes, live listeners, files that are not
// sockets, permissions, cleanup on remove(), and addresses the core or the adapter refuse.
import { execFile, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InvalidAddressError, ListenError, SendStatus } from '@message-io/core';
import { testNode, text, until, utf8, type TestNode } from '@message-io/adapter-testkit';
import { Ipc, ipcUrl } from '@message-io/ipc';
import { onlyWhere } from '../../../test/support/skips.js';

const linux = onlyWhere(process.platform === 'linux', `abstract socket names exist on Linux only; this is ${process.platform}`);
const dir = mkdtempSync(join(tmpdir(), 'mio-ipc-listen-'));
const fixture = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).pathname;
let count = 0;
const socketPath = (): string => join(dir, `l${count++}.sock`);

const nodes: TestNode[] = [];
afterEach(() => {
  for (const node of nodes.splice(0)) node.stop();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function node(echo = false): TestNode {
  const created = testNode((event, handler) => {
    if (echo && event.type === 'message') handler.network().send(event.endpoint, event.data);
  });
  nodes.push(created);
  return created;
}

/** Leaves a stale socket file at `path`: a child process listens there and is killed. */
async function staleSocket(path: string): Promise<void> {
  const { stdout } = await promisify(execFile)(process.execPath, [fixture('die-listening.mjs'), path], { timeout: 5_000 }).catch(
    (error: { stdout?: string; signal?: string }) => ({ stdout: error.stdout ?? '', signal: error.signal }),
  );
  expect(stdout).toContain('listening');
  expect(lstatSync(path).isSocket()).toBe(true);
}

describe('listen on a socket file', () => {
  it('removes a socket file left by a dead process, then listens and works', async () => {
    const path = socketPath();
    await staleSocket(path);
    const server = node(true);
    const { addr } = await server.handler.network().listen(Ipc, ipcUrl(path));
    expect(addr).toBe(ipcUrl(path));
    const client = node();
    const endpoint = await client.handler.network().connectAndWait(Ipc, addr);
    expect(client.handler.network().send(endpoint, utf8('after the stale file'))).toBe(SendStatus.Sent);
    await client.waitFor((e) => e.type === 'message' && text(e.data) === 'after the stale file');
  });

  it('refuses a path where a live listener is, with ListenError (EADDRINUSE), and leaves it working', async () => {
    const first = node(true);
    const { addr } = await first.handler.network().listen(Ipc, ipcUrl(socketPath()));
    const second = node();
    const error = await second.handler
      .network()
      .listen(Ipc, addr)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ListenError);
    expect(((error as ListenError).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    const client = node();
    const endpoint = await client.handler.network().connectAndWait(Ipc, addr);
    client.handler.network().send(endpoint, utf8('still the first'));
    await client.waitFor((e) => e.type === 'message' && text(e.data) === 'still the first');
  });

  it('refuses a path that holds a file that is not a socket, and leaves the file alone', async () => {
    const path = socketPath();
    writeFileSync(path, 'precious');
    const error = await node()
      .handler.network()
      .listen(Ipc, ipcUrl(path))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ListenError);
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });

  it('gives ListenError for a folder that does not exist', async () => {
    const error = await node()
      .handler.network()
      .listen(Ipc, ipcUrl(join(dir, 'missing', 'x.sock')))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ListenError);
  });

  it('removes its socket file on remove() and on stop()', async () => {
    const server = node();
    const path = socketPath();
    const { id } = await server.handler.network().listen(Ipc, ipcUrl(path));
    expect(existsSync(path)).toBe(true);
    server.handler.network().remove(id);
    await until(() => !existsSync(path), { timeout: 2_000, what: 'the socket file to go' });
    const other = node();
    const again = socketPath();
    await other.handler.network().listen(Ipc, ipcUrl(again));
    other.stop();
    await until(() => !existsSync(again), { timeout: 2_000, what: 'the socket file to go on stop' });
  });

  it('gives the socket file the modes of readableAll and writableAll', async () => {
    const path = socketPath();
    await node().handler.network().listen(Ipc, ipcUrl(path), { readableAll: true, writableAll: true });
    expect(lstatSync(path).mode & 0o066).toBe(0o066);
  });
});

describe.skipIf(linux.skip)(linux.title('listen on an abstract name'), () => {
  it('refuses a name in use with ListenError', async () => {
    const name = `@mio-listen-${process.pid}`;
    const first = node();
    const { addr } = await first.handler.network().listen(Ipc, ipcUrl(name));
    expect(addr).toBe(`ipc://mio-listen-${process.pid}`);
    await expect(node().handler.network().listen(Ipc, ipcUrl(name))).rejects.toBeInstanceOf(ListenError);
  });
});

describe('addresses', () => {
  it('refuses host:port for connect and listen, and URLs of other schemes (checked by the core)', async () => {
    const { handler } = node();
    expect(() => handler.network().connect(Ipc, '127.0.0.1:80')).toThrow(InvalidAddressError);
    expect(() => handler.network().connect(Ipc, 'ws://127.0.0.1:80')).toThrow(InvalidAddressError);
    await expect(handler.network().listen(Ipc, '127.0.0.1:0')).rejects.toBeInstanceOf(InvalidAddressError);
    await expect(handler.network().listen(Ipc, 'unix:///tmp/x.sock')).rejects.toBeInstanceOf(InvalidAddressError);
  });

  it('connect to a path where nothing listens gives connected with ok: false', async () => {
    const client = node();
    const endpoint = client.handler.network().connect(Ipc, ipcUrl(join(dir, 'nobody.sock')));
    const event = await client.waitFor((e) => e.type === 'connected');
    expect(event).toMatchObject({ endpoint, ok: false });
  });
});

describe('options', () => {
  it('connect and listen refuse unknown options, naming the key and the options of that side, and bind nothing', async () => {
    const { handler } = node();
    const path = socketPath();
    let error: unknown;
    try {
      handler.network().connect(Ipc, ipcUrl(path), { backlog: 5 } as never);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({
      code: 'ERR_INVALID_OPTION',
      message: `unknown option backlog for Ipc connect; Ipc connect takes ${[
        'maxBufferedBytes',
        'connectTimeout',
        'linger',
        'reconnect',
        'maxMessageSize',
        'idleTimeout',
        'messageTimeout',
      ].join(', ')}`,
    });
    await expect(handler.network().listen(Ipc, ipcUrl(path), { bogus: true } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      message: expect.stringMatching(/^unknown option bogus for Ipc listen; .*writableAll$/),
    });
    expect(existsSync(path)).toBe(false);
  });
});

describe('between processes', () => {
  it('a child process connects, sends, and gets its echo', async () => {
    const server = node(true);
    const { addr } = await server.handler.network().listen(Ipc, ipcUrl(socketPath()));
    const child = spawn(process.execPath, [fixture('echo-client.mjs'), addr], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(0);
      expect(output.trim()).toBe(`hello from ${child.pid}`);
      const accepted = await server.waitFor((e) => e.type === 'accepted');
      expect(accepted.type === 'accepted' && accepted.endpoint.addr).toBe(addr);
      await server.waitFor((e) => e.type === 'disconnected');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
