// Writes dist/templates.json: the repository's templates and versions, for the published package.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleFromRepo } from '../dist/bundle.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const out = fileURLToPath(new URL('../dist/templates.json', import.meta.url));
const bundle = bundleFromRepo(root);
writeFileSync(out, `${JSON.stringify(bundle)}\n`);
console.log(`wrote ${Object.keys(bundle.files).length} templates and versions ${JSON.stringify(bundle.versions)}`);
