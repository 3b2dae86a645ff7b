import { resolve } from 'node:path';
import { InvalidAddressError, isUrlAddr, type RemoteAddr } from '@message-io/core/adapter';

/** The URL scheme of Ipc addresses. */
export const SCHEME = 'ipc';

/** Longest socket path in bytes (the system's `sun_path` less its final NUL): 107 on Linux, 103 elsewhere. */
export const MAX_PATH_BYTES: number = process.platform === 'linux' ? 107 : 103;

/** Where an Ipc socket lives. */
export interface IpcPath {
  /** What Node's `net` takes: a file path, or `\0name` for a Linux abstract name. */
  readonly path: string;
  /** True for an abstract name (no file; it vanishes with the last socket). */
  readonly abstract: boolean;
  /** The address as a URL: `ipc:///tmp/app.sock`, or `ipc://name` for an abstract name. */
  readonly url: string;
}

function check(path: string, shown: string): void {
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) {
    throw new InvalidAddressError(`the socket path of ${shown} is longer than ${MAX_PATH_BYTES} bytes`);
  }
  if (path.includes('\0', 1)) throw new InvalidAddressError(`the socket path of ${shown} contains a NUL byte`);
}

function abstractPath(name: string, shown: string): IpcPath {
  if (process.platform !== 'linux') throw new InvalidAddressError(`abstract socket names exist on Linux only (${shown})`);
  if (name.length === 0) throw new InvalidAddressError(`an empty abstract name (${shown})`);
  const path = `\0${name}`;
  check(path, shown);
  return { path, abstract: true, url: new URL(`${SCHEME}://${encodeURIComponent(name)}`).href };
}

function filePath(absolute: string, shown: string): IpcPath {
  check(absolute, shown);
  const url = new URL(`${SCHEME}://${absolute.split('/').map(encodeURIComponent).join('/')}`);
  return { path: absolute, abstract: false, url: url.href };
}

function decode(text: string, shown: string): string {
  try {
    return decodeURIComponent(text);
  } catch (cause) {
    throw new InvalidAddressError(`a malformed percent-encoding in ${shown}`, { cause });
  }
}

/**
 * Reads an Ipc address: `ipc:///absolute/path.sock` for a socket file, `ipc://@name` (or
 * `ipc://name`) for a Linux abstract name. Host-and-port addresses, other URLs, a host together
 * with a path, queries, fragments and paths over {@link MAX_PATH_BYTES} are refused.
 * @throws InvalidAddressError
 */
export function parseIpcAddr(addr: RemoteAddr): IpcPath {
  if (!isUrlAddr(addr)) {
    throw new InvalidAddressError(`Ipc takes ipc:///path/to.sock or ipc://@name addresses, not host:port (${addr.host}:${addr.port})`);
  }
  const url = new URL(addr.url);
  if (url.protocol !== `${SCHEME}:`) throw new InvalidAddressError(`Ipc takes ipc: URLs, not ${url.protocol} (${addr.url})`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '' || url.port !== '') {
    throw new InvalidAddressError(`an Ipc address has no query, fragment, user or port (${addr.url})`);
  }
  if (url.host !== '') {
    if (url.pathname !== '') {
      throw new InvalidAddressError(`write a socket file as ipc:///path (three slashes) and an abstract name as ipc://@name, without a slash (${addr.url})`);
    }
    return abstractPath(decode(url.host, addr.url), addr.url);
  }
  if (!url.pathname.startsWith('/')) throw new InvalidAddressError(`an Ipc address needs an absolute path or a name (${addr.url})`);
  return filePath(decode(url.pathname, addr.url), addr.url);
}

/**
 * The Ipc address of a socket file (a relative path is resolved against the current folder) or,
 * given `@name`, of a Linux abstract name: `ipcUrl('/tmp/app.sock')` is `'ipc:///tmp/app.sock'`.
 * @throws InvalidAddressError for an empty name or a path too long for a socket.
 */
export function ipcUrl(pathOrName: string): string {
  if (pathOrName.startsWith('@')) return abstractPath(pathOrName.slice(1), pathOrName).url;
  return filePath(resolve(pathOrName), pathOrName).url;
}
