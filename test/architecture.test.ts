// docs/architecture.md stays true: every package and core folder it names exists, and the imports
// go the way its picture says (core imports no transport and no Node module; within core, the
// contract imports nothing above it; node-net imports only core's adapter entry and Node; a
// transport imports only core's adapter entry, node-net, its own socket library and Node's
// modules, never another transport), and only the internals files touch private fields.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');

/** Every .ts file under `dir`, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** The module specifiers a file imports or re-exports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/g)].map((m) => m[1]!);
}

const packageNames = readdirSync(join(root, 'packages')).map(
  (dir) => (JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as { name: string }).name,
);

describe('docs/architecture.md', () => {
  it('names only packages that exist, and every one of them', () => {
    const named = new Set([...doc.matchAll(/@message-io\/[a-z-]+/g)].map((m) => m[0]).filter((name) => name !== '@message-io/core/adapter'));
    for (const name of named) expect(packageNames, `${name} is named in docs/architecture.md`).toContain(name);
    for (const name of packageNames.filter((n) => n.startsWith('@message-io/')))
      expect([...named], `${name} is missing from docs/architecture.md`).toContain(name);
    expect(doc).toContain('message-io<br/>');
    expect(packageNames).toContain('message-io');
  });

  it('names the folders of core that exist', () => {
    const folders = readdirSync(join(root, 'packages/core/src')).filter((name) => statSync(join(root, 'packages/core/src', name)).isDirectory());
    expect(folders.sort()).toEqual(['adapter', 'network', 'node']);
    for (const folder of folders) expect(doc).toContain(`${folder}/`);
  });

  it('core imports no transport and no Node module; its contract imports nothing above it', () => {
    const src = join(root, 'packages/core/src');
    for (const file of sources(src)) {
      const where = relative(src, file);
      for (const spec of importsOf(file)) {
        expect(spec.startsWith('.'), `${where} imports ${spec}`).toBe(true);
        const layer = where.split('/')[0];
        const target = relative(src, resolve(dirname(file), spec)).split('/')[0];
        if (layer === 'adapter' && where !== 'adapter/index.ts') expect(target, `${where} imports ${spec}`).toBe('adapter');
      }
    }
  });

  it('a transport imports core only through its adapter entry, and no other transport', () => {
    const own: Record<string, string[]> = {
      'node-net': [],
      tcp: ['@message-io/node-net'],
      udp: ['@message-io/node-net'],
      ws: ['ws', '@message-io/node-net'],
      ipc: ['@message-io/node-net'],
      nats: ['@nats-io/transport-node'],
    };
    for (const [transport, libraries] of Object.entries(own)) {
      for (const file of sources(join(root, 'packages', transport, 'src'))) {
        for (const spec of importsOf(file)) {
          if (spec.startsWith('.') || spec.startsWith('node:')) continue;
          expect(['@message-io/core/adapter', ...libraries], `${relative(root, file)} imports ${spec}`).toContain(spec);
        }
      }
    }
  });

  it('a community adapter imports core only through its published entries', () => {
    const published = ['@message-io/core', '@message-io/core/adapter', '@message-io/node-net'];
    const own: Record<string, string[]> = { webrtc: ['werift'] };
    for (const dir of readdirSync(join(root, 'community'))) {
      expect(own, `community/${dir}: list the libraries it may import`).toHaveProperty(dir);
      for (const file of sources(join(root, 'community', dir, 'src'))) {
        for (const spec of importsOf(file)) {
          if (spec.startsWith('.') || spec.startsWith('node:')) continue;
          expect([...published, ...own[dir]!], `${relative(root, file)} imports ${spec}`).toContain(spec);
        }
      }
    }
  });

  it('only the internals files touch fields that Node or ws do not document', () => {
    const allowed = new Set([
      'packages/node-net/src/node-internals.ts',
      'packages/node-net/src/handle-socket.ts',
      'packages/ws/src/ws-internals.ts',
      'packages/nats/src/nats-internals.ts',
      'packages/udp/src/dgram-internals.ts',
    ]);
    // `_handle`, `_server`, `_peername`, `_receiver`, `_bufferedBytes`, `_writableState`, a `.write =`.
    // The NATS client's protocol handler, reached through a cast: `as unknown as Internals).protocol`.
    // dgram's state, found by its symbol's description. Node's bindings, a server handle's `onconnection`.
    const privateUse = new RegExp(
      [
        /\.(_handle|_server|_peername|_receiver|_bufferedBytes|_writableState|onconnection)\b|\._receiver\b|\.write\s*=[^=]/.source,
        /Internals\)\.protocol\b|'state symbol'|\.binding\?*\.?\(/.source,
      ].join('|'),
    );
    for (const dir of ['core', 'node-net', 'tcp', 'udp', 'ws', 'ipc', 'nats']) {
      for (const file of sources(join(root, 'packages', dir, 'src'))) {
        const where = relative(root, file);
        if (allowed.has(where)) continue;
        const lines = readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line));
        expect(
          lines.filter((line) => privateUse.test(line)),
          `${where} touches private internals`,
        ).toEqual([]);
      }
    }
  });
});
