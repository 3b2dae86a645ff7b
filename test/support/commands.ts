// Runs the commands of the release and packaging tests (npm, git, tar, node, tsc) as child
// processes, each killed by its PID (SIGKILL) once its time is up.
import { execFile } from 'node:child_process';

/**
 * This process's environment without the settings of the vitest and npm that run it (`VITEST*`,
 * `npm_*`, `NODE_OPTIONS`, `NODE_PATH`, `INIT_CWD`, `TEST`), so that an npm or a vitest started
 * from a test starts as a user's would; `extra` is added after.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const kept = Object.entries(process.env).filter(([key]) => !/^(VITEST|npm_|NODE_OPTIONS$|NODE_PATH$|INIT_CWD$|TEST$)/i.test(key));
  return { ...Object.fromEntries(kept), ...extra };
}

/** What a command printed: its standard output alone, and both outputs together without colours. */
export interface Printed {
  readonly stdout: string;
  readonly output: string;
}

/** How to run a command: where, for how long at most (ms), with which environment (default {@link cleanEnv}). */
export interface RunOptions {
  readonly cwd: string;
  readonly timeout: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `command`; resolves with what it printed, rejects with all of it when it fails or runs out of time. */
export function run(command: string, args: readonly string[], { cwd, timeout, env = cleanEnv() }: RunOptions): Promise<Printed> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout, killSignal: 'SIGKILL', env, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the colour codes removed here
      const output = `${stdout}\n${stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
      if (error) reject(new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${error.message}\n${output}`));
      else resolve({ stdout, output });
    });
  });
}
