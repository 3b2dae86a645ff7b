import type { Server, Socket } from 'node:net';
import type { Acceptor, Local, LocalWatch, Remote, RemoteAddr } from '@message-io/core/adapter';
import { acceptHandles, reportDrops, type HandleSocket } from '@message-io/node-net';
import { handleReading } from './reading.js';
import type { IpcSocket } from './remote.js';

/** Makes the Remote of an accepted socket and tells where it comes from (`undefined`: refuse it). */
export type Accepting = (socket: IpcSocket) => { remote: Remote; addr: RemoteAddr } | undefined;

/**
 * A listener: hands every accepted connection, wrapped by `wrap`, to the core. Where this Node
 * allows it, Node builds no `net.Socket` for them: each comes as a node-net `HandleSocket` on its
 * libuv handle, which costs less to make, to keep and to close; elsewhere, as a `net.Socket`.
 */
export class IpcLocal implements Local {
  /** `close` was called. */
  private closed = false;

  /** `highWaterMark`: the write high-water mark of the connections made on their handle. */
  constructor(
    private readonly server: Server,
    private readonly wrap: Accepting,
    private readonly highWaterMark: number,
  ) {}

  /**
   * #6. Called by the core once, right after `listen` resolved. Wire the server's failures to
   * `closed`, so that the core removes the listener; never leave `'error'` unhandled.
   */
  source(watch: LocalWatch): void {
    this.server.on('error', (error) => watch.closed(error));
  }

  /**
   * #8. Called by the core once, right after `source`. From now on hand every new connection to
   * `acceptor.remote`; the core makes it an endpoint and emits `accepted` once it is ready (and
   * closes one past `maxConnections`). On `net.Socket`s, those Node drops past `maxConnections`
   * are reported to `acceptor.refused` (node-net's `reportDrops`).
   */
  accept(acceptor: Acceptor): void {
    const onHandle = (socket: HandleSocket): void => {
      // Accepted while the listener was closing: the core no longer takes connections from it.
      if (this.closed) return void socket.destroy();
      this.hand(socket, acceptor);
    };
    if (acceptHandles(this.server, handleReading, this.highWaterMark, onHandle)) return;
    reportDrops(this.server, acceptor);
    this.server.on('connection', (socket: Socket) => this.hand(socket, acceptor));
  }

  /** Wraps an accepted connection and hands it to the core, or closes it when `wrap` refuses it. */
  private hand(socket: IpcSocket, acceptor: Acceptor): void {
    const accepted = this.wrap(socket);
    if (accepted === undefined) {
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    acceptor.remote(accepted.remote, accepted.addr);
  }

  /**
   * Called by the core exactly once: on `remove()`, on `stop()`, or after `closed`. Stop listening;
   * connections already accepted stay up (they are resources of their own).
   */
  close(): void {
    this.closed = true;
    this.server.removeAllListeners('connection');
    this.server.on('connection', (socket: Socket) => socket.destroy());
    this.server.close();
  }
}
