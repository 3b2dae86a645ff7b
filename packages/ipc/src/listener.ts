import type { Server, Socket } from 'node:net';
import type { Acceptor, Local, LocalWatch, Remote, RemoteAddr } from '@message-io/core/adapter';
import { reportDrops } from '@message-io/node-net';

/** Makes the Remote of an accepted socket and tells where it comes from (`undefined`: refuse it). */
export type Accepting = (socket: Socket) => { remote: Remote; addr: RemoteAddr } | undefined;

/** A listener: hands every accepted socket, wrapped by `wrap`, to the core. */
export class IpcLocal implements Local {
  constructor(
    private readonly server: Server,
    private readonly wrap: Accepting,
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
   * `acceptor.remote`; the core makes it an endpoint and emits `accepted` once it is ready. Those
   * Node drops past `maxConnections` are reported to `acceptor.refused` (node-net's `reportDrops`).
   */
  accept(acceptor: Acceptor): void {
    reportDrops(this.server, acceptor);
    this.server.on('connection', (socket: Socket) => {
      const accepted = this.wrap(socket);
      if (accepted === undefined) {
        socket.on('error', () => undefined);
        socket.destroy();
        return;
      }
      acceptor.remote(accepted.remote, accepted.addr);
    });
  }

  /**
   * Called by the core exactly once: on `remove()`, on `stop()`, or after `closed`. Stop listening;
   * connections already accepted stay up (they are resources of their own).
   */
  close(): void {
    this.server.removeAllListeners('connection');
    this.server.on('connection', (socket: Socket) => socket.destroy());
    this.server.close();
  }
}
