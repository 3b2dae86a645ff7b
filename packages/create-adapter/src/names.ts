/** What the user chooses for a new adapter; everything else is derived. */
export interface AdapterAnswers {
  /** Short kebab-case name: the folder in this repository, and the base of the other names. */
  readonly name: string;
  /** One line, without a final period; it follows "The <Transport> transport for message-io:". */
  readonly description?: string;
  /** The npm package name. Default: `@message-io/<name>` in this repository, `message-io-<name>` elsewhere. */
  readonly packageName?: string;
  /** The transport value's name, PascalCase. Default: the name in PascalCase (`my-link` gives `MyLink`). */
  readonly transportName?: string;
}

/** The values every template placeholder takes. */
export interface TemplateData {
  readonly name: string;
  readonly directory: string;
  readonly packageName: string;
  readonly transportName: string;
  /** The adapter value's name: the transport name in camelCase, then `Adapter` (`MyLink` gives `myLinkAdapter`). */
  readonly adapterName: string;
  readonly description: string;
  readonly keyword: string;
  readonly coreRange: string;
  readonly nodeNetRange: string;
  readonly testkitRange: string;
}

/** Version ranges a generated package depends on. */
export interface Ranges {
  readonly coreRange: string;
  readonly nodeNetRange: string;
  readonly testkitRange: string;
}

/** The description of the starting implementation, used when none is given. */
export const DEFAULT_DESCRIPTION = 'length-prefixed messages over TCP';

const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const TRANSPORT_NAME = /^[A-Z][A-Za-z0-9]*$/;
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
// Characters that Handlebars escapes or that would break the JSON, Markdown or TS they land in.
const UNSAFE_TEXT = /[&<>"'`=\\\n\r{}]/;

/** Why `name` cannot name an adapter, or `undefined` when it can. */
export function checkName(name: string): string | undefined {
  if (!NAME.test(name)) return `"${name}" is not a kebab-case name (lowercase letters and digits, words joined by "-", starting with a letter)`;
  if (name.length > 50) return 'the name is longer than 50 characters';
  return undefined;
}

/** Why `name` cannot name a transport value, or `undefined` when it can. */
export function checkTransportName(name: string): string | undefined {
  return TRANSPORT_NAME.test(name) ? undefined : `"${name}" is not a PascalCase identifier (such as MyLink)`;
}

/** Why `name` is not a valid npm package name, or `undefined` when it is. */
export function checkPackageName(name: string): string | undefined {
  return PACKAGE_NAME.test(name) && name.length <= 214 ? undefined : `"${name}" is not a valid npm package name`;
}

/** Why `text` cannot be the description, or `undefined` when it can. */
export function checkDescription(text: string): string | undefined {
  if (text.trim().length === 0) return 'the description is empty';
  if (text.length > 200) return 'the description is longer than 200 characters';
  if (UNSAFE_TEXT.test(text)) return 'the description may not contain & < > " \' ` = \\ { } or line breaks';
  return undefined;
}

/** `my-link` gives `MyLink`. */
export function pascalCase(name: string): string {
  return name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** `MyLink` gives `myLinkAdapter`: adapter values are named after their transport, as `ipcAdapter`. */
export function adapterName(transportName: string): string {
  return `${transportName.charAt(0).toLowerCase()}${transportName.slice(1)}Adapter`;
}

/**
 * Checks the answers and computes every template value. `defaultScope` is the prefix of the
 * default package name: `@message-io/` in this repository, `message-io-` for third parties.
 * @throws Error naming the first bad answer.
 */
export function templateData(answers: AdapterAnswers, ranges: Ranges, defaultScope: string): TemplateData {
  const name = answers.name;
  const description = (answers.description ?? DEFAULT_DESCRIPTION).trim().replace(/\.$/, '');
  const packageName = answers.packageName ?? `${defaultScope}${name}`;
  const transportName = answers.transportName ?? pascalCase(name);
  const problem = checkName(name) ?? checkDescription(description) ?? checkPackageName(packageName) ?? checkTransportName(transportName);
  if (problem !== undefined) throw new Error(problem);
  return { name, directory: name, packageName, transportName, adapterName: adapterName(transportName), description, keyword: name, ...ranges };
}
