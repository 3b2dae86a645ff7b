import type { Server, Socket } from 'node:net';
import type { Acceptor, Local, LocalWatch } from '@message-io/core/adapter';
import { forgetCachedPeer, takeOverSocket, type ReadingOptions } from '@message-io/node-net';

/** How a listener wraps each accepted socket for the core. */
export type Wrap = (socket: Socket, readsShared: boolean) => Parameters<Acceptor['remote']>[0];

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
      // The core keeps the address in the endpoint: Node's cached copy (about 90 bytes) goes.
      forgetCachedPeer(accepted);
      if (host === undefined || port === undefined) {
        accepted.on('error', () => undefined);
        accepted.destroy();
        return;
      }
      const taken = this.reading === undefined ? undefined : takeOverSocket(accepted, this.reading);
      acceptor.remote(this.wrap(taken ?? accepted, taken !== undefined), { host, port });
    });
  }

  close(): void {
    this.server.removeAllListeners('connection');
    this.server.on('connection', (socket: Socket) => socket.destroy());
    this.server.close();
  }
}
