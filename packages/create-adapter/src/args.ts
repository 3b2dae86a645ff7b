import { parseArgs } from 'node:util';

/** The command line of `create-adapter`, parsed. */
export interface CliArgs {
  readonly name: string | undefined;
  readonly dir: string | undefined;
  readonly packageName: string | undefined;
  readonly transportName: string | undefined;
  readonly description: string | undefined;
  readonly yes: boolean;
  readonly force: boolean;
  readonly help: boolean;
}

/** The text of `--help`. */
export const USAGE = `Usage: npm create @message-io/adapter [name] -- [options]

Writes a message-io adapter package: the 8 adapter functions with a working starting
implementation (length-prefixed messages over TCP), its options, README, the conformance
test and a changesets set-up, ready to build, test and publish.

  name                       kebab-case name, such as my-link (asked when missing)
  --dir <path>               where to write (default: the current folder when it is empty,
                             else ./<name>)
  --package-name <name>      npm name (default: message-io-<name>)
  --transport-name <Name>    name of the transport value (default: <name> in PascalCase)
  --description <text>       one line for the README and package.json
  -y, --yes                  ask nothing: take the defaults of everything not given
  --force                    write into a folder that is not empty
  -h, --help                 show this text
`;

/** Parses `argv` (without the node and script paths). @throws TypeError for unknown or bad options. */
export function parseCliArgs(argv: string[]): CliArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      dir: { type: 'string' },
      'package-name': { type: 'string' },
      'transport-name': { type: 'string' },
      description: { type: 'string' },
      yes: { type: 'boolean', short: 'y', default: false },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (positionals.length > 1) throw new TypeError(`expected one name, got ${positionals.join(' ')}`);
  return {
    name: positionals[0],
    dir: values.dir,
    packageName: values['package-name'],
    transportName: values['transport-name'],
    description: values.description,
    yes: values.yes,
    force: values.force,
    help: values.help,
  };
}
