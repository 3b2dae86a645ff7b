import { InvalidOptionError, optionReader } from '@message-io/core/adapter';
import type { WsConnectOptions } from './options.js';

// Shared by the Node and the browser builds (this file imports no Node module).

/** A subprotocol name as RFC 6455 allows it: an HTTP token (visible ASCII, no separator). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Reads the connect option `protocols`: a copy of the list, or `undefined` when absent.
 * @throws InvalidOptionError for anything but an array of distinct tokens
 */
export function resolveProtocols(options: WsConnectOptions | undefined): readonly string[] | undefined {
  const protocols = optionReader.own(options, 'protocols');
  if (protocols === undefined) return undefined;
  const valid = Array.isArray(protocols) && protocols.every((p) => typeof p === 'string' && TOKEN.test(p)) && new Set(protocols).size === protocols.length;
  if (!valid) throw new InvalidOptionError('option protocols must be an array of distinct subprotocol names (HTTP tokens, such as chat.v1)');
  return [...(protocols as string[])];
}
