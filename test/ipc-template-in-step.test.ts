// The Ipc transport began as the generated adapter's template and is meant to stay its twin where
// they do the same thing: the framing, its test, and the connection and listener classes (which
// differ only in their names). A fix made to one of them must be made to the other; this test
// fails until it is.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
/** Ipc's source with its class names put back to the template's. */
const asTemplate = (text: string): string => text.replace(/\bIpcRemote\b/g, 'FramedRemote').replace(/\bIpcLocal\b/g, 'FramedLocal');

describe('packages/ipc and templates/adapter stay in step', () => {
  it.each([
    ['src/framing.ts', 'src/framing.ts'],
    ['test/framing.test.ts', 'test/framing.test.ts'],
    ['src/remote.ts', 'src/remote.ts'],
    ['src/listener.ts', 'src/listener.ts'],
  ])('packages/ipc/%s is templates/adapter/%s (but for the class names)', (ipc, template) => {
    expect(asTemplate(read(`packages/ipc/${ipc}`))).toBe(read(`templates/adapter/${template}`));
  });
});
