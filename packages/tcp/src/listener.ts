import type { Server, Socket } from 'node:net';
import type { Acceptor, Local, LocalWatch } from '@message-io/core/adapter';
import {
  acceptHandles,
  forgetCachedPeer,
  readInPlace,
  reportDrops,
  reportTlsFailures,
  takeOverSocket,
  type HandleSocket,
  type OnRead,
  type ReadingOptions,
  type StreamSocket,
} from '@message-io/node-net';

function ignore(): void {}

/** How a listener's sockets read: an `onread` that also serves a `HandleSocket`, and their writes' high-water mark. */
export type TcpReading = ReadingOptions & { readonly onread: OnRead<StreamSocket>; readonly writableHighWaterMark: number };

/** How a listener wraps each accepted socket for the core. */
export type Wrap = (socket: StreamSocket, readsShared: boolean) => Parameters<Acceptor['remote']>[0];

/**
 * A Tcp or FramedTcp listener: hands each accepted socket, wrapped by `wrap`, to the core. A plain
 * server pauses what it accepts (`pauseOnConnect`); a socket then reads into the shared receive
 * buffer (with `reading`, when Node allows it: `wrap` is told) or once the connection receives.
 * A TLS server (`secure`) hands over only sockets whose handshake is done (`'secureConnection'`);
 * those that fail it are closed by Node and reported to the core as refused, as are connections
 * Node drops past `maxConnections`. With `handles` (a plain server, reading into the shared
 * buffer), Node builds no `net.Socket` at all: each connection comes as a node-net `HandleSocket`
 * on its libuv handle (design note 0019), where this Node allows it.
 */
export class TcpLocal implements Local {
  /** The server's event that gives a connection. */
  private readonly event: 'connection' | 'secureConnection';
  /** `close` was called. */
  private closed = false;

  constructor(
    private readonly server: Server,
    private readonly reading: TcpReading | undefined,
    private readonly wrap: Wrap,
    private readonly secure = false,
    private readonly handles = false,
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
    const reading = this.reading;
    if (this.handles && reading !== undefined) {
      const onHandle = (socket: HandleSocket): void => {
        // Accepted while the listener was closing: the core no longer takes connections from it.
        if (this.closed) return void socket.destroy();
        acceptor.remote(this.wrap(socket, true), { host: socket.remoteAddress, port: socket.remotePort });
      };
      if (acceptHandles(this.server, reading.onread, reading.writableHighWaterMark, onHandle)) return;
    }
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
    this.closed = true;
    this.server.removeAllListeners(this.event);
    this.server.on(this.event, (socket: Socket) => socket.destroy());
    this.server.close();
  }
}
