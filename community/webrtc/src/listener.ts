import type { Server, Socket } from 'node:net';
import type { Acceptor, Local, LocalWatch, Remote, RemoteAddr } from '@message-io/core/adapter';

/** Reads an offer from a signalling socket; calls `accepted` when it makes a connection of it. */
export type Signalling = (socket: Socket, accepted: (remote: Remote, addr: RemoteAddr) => void) => void;

/** A listener: a TCP server for signalling; each offer becomes a connection handed to the core. */
export class WebRtcLocal implements Local {
  private open = true;

  constructor(
    private readonly server: Server,
    private readonly signalling: Signalling,
  ) {}

  source(watch: LocalWatch): void {
    this.server.on('error', (error) => watch.closed(error));
  }

  accept(acceptor: Acceptor): void {
    this.server.on('connection', (socket: Socket) => {
      this.signalling(socket, (remote, addr) => {
        if (this.open) acceptor.remote(remote, addr);
        else remote.close();
      });
    });
  }

  close(): void {
    this.open = false;
    this.server.removeAllListeners('connection');
    this.server.on('connection', (socket: Socket) => socket.destroy());
    this.server.close();
  }
}
