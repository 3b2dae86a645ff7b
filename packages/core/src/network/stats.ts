import { SendStatus } from '../adapter/status.js';
import type { ResourceId } from './resource-id.js';

// Counters of what a node's network did, read with `handler.network().stats()`. One Counters
// object per listener and one for the node's outgoing connections; a connection adds to the one
// of its group (shared by many connections), so counting costs two additions a message and no
// memory per connection. Totals are summed only when `stats()` is called.

/** What a node, or one of its listeners, has done since it started. */
export interface TrafficStats {
  /** Connections open now (connecting, in their handshake or ready; not those waiting to reconnect). */
  readonly connections: number;
  /**
   * Messages received (stream transports such as Tcp: received chunks), each one a `message`
   * event or, while the consumer is behind, a stored one; Udp datagrams dropped then are not counted.
   */
  readonly messagesIn: number;
  /** Bytes of those messages. */
  readonly bytesIn: number;
  /** Sends answered `Sent` (`send`, `sendText`, and sends from a listener's endpoint). */
  readonly messagesOut: number;
  /** Bytes of those sends; a `sendText` counts its text's length in UTF-16 code units (its UTF-8 size is not computed for a count). */
  readonly bytesOut: number;
  /** Connections or handshakes refused before they were accepted (a limit, a path, `authenticate`, TLS, a timeout). */
  readonly refused: number;
  /** Sends answered `Backpressure`: each refused send counts. */
  readonly backpressure: number;
  /** Bytes accepted by `send` and not yet handed to the operating system, summed over the connections now (held for slow peers). */
  readonly bufferedBytes: number;
}

/** The counters of one listener, for the connections it accepted and what they carried. */
export interface ListenerStats extends TrafficStats {
  /** The listener's id, as `listen` resolved it. */
  readonly id: ResourceId;
  /** Its transport's name, such as `FramedTcp`. */
  readonly transport: string;
  /** The address it is bound to, as `listen` resolved it. */
  readonly addr: string;
}

/** What `handler.network().stats()` returns: the node's totals, and each open listener's own. */
export interface NetworkStats extends TrafficStats {
  /** Listeners open now. */
  readonly listeners: number;
  /**
   * Bytes of the events stored for a consumer that is behind (an `async` callback awaiting, an
   * iterator not pulling), each counted as its message bytes plus a fixed cost per event: the
   * figure the node's `maxStoredBytes` bounds.
   */
  readonly storedBytes: number;
  /** The events stored for the consumer now. */
  readonly storedEvents: number;
  /** Each open listener's counters, in the order they were bound. A removed listener's counts stay in the node's totals. */
  readonly byListener: readonly ListenerStats[];
}

/** The running counts of a listener, or of the node's outgoing connections. */
export class Counters {
  connections = 0;
  messagesIn = 0;
  bytesIn = 0;
  messagesOut = 0;
  bytesOut = 0;
  refused = 0;
  backpressure = 0;

  /** Counts what a send of `size` bytes was answered (`Sent`, or `Backpressure` from the adapter), and passes the answer on. */
  sent(status: SendStatus, size: number): SendStatus {
    if (status === SendStatus.Sent) {
      this.messagesOut++;
      this.bytesOut += size;
    } else if (status === SendStatus.Backpressure) this.backpressure++;
    return status;
  }

  /** Adds `other`'s counts to these. */
  add(other: Counters): void {
    this.connections += other.connections;
    this.messagesIn += other.messagesIn;
    this.bytesIn += other.bytesIn;
    this.messagesOut += other.messagesOut;
    this.bytesOut += other.bytesOut;
    this.refused += other.refused;
    this.backpressure += other.backpressure;
  }

  /** A frozen copy, with the buffered bytes summed by the caller. */
  snapshot(bufferedBytes: number): TrafficStats {
    const { connections, messagesIn, bytesIn, messagesOut, bytesOut, refused, backpressure } = this;
    return { connections, messagesIn, bytesIn, messagesOut, bytesOut, refused, backpressure, bufferedBytes };
  }
}
