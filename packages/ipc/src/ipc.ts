import type { Transport } from '@message-io/core/adapter';
import { SCHEME } from './address.js';
import { ipcAdapter } from './adapter.js';
import { DEFAULT_MAX_MESSAGE_SIZE, type IpcConnectOptions, type IpcListenOptions } from './options.js';

/**
 * Ipc: framed messages over Unix domain sockets, for local inter-process messaging. Addresses are
 * URLs: `ipc:///path/to/app.sock` for a socket file, `ipc://@name` for a Linux abstract name.
 *
 * Each message travels behind a 4-byte length prefix and arrives whole and in order.
 * Connection-oriented, packet-based, 64 MiB per message by default (`maxMessageSize` option).
 */
export const Ipc: Transport<IpcConnectOptions, IpcListenOptions> = {
  name: 'Ipc',
  connectionOriented: true,
  packetBased: true,
  maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
  urlSchemes: [SCHEME],
  adapter: ipcAdapter,
};
