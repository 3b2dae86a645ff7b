import { createServer, Socket } from 'node:net';
import {
  optionReader,
  refuseUnknownOptions,
  type Adapter,
  type ListenContext,
  type Listening,
  type RemoteAddr,
  type RemoteContext,
} from '@message-io/core/adapter';
import { parseIpcAddr } from './address.js';
import { bind } from './bind.js';
import { IpcLocal } from './listener.js';
import { ipcConnectKeys, ipcListenKeys } from './option-keys.js';
import {
  resolveBacklog,
  resolveIdleTimeout,
  resolveMaxMessageSize,
  resolveMessageTimeout,
  watchIdle,
  type IpcConnectOptions,
  type IpcListenOptions,
} from './options.js';
import { IpcRemote } from './remote.js';

/**
 * A socket's high-water mark: at most the connection's `maxBufferedBytes`, so that a queue that
 * reaches the cap has made `write` return false and a `'drain'` (our `notify('writable')`) follows.
 */
function highWaterMark(context: RemoteContext): number {
  return Math.min(context.maxBufferedBytes, 64 * 1024);
}

/** The Ipc adapter: length-prefixed messages over Unix domain sockets. */
export const ipcAdapter: Adapter<IpcConnectOptions, IpcListenOptions> = {
  /**
   * #2. Called by the core on `network().connect()`. Validate the options and the address (throw
   * `InvalidOptionError`, `InvalidAddressError`), start connecting and return the Remote at once.
   * A missing or dead socket (`ENOENT`, `ECONNREFUSED`) is reported by the socket's close.
   */
  connect(addr: RemoteAddr, options: IpcConnectOptions | undefined, context: RemoteContext) {
    const target = parseIpcAddr(addr);
    refuseUnknownOptions(options, ipcConnectKeys, 'Ipc connect');
    const maxMessageSize = resolveMaxMessageSize(options);
    const idleTimeout = resolveIdleTimeout(options);
    const messageTimeout = resolveMessageTimeout(options);
    // Node forwards stream options to the socket, though its types omit them.
    const socket = new Socket({ writableHighWaterMark: highWaterMark(context) } as ConstructorParameters<typeof Socket>[0]);
    const remote = new IpcRemote(socket, maxMessageSize, context.linger, messageTimeout);
    socket.connect({ path: target.path });
    watchIdle(socket, idleTimeout);
    return remote;
  },

  /**
   * #7. Called by the core on `network().listen()`. Validate the options, bind (removing a stale
   * socket file first), and resolve with the Local and the URL listened on. Reject with
   * `ListenError` when binding fails, with the system's error as `cause`.
   */
  async listen(addr: RemoteAddr, options: IpcListenOptions | undefined, context: ListenContext): Promise<Listening> {
    const where = parseIpcAddr(addr);
    refuseUnknownOptions(options, ipcListenKeys, 'Ipc listen');
    const maxMessageSize = resolveMaxMessageSize(options);
    const idleTimeout = resolveIdleTimeout(options);
    const messageTimeout = resolveMessageTimeout(options);
    const settings = {
      backlog: resolveBacklog(options),
      readableAll: optionReader.boolean(options, 'readableAll', false),
      writableAll: optionReader.boolean(options, 'writableAll', false),
    };
    const server = createServer({ highWaterMark: highWaterMark(context) });
    // Past maxConnections Node closes a new connection before it builds a socket for it.
    const maxConnections = context.maxConnections ?? Infinity;
    if (maxConnections !== Infinity) server.maxConnections = maxConnections;
    await bind(server, where, settings);
    // Unix socket clients have no address of their own: an accepted connection is known by the listener's.
    const peer = { url: where.url };
    const local = new IpcLocal(
      server,
      (socket) => {
        watchIdle(socket, idleTimeout);
        return { remote: new IpcRemote(socket, maxMessageSize, context.linger, messageTimeout), addr: peer };
      },
      highWaterMark(context),
    );
    return { local, addr: peer };
  },
};
