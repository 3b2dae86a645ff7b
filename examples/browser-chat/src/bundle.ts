// Bundles the page (src/page.ts) into dist/public/app.js with esbuild. Bundling for the browser
// picks the `browser` condition of @message-io/ws: its client on the native WebSocket, without
// `ws` or any Node built-in. Run by `npm run build`.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const result = await build({
  entryPoints: [fileURLToPath(new URL('../src/page.ts', import.meta.url))],
  outfile: fileURLToPath(new URL('./public/app.js', import.meta.url)),
  bundle: true,
  minify: true,
  sourcemap: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).find((output) => output.entryPoint !== undefined)?.bytes;
console.log(`bundled the page: dist/public/app.js, ${bytes} bytes`);
