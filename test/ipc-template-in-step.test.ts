// The Ipc transport began as the generated adapter's template and is meant to stay its twin where
// they do the same thing: the framing, its test, how accepted connections read, and the connection and listener classes (named
// after the transport in both: IpcRemote and IpcLocal, {{transportName}}Remote and
// {{transportName}}Local in the template). A fix made to one of them must be made to the other;
// this test fails until it is.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { render } from '@message-io/create-adapter';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
/**
 * The template as create-adapter would render it for a transport named Ipc: its only placeholder
 * may be `{{transportName}}` (any other makes `render` throw), and a plain file is taken as it is.
 */
const asIpc = (path: string): string => (path.endsWith('.hbs') ? render(read(path), { transportName: 'Ipc' }, path) : read(path));

describe('packages/ipc and templates/adapter stay in step', () => {
  it.each([
    ['src/framing.ts', 'src/framing.ts'],
    ['test/framing.test.ts', 'test/framing.test.ts'],
    ['src/remote.ts', 'src/remote.ts.hbs'],
    ['src/listener.ts', 'src/listener.ts.hbs'],
    ['src/reading.ts', 'src/reading.ts'],
  ])('packages/ipc/%s is templates/adapter/%s rendered for Ipc', (ipc, template) => {
    expect(read(`packages/ipc/${ipc}`)).toBe(asIpc(`templates/adapter/${template}`));
  });
});
