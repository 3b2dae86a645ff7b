import type { Server, Socket } from 'node:net';
import type { Acceptor, Local, LocalWatch } from '@message-io/core/adapter';
import { forgetCachedPeer, readInPlace, reportDrops, reportTlsFailures, takeOverSocket, type ReadingOptions } from '@message-io/node-net';

function ignore(): void {}

/** How a listener wraps each accepted socket for the core. */
export type Wrap = (socket: Socket, readsShared: boolean) => Parameters<Acceptor['remote']>[0];

/**
 * A Tcp or FramedTcp listener: hands each accepted socket, wrapped by `wrap`, to the core. A plain
 * server pauses what it accepts (`pauseOnConnect`); a socket then reads into the shared receive
 * buffer (with `reading`, when Node allows it: `wrap` is told) or once the connection receives.
 * A TLS server (`secure`) hands over only sockets whose handshake is done (`'secureConnection'`);
 * those that fail it are closed by Node and reported to the core as refused, as are connections
 * Node drops past `maxConnections`.
 */
export class TcpLocal implements Local {
  /** The server's event that gives a connection. */
  private readonly event: 'connection' | 'secureConnection';

  constructor(
    private readonly server: Server,
    private readonly reading: ReadingOptions | undefined,
    private readonly wrap: Wrap,
    private readonly secure = false,
  ) {
    this.event = secure ? 'secureConnection' : 'connection';
    // A failed handshake: Node destroys the socket; listening here keeps that from being an error.
    if (secure) server.on('tlsClientError', ignore);
  }

  source(watch: LocalWatch): void {
    this.server.on('error', (error) => {
      watch.closed(error);
    });
  }

  accept(acceptor: Acceptor): void {
    reportDrops(this.server, acceptor);
    if (this.secure) reportTlsFailures(this.server, acceptor);
    this.server.on(this.event, (accepted: Socket) => {
      const host = accepted.remoteAddress;
      const port = accepted.remotePort;
      // The core keeps the address in the endpoint: Node's cached copy (about 90 bytes) goes.
      forgetCachedPeer(accepted);
      if (host === undefined || port === undefined) {
        accepted.on('error', () => undefined);
        accepted.destroy();
        return;
      }
      // Reading into the shared buffer: set up on the accepted socket itself where Node allows it
      // (no second socket per connection), else on a socket that takes its stream over.
      if (this.reading !== undefined && readInPlace(accepted, this.reading)) return acceptor.remote(this.wrap(accepted, true), { host, port });
      const taken = this.reading === undefined ? undefined : takeOverSocket(accepted, this.reading);
      acceptor.remote(this.wrap(taken ?? accepted, taken !== undefined), { host, port });
    });
  }

  close(): void {
    this.server.removeAllListeners(this.event);
    this.server.on(this.event, (socket: Socket) => socket.destroy());
    this.server.close();
  }
}
