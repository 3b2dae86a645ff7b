// Programs that some tests drive as peers and that npm does not install: socat, nc, Python (with or
// without its websockets package), Chromium, openssl, ss, nats-server, and `ip netns` (as root). Outside CI a test that needs a missing
// peer is skipped with a printed reason; in CI (`CI` set, as `.ci/run` does) it runs, and
// `requirePeers` fails it with a message that names the peer and the Debian package to install.
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** Debian's Python (it sees Debian's packages); else whatever `python3` is on the PATH. */
export const PYTHON: string = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Where Debian's `chromium` package puts the browser; `CHROMIUM_PATH` overrides it. */
export const CHROMIUM: string = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's NATS server (in /usr/sbin, often not on a user's PATH); `NATS_SERVER_PATH` overrides it. */
export const NATS_SERVER: string = process.env.NATS_SERVER_PATH ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');

/** A program a test drives: how to find it, and the Debian package that provides it. */
interface PeerInfo {
  /** The Debian package to install. */
  readonly debian: string;
  /** True when the program is there and usable. */
  readonly present: () => boolean;
}

/** An executable named `name` in a folder of the PATH. */
function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/** True when `command args` runs and exits 0 within 5 s. */
function runs(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 5000 }).status === 0;
}

/**
 * True when this process may make network namespaces (root, and `ip` from iproute2): tried once
 * with a namespace of its own, deleted at once. A test that needs one says "netns" missing
 * otherwise, and is skipped outside CI.
 */
function canMakeNetns(): boolean {
  if (process.getuid?.() !== 0 || !onPath('ip')) return false;
  const name = `mio-probe-${process.pid}`;
  if (!runs('ip', ['netns', 'add', name])) return false;
  runs('ip', ['netns', 'del', name]);
  return true;
}

const PEERS = {
  socat: { debian: 'socat', present: () => onPath('socat') },
  nc: { debian: 'netcat-openbsd', present: () => onPath('nc') },
  python3: { debian: 'python3', present: () => runs(PYTHON, ['-c', '']) },
  'python3-websockets': { debian: 'python3-websockets', present: () => runs('/usr/bin/python3', ['-c', 'import websockets']) },
  chromium: { debian: 'chromium', present: () => existsSync(CHROMIUM) },
  openssl: { debian: 'openssl', present: () => runs('openssl', ['version']) },
  ss: { debian: 'iproute2', present: () => onPath('ss') },
  'nats-server': { debian: 'nats-server', present: () => runs(NATS_SERVER, ['--version']) },
  netns: { debian: 'iproute2', present: canMakeNetns },
} satisfies Record<string, PeerInfo>;

/** The name of a peer program: `nc` is OpenBSD netcat, `python3-websockets` is Debian's Python with its websockets package. */
export type PeerName = keyof typeof PEERS;

/** The Debian packages of every peer, for one `apt-get install` line. */
export const PEER_PACKAGES: readonly string[] = [...new Set(Object.values(PEERS).map((p) => p.debian))];

const known = new Map<PeerName, boolean>();
const warned = new Set<string>();

/** True when `CI` is set to anything but empty, `0` or `false`. */
export function inCi(): boolean {
  const value = (process.env.CI ?? '').trim().toLowerCase();
  return value !== '' && value !== '0' && value !== 'false';
}

/** The peers of `names` that are missing on this machine (checked once per name). */
export function missingPeers(...names: PeerName[]): PeerName[] {
  return names.filter((name) => {
    if (!known.has(name)) known.set(name, PEERS[name].present());
    return !known.get(name);
  });
}

/** One sentence naming the missing peers and the command that installs them. */
function howToInstall(missing: PeerName[]): string {
  const packages = [...new Set(missing.map((name) => PEERS[name].debian))];
  const what = missing.map((name) => `${name} (Debian package ${PEERS[name].debian})`).join(', ');
  const root = missing.includes('netns') ? ' (network namespaces also need root)' : '';
  return `${what} not found${root}; install with: sudo apt-get install -y ${packages.join(' ')}`;
}

/**
 * For `it.skipIf` / `describe.skipIf`: true when a test that needs `names` must be skipped, that is
 * outside CI with one of them missing; then prints why, once per reason. In CI always false: the
 * test runs, and `requirePeers` fails it.
 */
export function skipWithout(...names: PeerName[]): boolean {
  if (inCi()) return false;
  const missing = missingPeers(...names);
  if (missing.length === 0) return false;
  const reason = `skipped: ${howToInstall(missing)} (with CI set, these tests run and fail instead)`;
  if (!warned.has(reason)) {
    warned.add(reason);
    console.warn(reason);
  }
  return true;
}

/** Throws an error that names the missing peers and their Debian packages, when one of `names` is missing. */
export function requirePeers(...names: PeerName[]): void {
  const missing = missingPeers(...names);
  if (missing.length > 0) throw new Error(`this test drives a program npm does not install: ${howToInstall(missing)}`);
}
