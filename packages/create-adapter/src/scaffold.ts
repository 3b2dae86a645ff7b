import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadBundle, type TemplateBundle, type Versions } from './bundle.js';
import { templateData, type AdapterAnswers, type TemplateData } from './names.js';
import { outputPath, render } from './render.js';

/** What {@link scaffold} needs. */
export interface ScaffoldOptions extends AdapterAnswers {
  /** Folder to write the package into; it must not exist or be empty, unless `force`. */
  readonly dir: string;
  /** Write into a folder that is not empty, replacing files of the same names. */
  readonly force?: boolean;
  /** The templates; default: this installation's (see `loadBundle`). */
  readonly bundle?: TemplateBundle;
}

/** What {@link scaffold} did. */
export interface ScaffoldResult {
  /** The absolute path of the package. */
  readonly dir: string;
  /** The values the templates were rendered with. */
  readonly data: TemplateData;
  /** The files written, relative to `dir`, sorted. */
  readonly files: string[];
}

/** Default prefix of a third party's package name: `message-io-<name>`. */
export const COMMUNITY_PREFIX = 'message-io-';

/** Scripts of a standalone package: build and test with its own tools, release with changesets. */
const STANDALONE_SCRIPTS = {
  build: 'tsc -b',
  test: 'vitest run',
  changeset: 'changeset',
  'version-packages': 'changeset version',
  release: 'npm run build && npm test && changeset publish',
};

function sorted(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/** Turns the rendered package.json of the repository's shape into a standalone package's. */
export function standalonePackageJson(text: string, versions: Versions): string {
  const pkg = JSON.parse(text) as Record<string, unknown>;
  const devDependencies = (pkg.devDependencies ?? {}) as Record<string, string>;
  for (const name of ['typescript', 'vitest', '@types/node', '@changesets/cli'] as const) devDependencies[name] = versions[name];
  const keywords = Array.isArray(pkg.keywords) ? (pkg.keywords as string[]) : [];
  const result = {
    ...pkg,
    scripts: STANDALONE_SCRIPTS,
    devDependencies: sorted(devDependencies),
    keywords: [...new Set([...keywords, 'message-io-adapter'])],
  };
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** The README section of a standalone package on publishing it as a community adapter (templates/standalone/). */
const PUBLISHING_SECTION = 'README-publishing.md.hbs';

/** `readme` with `section` put right before the line `heading` (at the end when there is none). */
function withSectionBefore(readme: string, heading: string, section: string): string {
  const at = readme.indexOf(`\n${heading}\n`);
  return at < 0 ? `${readme.trimEnd()}\n\n${section}` : `${readme.slice(0, at + 1)}${section}${readme.slice(at + 1)}`;
}

/** The files of a standalone package: path relative to the package, and text. */
export function standaloneFiles(bundle: TemplateBundle, data: TemplateData): Map<string, string> {
  const values = data as unknown as Record<string, string>;
  const files = new Map<string, string>();
  let publishing = '';
  for (const [path, template] of Object.entries(bundle.files)) {
    const [folder, ...rest] = path.split('/');
    const inner = rest.join('/');
    const text = path.endsWith('.hbs') ? render(template, values, path) : template;
    if (folder === 'standalone' && inner === PUBLISHING_SECTION) publishing = text;
    else if (folder === 'adapter' || folder === 'standalone') files.set(outputPath(inner, values), text);
    else if (folder === 'changeset') files.set(`.changeset/${outputPath(inner, values)}`, text);
  }
  files.set('package.json', standalonePackageJson(files.get('package.json')!, bundle.versions));
  files.set('README.md', withSectionBefore(files.get('README.md')!, '## License', publishing));
  return files;
}

/**
 * Writes a standalone adapter package (its own tsconfig, vitest and changesets configuration;
 * dependencies on the published core, node-net and testkit) into `options.dir`.
 * @throws Error for a bad answer or a folder that is not empty.
 */
export function scaffold(options: ScaffoldOptions): ScaffoldResult {
  const bundle = options.bundle ?? loadBundle();
  const ranges = {
    coreRange: bundle.versions['@message-io/core'],
    nodeNetRange: bundle.versions['@message-io/node-net'],
    testkitRange: bundle.versions['@message-io/adapter-testkit'],
  };
  const data = templateData(options, ranges, COMMUNITY_PREFIX);
  const dir = resolve(options.dir);
  if (existsSync(dir) && readdirSync(dir).length > 0 && options.force !== true) {
    throw new Error(`${dir} is not empty (pass --force to write into it anyway)`);
  }
  const files = standaloneFiles(bundle, data);
  for (const [path, text] of files) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  return { dir, data, files: [...files.keys()].sort() };
}
