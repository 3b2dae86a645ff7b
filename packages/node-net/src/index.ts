/**
 * @message-io/node-net: helpers for message-io adapters built on Node's `net` (and `tls`) sockets,
 * the speed and memory work every such adapter would otherwise redo (Udp uses its allocator hint
 * too). Applications never need it.
 *
 * - Sending: {@link WriteBatch} turns the small sends of one turn into one socket write, copying
 *   messages of up to {@link BATCH_COPY_LIMIT} bytes; {@link takeBuffer} and {@link giveBackBuffer}
 *   reuse the copies of large ones.
 * - Receiving: one {@link ReceiveBuffer} for every socket of an adapter (Node's `onread`), and
 *   {@link OwnedReads} when received messages are the user's; {@link joinPiece} joins a frame that
 *   arrives over several reads; {@link hintAllocator} keeps glibc from handing freed receive
 *   memory back to the system and mapping it again for the next reads (design note 0016).
 * - Sockets: {@link readingSocket} and {@link takeOverSocket} make sockets that read with `onread`,
 *   {@link readInPlace} makes an accepted socket read so without a second socket, and
 *   {@link readUpgradedInPlace} a socket an HTTP server let go after an upgrade,
 *   {@link forgetCachedPeer} drops Node's cached peer address. They are the only code of message-io
 *   that uses what Node does not document (src/node-internals.ts), each with a fallback.
 * - TLS: {@link peerCertificateOf} gives a verified peer's certificate in core's shape.
 * - Refusals: {@link reportDrops} and {@link reportTlsFailures} (with {@link peerOf}) tell the core of the connections
 *   a server turned away (past `maxConnections`, a failed TLS handshake), for its counters and the
 *   `message-io:refuse` diagnostics channel.
 *
 * Import the adapter contract itself from `@message-io/core/adapter`.
 */
export { forgetCachedPeer, readInPlace, readingSocket, readUpgradedInPlace, takeOverSocket, type ReadingOptions } from './node-internals.js';
export { acceptHandles, HandleSocket, type HandleSocketClass, type StreamSocket } from './handle-socket.js';
export { joinPiece, keepJoined } from './joined-frame.js';
export { copyOf } from './memory.js';
export { peerCertificateOf } from './peer-certificate.js';
export { hintAllocator, OwnedReads, ReceiveBuffer, type OnRead } from './receive-buffer.js';
export { peerOf, reportDrops, reportTlsFailures } from './refusals.js';
export { giveBackBuffer, takeBuffer } from './spare-buffers.js';
export { BATCH_COPY_LIMIT, WriteBatch, type BatchSink } from './write-batch.js';
