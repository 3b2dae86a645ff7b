import { Socket, type Server } from 'node:net';
import { takeOverSocket, type Acceptor, type Local, type LocalWatch } from '@message-io/core/adapter';
import type { SharedReceive } from './remote.js';

/** The peer address Node caches on a socket on the first read of `remoteAddress` (not in its types). */
interface CachedPeer {
  _peername?: unknown;
}

/**
 * Drops the peer address that reading `remoteAddress` made Node cache on the socket (an object
 * and a string, about 90 bytes a connection; memory per connection is a performance target). The
 * core keeps the address in the endpoint; nothing here reads it from the socket again, and if
 * Node did, it would just ask the OS once more.
 */
function forgetPeer(socket: Socket): void {
  (socket as Socket & CachedPeer)._peername = undefined;
}

/** The options of the socket that takes over an accepted one. */
export interface ReadingOptions {
  /** Node's `onread`: the buffer to read into, and what to call after each read. */
  readonly onread: SharedReceive;
  readonly writableHighWaterMark: number;
}

/**
 * Moves a just-accepted socket's stream into a new `Socket` that reads into `onread`'s buffer (core's
 * `takeOverSocket`: Node 20 offers `onread` to the sockets it builds from options, not to the ones a
 * server accepts). `accepted` must not have read yet: the server is made with `pauseOnConnect`.
 * Returns `undefined`, with `accepted` left as it was, if this Node's sockets are not built as
 * expected (design note 0008).
 */
export function readInto(accepted: Socket, options: ReadingOptions): Socket | undefined {
  // Node takes `handle` (and stream options) from a new socket's options, though its types omit them.
  return takeOverSocket(accepted, (handle) => new Socket({ handle, readable: true, writable: true, ...options } as ConstructorParameters<typeof Socket>[0]));
}

/** How a listener wraps each accepted socket for the core. */
export type Wrap = (socket: Socket, lent: boolean) => Parameters<Acceptor['remote']>[0];

/**
 * A Tcp or FramedTcp listener: hands each accepted socket, wrapped by `wrap`, to the core. The
 * server pauses what it accepts (`pauseOnConnect`); a socket then reads into the shared receive
 * buffer (with `reading`, when Node allows it: `wrap` is told) or once the connection receives.
 */
export class TcpLocal implements Local {
  constructor(
    private readonly server: Server,
    private readonly reading: ReadingOptions | undefined,
    private readonly wrap: Wrap,
  ) {}

  source(watch: LocalWatch): void {
    this.server.on('error', (error) => {
      watch.closed(error);
    });
  }

  accept(acceptor: Acceptor): void {
    this.server.on('connection', (accepted: Socket) => {
      const host = accepted.remoteAddress;
      const port = accepted.remotePort;
      forgetPeer(accepted);
      if (host === undefined || port === undefined) {
        accepted.on('error', () => undefined);
        accepted.destroy();
        return;
      }
      const lending = this.reading === undefined ? undefined : readInto(accepted, this.reading);
      acceptor.remote(this.wrap(lending ?? accepted, lending !== undefined), { host, port });
    });
  }

  close(): void {
    this.server.removeAllListeners('connection');
    this.server.on('connection', (socket: Socket) => socket.destroy());
    this.server.close();
  }
}
