import { formatSocketAddr, InvalidAddressError, isUrlAddr, type RemoteAddr } from '@message-io/core/adapter';
import { DEFAULT_PATH } from './defaults.js';

/** The URL a client dials: `ws://{addr}/message-io-default` for a socket address, else the URL itself. */
export function dialUrl(addr: RemoteAddr): string {
  if (!isUrlAddr(addr)) return `ws://${formatSocketAddr(addr)}${DEFAULT_PATH}`;
  const url = new URL(addr.url);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new InvalidAddressError(`Ws connects to ws:// or wss:// URLs or host:port addresses, not ${url.protocol}// (${addr.url})`);
  }
  if (url.hash !== '') throw new InvalidAddressError(`a WebSocket URL has no fragment (#): ${addr.url}`);
  return url.href;
}
