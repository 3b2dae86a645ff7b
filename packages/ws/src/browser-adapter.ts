import {
  InvalidAddressError,
  InvalidOptionError,
  optionReader,
  refuseUnknownOptions,
  UnsupportedError,
  type Adapter,
  type Listening,
  type RemoteAddr,
  type RemoteContext,
} from '@message-io/core/adapter';
import { readMaxMessageSize } from './message-size.js';
import { BrowserWsRemote, type NativeWebSocketConstructor } from './browser-remote.js';
import { DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_PAYLOAD } from './defaults.js';
import { dialUrl } from './dial-url.js';
import { wsConnectKeys, wsListenKeys } from './option-keys.js';
import { resolveProtocols } from './protocols.js';
import type { WsConnectOptions, WsListenOptions } from './options.js';

const MAX_DELAY = 2 ** 31 - 1;
const MAX_SIZE = 2 ** 32;
/** Options that only Node can honour: a page cannot set headers, choose CAs or client certificates, or send pings. */
const NODE_ONLY = ['headers', 'ca', 'servername', 'rejectUnauthorized', 'cert', 'key', 'passphrase'] as const;

/**
 * Validates the options of `connect` in a browser and returns the largest message (`maxMessageSize` or `maxPayload`). `maxFrameSize`,
 * `closeTimeout` and `perMessageDeflate` are checked and left to the browser, which frames,
 * compresses and closes on its own.
 * @throws InvalidOptionError
 */
export function resolveBrowserMaxPayload(options: WsConnectOptions | undefined, context: RemoteContext): number {
  for (const key of NODE_ONLY) {
    if (optionReader.own(options, key) !== undefined) {
      throw new InvalidOptionError(`option ${key} is not available in a browser (the browser sets headers and checks certificates itself)`);
    }
  }
  const heartbeat = optionReader.integer(options, 'heartbeatInterval', 0, 0, MAX_DELAY);
  optionReader.integer(options, 'heartbeatTimeout', 1, 1, MAX_DELAY);
  if (heartbeat !== 0) throw new InvalidOptionError('option heartbeatInterval is not available in a browser: a page cannot send WebSocket pings');
  if (optionReader.integer(options, 'messageTimeout', 0, 0, MAX_DELAY) !== 0) {
    throw new InvalidOptionError('option messageTimeout is not available in a browser: the browser hands a page whole messages only');
  }
  optionReader.integer(options, 'maxFrameSize', DEFAULT_MAX_FRAME_SIZE, 1, MAX_SIZE);
  optionReader.integer(options, 'closeTimeout', Math.max(context.linger, 1), 1, MAX_DELAY);
  optionReader.boolean(options, 'perMessageDeflate', false);
  return readMaxMessageSize(options, DEFAULT_MAX_PAYLOAD, MAX_SIZE);
}

function nativeWebSocket(): NativeWebSocketConstructor {
  const native = (globalThis as { WebSocket?: NativeWebSocketConstructor }).WebSocket;
  if (typeof native !== 'function') throw new UnsupportedError('Ws needs a global WebSocket, and this runtime has none');
  return native;
}

/** The Ws adapter of the browser build: clients on the native `WebSocket`; no listeners. */
export const browserWsAdapter: Adapter<WsConnectOptions, WsListenOptions> = {
  connect(addr: RemoteAddr, options: WsConnectOptions | undefined, context: RemoteContext): BrowserWsRemote {
    refuseUnknownOptions(options, wsConnectKeys, 'Ws connect');
    const NativeWebSocket = nativeWebSocket();
    const maxPayload = resolveBrowserMaxPayload(options, context);
    const protocols = resolveProtocols(options);
    const url = dialUrl(addr);
    try {
      const ws = protocols === undefined ? new NativeWebSocket(url) : new NativeWebSocket(url, [...protocols]);
      return new BrowserWsRemote(ws, maxPayload, context.maxBufferedBytes);
    } catch (cause) {
      // A SyntaxError for the URL, or a SecurityError for a blocked port or ws:// from an https page.
      throw new InvalidAddressError(`cannot dial ${url}: ${(cause as Error).message}`, { cause });
    }
  },

  listen(_addr: RemoteAddr, options: WsListenOptions | undefined): Promise<Listening> {
    // Options are checked as on Node, so that a mistake shows the same way everywhere.
    try {
      refuseUnknownOptions(options, wsListenKeys, 'Ws listen');
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.reject(new UnsupportedError('Ws cannot listen in a browser: a page can only connect. Run the listener in Node.js and connect to it'));
  },
};
