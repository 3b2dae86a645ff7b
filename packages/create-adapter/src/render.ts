const PLACEHOLDER = /\{\{\s*([A-Za-z_]\w*)\s*\}\}/g;

/**
 * Renders a template the way Handlebars renders `{{name}}` placeholders of safe values, and nothing
 * else: any other `{{` (helpers, blocks, triple braces) is an error, so that the templates stay
 * renderable by both plop and this package.
 * @throws Error for an unknown placeholder or unsupported syntax.
 */
export function render(template: string, data: Readonly<Record<string, string>>, file = 'template'): string {
  if (template.includes('{{{')) throw new Error(`${file}: unsupported template syntax (only {{name}} placeholders)`);
  const out = template.replace(PLACEHOLDER, (_, key: string) => {
    const value = data[key];
    if (value === undefined) throw new Error(`${file}: unknown placeholder {{${key}}}`);
    return value;
  });
  if (out.includes('{{')) throw new Error(`${file}: unsupported template syntax (only {{name}} placeholders)`);
  return out;
}

/**
 * Where a template file goes: `.hbs` dropped, `gitignore` renamed `.gitignore`, and, given `data`,
 * its placeholders rendered (`src/{{name}}.ts.hbs` gives `src/my-link.ts`), as plop renders paths.
 */
export function outputPath(path: string, data?: Readonly<Record<string, string>>): string {
  const plain = path.endsWith('.hbs') ? path.slice(0, -'.hbs'.length) : path;
  const named = data === undefined ? plain : render(plain, data, path);
  return named.replace(/(^|\/)gitignore$/, '$1.gitignore');
}
