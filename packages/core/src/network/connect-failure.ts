/**
 * Why a connection could not be made, in words, for the message of a `ConnectError`: the system's
 * error code with what it means (`ECONNREFUSED (connection refused)`), or what the adapter said.
 */

/** What the system error codes met while connecting mean. */
const MEANINGS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the peer',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  ENETDOWN: 'network is down',
  ENOTFOUND: 'the name does not resolve',
  EAI_AGAIN: 'the name could not be resolved for now',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EADDRINUSE: 'the local address is in use',
  EADDRNOTAVAIL: 'the address is not available',
  ENOENT: 'no such file',
  ENOTSOCK: 'not a socket',
  EPIPE: 'broken pipe',
};

/**
 * The reason a connection failed, from the error its adapter reported or threw (`undefined`: the
 * peer closed it cleanly). Never empty.
 */
export function connectFailureReason(error: unknown): string {
  if (error === undefined) return 'the peer closed the connection before it was ready';
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, message: text, name } = error as { code?: unknown; message?: unknown; name?: unknown };
  const message = typeof text === 'string' ? text.trim() : '';
  if (typeof code === 'string' && code !== '') {
    const meaning = MEANINGS[code];
    if (meaning !== undefined) return `${code} (${meaning})`;
    // A system error's message repeats the code and the address ("connect EXYZ 127.0.0.1:1").
    if (message === '' || message.includes(code)) return code;
    return `${code} (${message})`;
  }
  if (message !== '') return message;
  return typeof name === 'string' && name !== '' ? name : 'no reason given';
}
