import { lstat, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { ListenError } from '@message-io/core/adapter';
import type { IpcPath } from './address.js';

/** How long the probe of an existing socket file may take before it counts as alive. */
const PROBE_TIMEOUT = 1_000;

/** Settings of `server.listen` besides the path. */
export interface BindSettings {
  readonly backlog: number;
  readonly readableAll: boolean;
  readonly writableAll: boolean;
}

function listenOnce(server: Server, path: string, settings: BindSettings): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path, ...settings }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** True when a process accepts connections on the socket file at `path`. */
function isAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const done = (alive: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(true), PROBE_TIMEOUT);
    socket.once('connect', () => done(true));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT'));
  });
}

/**
 * Removes the socket file at `path` when it is stale (left by a process that died without
 * closing it). Returns false, touching nothing, when the file is not a socket or a process listens.
 */
async function removeIfStale(path: string): Promise<boolean> {
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(path);
  } catch {
    return true; // gone meanwhile: try again
  }
  if (!stats.isSocket() || (await isAlive(path))) return false;
  await unlink(path).catch(() => undefined);
  return true;
}

function listenError(where: IpcPath, cause: unknown, why?: string): ListenError {
  const message = why ?? (cause as Error).message;
  return new ListenError(`cannot listen on ${where.url}: ${message}`, { cause });
}

/**
 * Listens on `where`. A socket file left by a dead process is removed and the bind retried once;
 * a file that is not a socket, or a socket a live process listens on, gives `ListenError`
 * (`EADDRINUSE` as `cause`).
 */
export async function bind(server: Server, where: IpcPath, settings: BindSettings): Promise<void> {
  try {
    await listenOnce(server, where.path, settings);
    return;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'EADDRINUSE' || where.abstract) throw listenError(where, cause);
    if (!(await removeIfStale(where.path))) {
      throw listenError(where, cause, 'the path is taken by a live listener or by a file that is not a socket');
    }
  }
  try {
    await listenOnce(server, where.path, settings);
  } catch (cause) {
    throw listenError(where, cause);
  }
}
