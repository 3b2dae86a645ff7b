/**
 * @message-io/ipc: the Ipc transport for message-io (framed messages over Unix domain sockets, for
 * local inter-process messaging), its option types, and `ipcUrl` to write its addresses.
 */
export { Ipc } from './ipc.js';
export { ipcUrl, MAX_PATH_BYTES } from './address.js';
export type { IpcConnectOptions, IpcListenOptions } from './options.js';
