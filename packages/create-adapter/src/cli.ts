#!/usr/bin/env node
// `npm create @message-io/adapter`: asks what is missing (unless --yes or not on a terminal),
// writes the package, and says what to run next.
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseCliArgs, USAGE, type CliArgs } from './args.js';
import { checkDescription, checkName, checkPackageName, DEFAULT_DESCRIPTION, pascalCase } from './names.js';
import { COMMUNITY_PREFIX, scaffold } from './scaffold.js';

type Ask = (question: string, fallback: string, check: (answer: string) => string | undefined) => Promise<string>;

/**
 * Asks on the terminal until the answer passes `check`; an empty answer takes `fallback`. Lines are
 * read through the interface's iterator, which keeps lines typed (or pasted) ahead of a question.
 */
function terminalAsk(): { ask: Ask; close: () => void } {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const lines = rl[Symbol.asyncIterator]();
  const ask: Ask = async (question, fallback, check) => {
    for (;;) {
      rl.setPrompt(`${question}${fallback ? ` (${fallback})` : ''}: `);
      rl.prompt();
      const line = await lines.next();
      if (line.done === true) throw new Error('the input ended before every question was answered');
      const answer = String(line.value).trim() || fallback;
      const problem = check(answer);
      if (problem === undefined) return answer;
      console.log(`  ${problem}`);
    }
  };
  return { ask, close: () => rl.close() };
}

/** The folder where the user ran `npm create` (npm runs us elsewhere but says where in INIT_CWD). */
function userCwd(): string {
  return process.env.INIT_CWD ?? process.cwd();
}

function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

/** The answers, complete: from the command line, then the terminal, then the defaults. */
interface Chosen extends CliArgs {
  readonly name: string;
  readonly description: string;
}

async function answers(args: CliArgs): Promise<Chosen> {
  const interactive = !args.yes && process.stdin.isTTY === true;
  if (!interactive) {
    if (args.name === undefined) throw new Error('a name is needed: npm create @message-io/adapter my-link -- --yes');
    return { ...args, name: args.name, description: args.description ?? DEFAULT_DESCRIPTION };
  }
  const { ask, close } = terminalAsk();
  try {
    const name = args.name ?? (await ask('Name (kebab-case)', '', (a) => checkName(a)));
    const description = args.description ?? (await ask('Description', DEFAULT_DESCRIPTION, checkDescription));
    const packageName = args.packageName ?? (await ask('npm package name', `${COMMUNITY_PREFIX}${name}`, checkPackageName));
    return { ...args, name, description, packageName, transportName: args.transportName ?? pascalCase(name) };
  } finally {
    close();
  }
}

async function main(argv: string[]): Promise<void> {
  const args = parseCliArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const chosen = await answers(args);
  const cwd = userCwd();
  const dir = chosen.dir !== undefined ? resolve(cwd, chosen.dir) : isEmptyDir(cwd) ? cwd : join(cwd, chosen.name);
  const result = scaffold({
    name: chosen.name,
    description: chosen.description,
    ...(chosen.packageName !== undefined && { packageName: chosen.packageName }),
    ...(chosen.transportName !== undefined && { transportName: chosen.transportName }),
    dir,
    force: chosen.force,
  });
  const where = relative(cwd, result.dir) || '.';
  console.log(`Wrote ${result.data.packageName} (transport ${result.data.transportName}) in ${where}: ${result.files.length} files.`);
  console.log(`\nNext:\n${where === '.' ? '' : `  cd ${where}\n`}  npm install\n  npm run build\n  npm test\n`);
  console.log('Then make src/adapter.ts and src/remote.ts speak your protocol; the conformance test tells you what still differs.');
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`create-adapter: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
