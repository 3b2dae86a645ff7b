import { InvalidAddressError, isUrlAddr, type RemoteAddr } from '@message-io/core/adapter';

/** The port of a NATS server when the URL gives none. */
export const DEFAULT_PORT = 4222;

/** A NATS address taken apart: the server, the subject, and credentials given in the URL. */
export interface NatsTarget {
  /** `host:port` (`[v6]:port`) of the server, for the client's `servers`. */
  readonly server: string;
  /** `nats://host:port/`: the start of every address of this server, without credentials. */
  readonly base: string;
  /** The subject (decoded from the URL's path). */
  readonly subject: string;
  readonly user: string | undefined;
  readonly pass: string | undefined;
}

/** One token of a subject: printable, no space, no dot. */
const TOKEN = /^[^\s.]+$/;

/**
 * Checks a subject: tokens separated by dots, none empty, no white space. A subject to publish to
 * has no wildcard; one to listen on may have `*` tokens and a last `>` token.
 */
export function checkSubject(subject: string, wildcards: boolean, input: string): void {
  const tokens = subject.split('.');
  const last = tokens.length - 1;
  tokens.forEach((token, i) => {
    if (!TOKEN.test(token)) throw new InvalidAddressError(`invalid NATS subject ${JSON.stringify(subject)} in ${input}`);
    if ((token === '*' || token === '>') && !wildcards) {
      throw new InvalidAddressError(`cannot send to a wildcard subject (${JSON.stringify(subject)} in ${input}); listen on it instead`);
    }
    if (token === '>' && i !== last) throw new InvalidAddressError(`'>' must be the last token of a subject (${input})`);
  });
}

/**
 * Reads `nats://[user:pass@]host[:port]/subject` (port 4222 when absent).
 * @throws InvalidAddressError for a socket address, another scheme, or a missing or bad subject.
 */
export function parseTarget(addr: RemoteAddr, wildcards: boolean): NatsTarget {
  if (!isUrlAddr(addr)) {
    throw new InvalidAddressError(`Nats takes URLs such as nats://127.0.0.1:4222/orders, not ${addr.host}:${addr.port}`);
  }
  const url = new URL(addr.url);
  if (url.protocol !== 'nats:') throw new InvalidAddressError(`Nats takes nats:// URLs, not ${url.protocol}// (${addr.url})`);
  if (url.hostname === '') throw new InvalidAddressError(`no server in ${addr.url}`);
  if (url.search !== '' || url.hash !== '') throw new InvalidAddressError(`a Nats address has no query or fragment (${addr.url})`);
  let subject: string;
  try {
    subject = decodeURIComponent(url.pathname.slice(1));
  } catch (cause) {
    throw new InvalidAddressError(`invalid subject in ${addr.url}`, { cause });
  }
  if (subject === '') throw new InvalidAddressError(`no subject in ${addr.url}: write nats://host:port/subject`);
  const shown = `nats://${url.host}${url.pathname}`;
  checkSubject(subject, wildcards, shown);
  const port = url.port === '' ? DEFAULT_PORT : Number(url.port);
  const server = `${url.hostname}:${port}`;
  return {
    server,
    base: `nats://${server}/`,
    subject,
    user: url.username === '' ? undefined : decodeURIComponent(url.username),
    pass: url.password === '' ? undefined : decodeURIComponent(url.password),
  };
}

/** Characters a subject keeps as they are in a URL's path: the rest is percent-encoded. */
const PLAIN = /^[A-Za-z0-9_.\-$:*+=!~,;@&'()]*$/;

/** Any one character outside {@link PLAIN}. */
const NOT_PLAIN = /[^A-Za-z0-9_.\-$:*+=!~,;@&'()]/gu;

/**
 * The address of `subject` on the server of `base`, canonical (as `new URL().href` writes it), so
 * that one subject always makes the same text: an inbox name as it is, other characters encoded.
 */
export function subjectUrl(base: string, subject: string): string {
  if (PLAIN.test(subject)) return base + subject;
  return new URL(base + subject.replace(NOT_PLAIN, (c) => encodeURIComponent(c))).href;
}

/**
 * The subject of an address made by {@link subjectUrl} for the server of `base`, or `undefined`
 * when the address is of another server.
 */
export function subjectOf(base: string, url: string): string | undefined {
  if (!url.startsWith(base)) return undefined;
  const path = url.slice(base.length);
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}
