// Loaded with `node --import` before typedoc (the root `npm run docs` script).
// typedoc drives TypeScript through its JavaScript API, which the native TypeScript 7 compiler of
// this repository does not have. TypeScript 6 is installed beside it under the npm alias
// `typescript-6`; this hook hands it to typedoc's `import ... from 'typescript'` and leaves every
// other import alone. (The root `overrides` entry only lets npm accept typedoc's peer range.)
import { register } from 'node:module';

const hook = `
export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'typescript' && context.parentURL?.includes('/node_modules/typedoc/')) {
    return nextResolve('typescript-6', context);
  }
  return nextResolve(specifier, context);
}`;

register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url);
