// `npm run docs` builds the API reference with typedoc (driven by TypeScript 6 under the npm
// alias `typescript-6`, see scripts/typedoc-typescript-6.mjs) into docs/api: one page per package.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const api = `${root}docs/api/`;

/** Each documented package and the page typedoc names after it. */
const pages: Record<string, string> = {
  '@message-io/core': '_message-io_core.html',
  '@message-io/tcp': '_message-io_tcp.html',
  '@message-io/udp': '_message-io_udp.html',
  '@message-io/ws': '_message-io_ws.html',
  '@message-io/ipc': '_message-io_ipc.html',
  '@message-io/nats': '_message-io_nats.html',
  'message-io': 'message-io.html',
  '@message-io/adapter-testkit': '_message-io_adapter-testkit.html',
  '@message-io/create-adapter': '_message-io_create-adapter.html',
};

describe('npm run docs', () => {
  it('writes an API page per package into docs/api, from the doc comments', async () => {
    rmSync(api, { recursive: true, force: true });
    await promisify(execFile)('npm', ['run', 'docs'], { cwd: root, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
    for (const [name, page] of Object.entries(pages)) {
      expect(existsSync(`${api}modules/${page}`), `a page for ${name}`).toBe(true);
    }
    const core = readFileSync(`${api}modules/_message-io_core.html`, 'utf8');
    expect(core).toContain('split');
    const split = readFileSync(`${api}functions/_message-io_core.split.html`, 'utf8');
    expect(split).toContain('Creates a node and splits it into its handler');
  }, 300_000);
});
