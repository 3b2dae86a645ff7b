// A failed Ipc connection says why in its ConnectError's message: no socket file, or a file that
// is not a listening socket.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConnectError } from '@message-io/core';
import { testNode, type TestNode } from '@message-io/adapter-testkit';
import { Ipc, ipcUrl } from '@message-io/ipc';

const dir = mkdtempSync(join(tmpdir(), 'mio-ipc-connect-'));
const nodes: TestNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.stop();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failure(url: string): Promise<Error> {
  const client = testNode();
  nodes.push(client);
  return client.handler
    .network()
    .connectAndWait(Ipc, url)
    .then(
      () => {
        throw new Error(`connected to ${url}`);
      },
      (error: unknown) => error as Error,
    );
}

describe('Ipc connect failures name their reason', () => {
  it('no socket file: ENOENT', async () => {
    const url = ipcUrl(join(dir, 'nobody.sock'));
    const error = await failure(url);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.message).toBe(`connection to ${url} failed: ENOENT (no such file)`);
  });

  it('a file that is not a listening socket: ECONNREFUSED', async () => {
    const path = join(dir, 'plain.sock');
    writeFileSync(path, 'not a socket');
    const url = ipcUrl(path);
    const error = await failure(url);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.message).toBe(`connection to ${url} failed: ECONNREFUSED (connection refused)`);
  });
});
