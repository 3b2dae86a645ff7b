// Starting benchmark processes that hold thousands of connections: the file limit raised for them.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/** File descriptors a Node process needs besides its connections. */
export const FD_MARGIN = 256;

/** Runs `<program> <args>` (`node` when `program` is omitted) under /bin/sh with the file limit raised to `nofile` (or the hard limit). */
export function spawnRaised(nofile: number, args: string[], program: string = process.execPath): ChildProcess {
  const script = `ulimit -n ${nofile} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"`;
  return spawn('/bin/sh', ['-c', script, program, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
}

/** The file limit a child started by {@link spawnRaised} gets. */
export function raisedLimit(nofile: number): number {
  const script = `ulimit -n ${nofile} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; ulimit -n`;
  const text = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' }).trim();
  return text === 'unlimited' ? Infinity : Number(text);
}
