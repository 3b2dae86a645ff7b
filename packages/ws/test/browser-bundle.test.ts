// The browser build stays small and Node-free: a tiny app importing split and Ws, bundled for the
// browser by esbuild and minified, takes only core and the Ws browser files, with no Node built-in,
// no polyfill and no `ws`. It prints the size that docs/performance.md reports.
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleForBrowser } from './browser-support.js';

const APP = `
import { split } from '@message-io/core';
import { Ws } from '@message-io/ws';

const [handler, listener] = split<'tick'>();
const server = handler.network().connect(Ws, 'ws://127.0.0.1:3042/chat');
handler.signals().sendWithTimer('tick', 1000);
listener.forEach((event) => {
  if (event.type === 'message') handler.network().send(server, event.data);
  if (event.type === 'signal') handler.stop();
});
`;

/** A regression guard, not a target: today's bundle is about 8 KiB gzipped. */
const MAX_GZIPPED = 20 * 1024;

describe('the browser bundle of core + Ws', () => {
  it('holds only core and the Ws browser client, no Node built-in or polyfill, under 20 KiB gzipped', async () => {
    const { code, metafile } = await bundleForBrowser({ source: APP, resolveDir: fileURLToPath(new URL('.', import.meta.url)) }, true);
    const inputs = Object.keys(metafile.inputs).filter((input) => !input.endsWith('app.ts'));
    const outside = inputs.filter((input) => !/(^|\/)packages\/(core|ws)\/dist\/([\w-]+\/)*[\w-]+\.js$/.test(input));
    expect(outside).toEqual([]);
    const wsFiles = inputs
      .filter((input) => input.includes('packages/ws/'))
      .map((input) => input.replace(/.*\//, ''))
      .sort();
    expect(wsFiles).toEqual([
      'browser-adapter.js',
      'browser-remote.js',
      'browser.js',
      'defaults.js',
      'dial-url.js',
      'message-size.js',
      'option-keys.js',
      'protocols.js',
    ]);
    expect(code).not.toMatch(/["'`]node:|\brequire\(|\bBuffer\.|\bprocess\.|\bglobal\./);
    const gzipped = gzipSync(code, { level: 9 }).byteLength;
    console.log(`core + Ws browser client: ${code.length} bytes minified, ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThan(MAX_GZIPPED);
  }, 30_000);
});
