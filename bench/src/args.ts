// Command-line options of the benchmark scripts.

/** The value after `--<name>` on the command line, if the option is there. */
export function argValue(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
}
