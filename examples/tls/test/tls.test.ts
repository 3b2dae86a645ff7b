// Runs the TLS server and client as a user would, with certificates made by openssl for the test:
// the client gets its echoes; under mutual TLS, a client with the CA's certificate does, one
// without is refused and the server never sees it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exitWithin, start, stopAll, tsBlocks } from '../../../test/support/child.js';
import { skipWithout } from '../../../test/support/peers.js';
import { usePki } from '../../../test/support/pki.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
let dir = '';
/** The path of a certificate file written for the test. */
const file = (name: string): string => join(dir, name);
afterEach(stopAll);
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

async function server(...clientCa: string[]) {
  const program = start(`${dist}server.js`, [file('server.pem'), file('server-key.pem'), '127.0.0.1:0', ...clientCa]);
  const [, addr] = await program.waitFor(/listening on (127\.0\.0\.1:\d+) \(TLS/);
  return { program, addr: addr! };
}

describe('tls example', () => {
  it('is what its README shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
    for (const name of ['server.ts', 'client.ts']) {
      expect(blocks, `README.md shows src/${name}`).toContain(readFileSync(new URL(`../src/${name}`, import.meta.url), 'utf8'));
    }
  });

  describe.skipIf(skipWithout('openssl'))('with certificates made by openssl', () => {
    // Inside this block only: the README test above needs no openssl.
    const pki = usePki();
    beforeAll(() => {
      if (pki.ca === undefined) return; // openssl missing (CI): each test fails, naming it
      dir = mkdtempSync(join(tmpdir(), 'message-io-tls-example-'));
      const files: Record<string, string> = {
        'ca.pem': pki.ca,
        'server.pem': pki.server.cert,
        'server-key.pem': pki.server.key,
        'client.pem': pki.client.cert,
        'client-key.pem': pki.client.key,
      };
      for (const [name, pem] of Object.entries(files)) writeFileSync(file(name), pem);
    });

    it('a client gets its three echoes over TLS', async () => {
      const { program, addr } = await server();
      const client = start(`${dist}client.js`, [addr, file('ca.pem')]);
      expect(await exitWithin(client, 10_000)).toBe(0);
      expect(client.output()).toContain(`connected to ${addr} over TLS`);
      expect(client.output().match(/echo: message \d/g)).toEqual(['echo: message 1', 'echo: message 2', 'echo: message 3']);
      await program.waitFor('connected (handshake done)');
      program.child.kill('SIGINT');
      expect(await exitWithin(program, 5_000)).toBe(0);
    });

    it('under mutual TLS, a client with a certificate is served and one without is refused unseen', async () => {
      const { program, addr } = await server(file('ca.pem'));
      const refused = start(`${dist}client.js`, [addr, file('ca.pem')]);
      expect(await exitWithin(refused, 10_000)).toBe(1);
      expect(refused.output()).not.toContain('echo:');
      const served = start(`${dist}client.js`, [addr, file('ca.pem'), file('client.pem'), file('client-key.pem')]);
      expect(await exitWithin(served, 10_000)).toBe(0);
      expect(served.output().match(/echo: message \d/g)).toHaveLength(3);
      await program.waitFor('disconnected');
      expect(program.output().match(/connected \(handshake done\)/g)).toHaveLength(1);
      program.child.kill('SIGINT');
      expect(await exitWithin(program, 5_000)).toBe(0);
    });
  });
});
