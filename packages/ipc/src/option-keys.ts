import { commonOptionKeys, connectionLimitKeys, reconnectKeys } from '@message-io/core/adapter';
import type { IpcConnectOptions, IpcListenOptions } from './options.js';

// Typed against the option interfaces: an option added to one of them without being listed here
// does not compile, so the runtime lists cannot drift from the types.

/** The options `connect` takes with Ipc. */
export const ipcConnectKeys: Readonly<Record<keyof IpcConnectOptions, true>> = {
  ...commonOptionKeys,
  ...reconnectKeys,
  maxMessageSize: true,
  idleTimeout: true,
  messageTimeout: true,
};

/** The options `listen` takes with Ipc. */
export const ipcListenKeys: Readonly<Record<keyof IpcListenOptions, true>> = {
  ...commonOptionKeys,
  ...connectionLimitKeys,
  maxMessageSize: true,
  idleTimeout: true,
  messageTimeout: true,
  backlog: true,
  readableAll: true,
  writableAll: true,
};
