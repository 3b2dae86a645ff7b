import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Version ranges of what a standalone package depends on: the repository's versions at build time. */
export interface Versions {
  readonly '@message-io/core': string;
  readonly '@message-io/node-net': string;
  readonly '@message-io/adapter-testkit': string;
  readonly typescript: string;
  readonly vitest: string;
  readonly '@types/node': string;
  readonly '@changesets/cli': string;
}

/**
 * The templates and versions, as one JSON file (`dist/templates.json` in the published package):
 * `files` maps each template's path under `templates/` (such as `adapter/src/remote.ts`) to its text.
 */
export interface TemplateBundle {
  readonly versions: Versions;
  readonly files: Readonly<Record<string, string>>;
}

/** The template folders a bundle holds. */
const FOLDERS = ['adapter', 'standalone', 'changeset'];

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/**
 * Builds the bundle from a checkout of the message-io repository at `root`: the templates, the
 * versions of its core, node-net and testkit (as `^x.y.z`), and the tool versions of its root package.json.
 */
export function bundleFromRepo(root: string): TemplateBundle {
  const files: Record<string, string> = {};
  for (const folder of FOLDERS) {
    for (const file of listFiles(join(root, 'templates', folder)).sort()) {
      files[relative(join(root, 'templates'), file).split('\\').join('/')] = readFileSync(file, 'utf8');
    }
  }
  const version = (dir: string): string => `^${String(readJson(join(root, 'packages', dir, 'package.json')).version)}`;
  const tools = (readJson(join(root, 'package.json')).devDependencies ?? {}) as Record<string, string>;
  const tool = (name: string): string => {
    const range = tools[name];
    if (range === undefined) throw new Error(`the root package.json has no devDependency ${name}`);
    return range;
  };
  return {
    versions: {
      '@message-io/core': version('core'),
      '@message-io/node-net': version('node-net'),
      '@message-io/adapter-testkit': version('adapter-testkit'),
      typescript: tool('typescript'),
      vitest: tool('vitest'),
      '@types/node': tool('@types/node'),
      '@changesets/cli': tool('@changesets/cli'),
    },
    files,
  };
}

/**
 * The bundle of this installation: `templates.json` next to this module when published, or,
 * inside the repository before a build, the repository's own templates.
 */
export function loadBundle(): TemplateBundle {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const bundled = join(here, 'templates.json');
  if (existsSync(bundled)) return JSON.parse(readFileSync(bundled, 'utf8')) as TemplateBundle;
  const root = join(here, '..', '..', '..');
  if (existsSync(join(root, 'templates', 'adapter'))) return bundleFromRepo(root);
  throw new Error(`no templates: ${bundled} is missing (build @message-io/create-adapter first)`);
}
