// Runs example programs as child processes, the way a user runs them, for the examples' tests.
// Every child is killed by its PID in `stopAll()` (call it in `finally` or `afterEach`).
import { spawn, type ChildProcess } from 'node:child_process';

/** A running program and what it printed so far (stdout and stderr together). */
export interface Program {
  readonly child: ChildProcess;
  /** Everything printed so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects after `ms` or when the program exits first. */
  waitFor(pattern: string | RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal's name) once the program exits. */
  readonly exit: Promise<number | string | null>;
}

const running = new Set<ChildProcess>();

/** Starts `node <script> ...args` with piped stdio. */
export function start(script: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Program {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  const exit = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = true;
      running.delete(child);
      resolve(code ?? signal);
    }),
  );
  const waitFor = async (pattern: string | RegExp, ms = 10_000): Promise<RegExpMatchArray> => {
    const regex = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    const deadline = Date.now() + ms;
    for (;;) {
      const match = out.match(regex);
      if (match !== null) return match;
      if (exited) throw new Error(`exited before printing ${regex}; output:\n${out}`);
      if (Date.now() > deadline) throw new Error(`no ${regex} within ${ms} ms; output:\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, output: () => out, waitFor, exit };
}

/** Resolves with the exit code, or rejects when the program is still running after `ms`. */
export async function exitWithin(program: Program, ms: number): Promise<number | string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms; output:\n${program.output()}`)), ms);
  });
  try {
    return await Promise.race([program.exit, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Kills every program still running, by PID. */
export function stopAll(): void {
  for (const child of running) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // it exited in the meantime
    }
  }
  running.clear();
}

/** The ```ts blocks of a Markdown file. */
export function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}
