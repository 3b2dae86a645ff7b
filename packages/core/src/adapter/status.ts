/**
 * Outcome of `send`. A string, so it prints well; compare with the members of this object.
 *
 * - `Sent`: the message was accepted for sending (queued or written). On TCP-based transports it
 *   will be delivered whole and in order unless the connection ends.
 * - `MaxPacketSizeExceeded`: larger than the connection's `maxMessageSize`; nothing was written.
 * - `ResourceNotFound`: no such connection: never existed, removed, disconnected, or the node stopped.
 * - `ResourceNotAvailable`: the connection exists but is not ready yet (still connecting or handshaking).
 * - `Backpressure`: the connection already holds `maxBufferedBytes` of unsent data; nothing was
 *   queued. A `writable` event for this endpoint follows when it can take more.
 */
export const SendStatus = {
  Sent: 'Sent',
  MaxPacketSizeExceeded: 'MaxPacketSizeExceeded',
  ResourceNotFound: 'ResourceNotFound',
  ResourceNotAvailable: 'ResourceNotAvailable',
  Backpressure: 'Backpressure',
} as const;

/** One of the values of {@link SendStatus}. */
export type SendStatus = (typeof SendStatus)[keyof typeof SendStatus];

/**
 * What `Remote.pending` answers while a connection is being established.
 * - `Ready`: the connection can carry messages now.
 * - `Incomplete`: not yet; the core asks again at the next readiness notification.
 * - `Disconnected`: the connection failed and will never be ready.
 */
export const PendingStatus = {
  Ready: 'Ready',
  Incomplete: 'Incomplete',
  Disconnected: 'Disconnected',
} as const;

/** One of the values of {@link PendingStatus}. */
export type PendingStatus = (typeof PendingStatus)[keyof typeof PendingStatus];
