// Reading a benchmark child process's stdout line by line, as the runner and the scale section do.
import type { ChildProcess } from 'node:child_process';

/** A child speaking lines: `next(prefix)` resolves with the rest of the next line starting with `prefix`. */
export function lines(child: ChildProcess, name: string): { next: (prefix: string) => Promise<string> } {
  let buffer = '';
  const waiting: { prefix: string; resolve: (rest: string) => void; reject: (error: Error) => void }[] = [];
  let exited: Error | undefined;
  child.stdout!.on('data', (data: Buffer) => {
    buffer += data.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const at = waiting.findIndex((w) => line.startsWith(`${w.prefix} `));
      if (at >= 0) waiting.splice(at, 1)[0]!.resolve(line.slice(line.indexOf(' ') + 1));
    }
  });
  child.once('exit', (code, signal) => {
    exited = new Error(`the ${name} exited (${signal ?? `code ${code}`})`);
    for (const w of waiting.splice(0)) w.reject(exited);
  });
  return {
    next: (prefix) =>
      new Promise((resolve, reject) => {
        if (exited !== undefined) reject(exited);
        else waiting.push({ prefix, resolve, reject });
      }),
  };
}
