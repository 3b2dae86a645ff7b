import type { Server, Socket } from 'node:net';
import type { Acceptor, Local, LocalWatch } from '@message-io/core';

/**
 * Drops the peer address that reading `remoteAddress` made Node cache on the socket (an object
 * and a string, about 90 bytes a connection; memory per connection is a performance target). The
 * core keeps the address in the endpoint; nothing here reads it from the socket again, and if
 * Node did, it would just ask the OS once more.
 */
function forgetPeer(socket: Socket): void {
  (socket as Socket & { _peername?: unknown })._peername = undefined;
}

/** A Tcp or FramedTcp listener: hands each accepted socket, wrapped by `wrap`, to the core. */
export class TcpLocal implements Local {
  constructor(
    private readonly server: Server,
    private readonly wrap: (socket: Socket) => Parameters<Acceptor['remote']>[0],
  ) {}

  source(watch: LocalWatch): void {
    this.server.on('error', (error) => {
      watch.closed(error);
    });
  }

  accept(acceptor: Acceptor): void {
    this.server.on('connection', (socket: Socket) => {
      const host = socket.remoteAddress;
      const port = socket.remotePort;
      forgetPeer(socket);
      if (host === undefined || port === undefined) {
        socket.on('error', () => undefined);
        socket.destroy();
        return;
      }
      acceptor.remote(this.wrap(socket), { host, port });
    });
  }

  close(): void {
    this.server.removeAllListeners('connection');
    this.server.on('connection', (socket: Socket) => socket.destroy());
    this.server.close();
  }
}
