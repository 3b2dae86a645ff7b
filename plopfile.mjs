// `npm run new:adapter`: adds an adapter package under packages/ from templates/adapter, with its
// first-release changeset and its reference in the root tsconfig.json and in tsconfig.typecheck.json
// (which type-checks every package's tests: `npm run typecheck`).
//
//   npm run new:adapter                                  asks for the name and the description
//   npm run new:adapter -- my-link "frames over a serial line"   asks nothing (CI)
//
// Template values come from templateData() of @message-io/create-adapter, so that this generator
// and `npm create @message-io/adapter` render the same files. It is built on first use.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const kitEntry = join(root, 'packages/create-adapter/dist/index.js');

/** @message-io/create-adapter's functions, built first if needed. */
async function loadKit() {
  if (!existsSync(kitEntry)) {
    execFileSync('npx', ['tsc', '-b', 'packages/create-adapter'], { cwd: root, stdio: 'inherit' });
  }
  return import(new URL(`file://${kitEntry}`).href);
}

/** `^x.y.z` of a workspace package of this repository. */
function rangeOf(dir) {
  return `^${JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')).version}`;
}

/** Adds `packages/<directory>` to the references of `name` (a tsconfig file at `base`), before the umbrella package. */
function addReference(base, directory, name = 'tsconfig.json') {
  const file = join(base, name);
  const tsconfig = JSON.parse(readFileSync(file, 'utf8'));
  const references = tsconfig.references ?? [];
  const path = `packages/${directory}`;
  if (references.some((ref) => ref.path === path)) return `${path} is already referenced in ${name}`;
  const umbrella = references.findIndex((ref) => ref.path === 'packages/message-io');
  references.splice(umbrella < 0 ? references.length : umbrella, 0, { path });
  tsconfig.references = references;
  writeFileSync(file, `${JSON.stringify(tsconfig, null, 2)}\n`);
  return `${name} references ${path}`;
}

/** @param {import('plop').NodePlopAPI} plop */
export default async function (plop) {
  const kit = await loadKit();
  const base = plop.getDestBasePath();

  plop.setGenerator('adapter', {
    description: 'an adapter package under packages/ (templates/adapter)',
    prompts: [
      {
        type: 'input',
        name: 'name',
        message: 'Name (kebab-case; the folder under packages/ and the package @message-io/<name>)',
        validate: (name) => kit.checkName(name) ?? (existsSync(join(base, 'packages', name)) ? `packages/${name} exists` : true),
      },
      {
        type: 'input',
        name: 'description',
        message: 'Description (one line)',
        default: kit.DEFAULT_DESCRIPTION,
        validate: (text) => kit.checkDescription(text) ?? true,
      },
    ],
    actions: (answers) => {
      Object.assign(
        answers,
        kit.templateData(answers, { coreRange: rangeOf('core'), nodeNetRange: rangeOf('node-net'), testkitRange: rangeOf('adapter-testkit') }, '@message-io/'),
      );
      return [
        {
          type: 'addMany',
          destination: 'packages/{{directory}}',
          base: 'templates/adapter',
          templateFiles: 'templates/adapter/**',
          globOptions: { dot: true },
          stripExtensions: ['hbs'],
          abortOnFail: true,
          verbose: false,
        },
        { type: 'add', path: '.changeset/{{directory}}-first-release.md', templateFile: 'templates/changeset/first-release.md.hbs' },
        () => addReference(base, answers.directory),
        () =>
          existsSync(join(base, 'tsconfig.typecheck.json'))
            ? addReference(base, answers.directory, 'tsconfig.typecheck.json')
            : 'no tsconfig.typecheck.json to add the package to',
        () => `next: npm install, then npx lerna run build --scope ${answers.packageName} and npx vitest run --project ${answers.directory}`,
      ];
    },
  });
}
