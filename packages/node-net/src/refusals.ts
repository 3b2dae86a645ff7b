import type { Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Acceptor, SocketAddr } from '@message-io/core/adapter';

/**
 * The peer of a refused connection as a `Refusal`'s `addr` (spread it in), from a socket or Node's
 * `'drop'` data: `undefined` unless Node told both its host and port.
 */
export function peerOf(
  peer: { readonly remoteAddress?: string | undefined; readonly remotePort?: number | undefined } | undefined,
): { addr: SocketAddr } | undefined {
  const host = peer?.remoteAddress;
  const port = peer?.remotePort;
  return host === undefined || port === undefined ? undefined : { addr: { host, port } };
}

/**
 * Tells the core (`acceptor.refused`, reason `limit`) of every connection that `server` closed as
 * it arrived because it held `server.maxConnections` already (Node's `'drop'` event).
 */
export function reportDrops(server: Server, acceptor: Acceptor): void {
  server.on('drop', (dropped?: { remoteAddress?: string; remotePort?: number }) => {
    acceptor.refused({ reason: 'limit', ...peerOf(dropped), detail: `maxConnections (${server.maxConnections})` });
  });
}

/**
 * Tells the core of every client whose TLS handshake failed on `server`, a `tls.Server` or an
 * `https.Server` (its `'tlsClientError'`
 * event): reason `timeout` when it ran past the server's `handshakeTimeout`, `tls` otherwise,
 * with Node's error. Listening to the event also keeps a failed handshake from being an error of
 * the server. Node destroys the socket.
 */
export function reportTlsFailures(server: Server, acceptor: Acceptor): void {
  server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
    const reason = error.code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ? 'timeout' : 'tls';
    acceptor.refused({ reason, ...peerOf(socket), detail: error.message, error });
  });
}
