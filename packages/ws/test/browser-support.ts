// Support for the browser tests: an esbuild bundle for the page, a static server on 127.0.0.1, and
// Debian's Chromium driven by playwright-core, always closed (with its profile folder) at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM, requirePeers } from '../../../test/support/peers.js';

/** Flags for Chromium on a machine with a closed network, run as root. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser bundle: its code and esbuild's record of the files that went into it. */
export interface Bundle {
  code: string;
  metafile: Metafile;
}

/** What to bundle: a file, or TypeScript source whose imports resolve from `resolveDir`. */
export type BundleEntry = { file: string } | { source: string; resolveDir: string };

/** Bundles `entry` for the browser, as a bundler does for a web app: the `browser` export conditions apply. */
export async function bundleForBrowser(entry: BundleEntry, minify = false): Promise<Bundle> {
  const input =
    'file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.source, resolveDir: entry.resolveDir, loader: 'ts' as const, sourcefile: 'app.ts' } };
  const result = await build({
    ...input,
    bundle: true,
    platform: 'browser',
    format: minify ? 'esm' : 'iife',
    target: 'es2022',
    minify,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return { code: result.outputFiles[0]!.text, metafile: result.metafile };
}

/** A running static server: its base URL (`http://127.0.0.1:P/`) and how to stop it. */
export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `index.html` at `/` (a page that loads `/app.js`) and `app` at `/app.js`, on 127.0.0.1. */
export async function servePage(app: string): Promise<StaticServer> {
  const html = '<!doctype html><html><head><meta charset="utf-8"><title>test</title></head><body><script src="/app.js"></script></body></html>';
  const server = createServer((request, response) => {
    const [type, body] = request.url === '/app.js' ? ['text/javascript', app] : request.url === '/' ? ['text/html', html] : [];
    if (request.url === '/favicon.ico') return void response.writeHead(204).end();
    if (body === undefined) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Starts headless Chromium with a fresh profile folder, opens a page, runs `use`, and closes the
 * browser and removes the folder whatever happens. Console errors of the page are printed. Fails
 * clearly when Chromium is missing.
 */
export async function withChromium<T>(use: (page: Page) => Promise<T>): Promise<T> {
  requirePeers('chromium');
  const profile = mkdtempSync(join(tmpdir(), 'message-io-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 15_000,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') console.error(`page console: ${message.text()}`);
    });
    return await use(page);
  } finally {
    await Promise.race([context.close(), new Promise((resolve) => setTimeout(resolve, 5000))]);
    rmSync(profile, { recursive: true, force: true });
  }
}
