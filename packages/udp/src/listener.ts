import type { Socket } from 'node:dgram';
import { InvalidAddressError, SendStatus, type Acceptor, type Local, type LocalWatch, type RemoteContext, type SocketAddr } from '@message-io/core/adapter';
import { ipFamily, payloadLimit } from './limits.js';
import { interfaceFor, type UdpSettings } from './options.js';
import { closeAfterFlush, queuedBytes } from './socket.js';
import { directSender, QUEUED, sendError, type DirectSender } from './dgram-internals.js';
import { noteReceived } from './receive-memory.js';
import { copyForSend, reuseSpare, sentAtOnce } from './spare.js';

/**
 * A Udp listener: one bound socket. Each datagram is handed to the core with its sender's
 * address; `sendTo` sends from the same socket (`Endpoint.fromListener`). On a multicast group it
 * has joined the group and leaves it on `close`.
 */
export class UdpLocal implements Local {
  private closed = false;
  /** The socket's queue was empty after the last send (as in remote.ts): no need to ask it. */
  private idle = true;
  private flushed: (() => void) | undefined;
  /** Sends to IP addresses through the socket's handle (dgram-internals.ts); `null` when not possible here, `undefined` until known. */
  private direct: DirectSender | null | undefined;
  private readonly afterSend = (error: Error | null): void => {
    if (error) this.report(error);
    this.flushed?.();
  };
  /** A datagram that waited in the socket's queue has left (`status` 0) or failed (a system error code). */
  private readonly whenQueuedSent = (status: number): void => {
    this.afterSend(status < 0 ? sendError(status) : null);
  };

  constructor(
    private readonly socket: Socket,
    private readonly family: 4 | 6,
    private readonly group: string | undefined,
    private readonly settings: UdpSettings,
    private readonly context: RemoteContext,
  ) {}

  source(watch: LocalWatch): void {
    this.socket.on('close', () => {
      if (!this.closed) watch.closed();
    });
  }

  accept(acceptor: Acceptor): void {
    this.socket.on('message', (data: Buffer, from: { address: string; port: number }) => {
      noteReceived(data.length);
      acceptor.data({ host: from.address, port: from.port }, data);
    });
  }

  sendTo(addr: SocketAddr, data: Uint8Array): SendStatus {
    if (this.closed) return SendStatus.ResourceNotFound;
    const family = ipFamily(addr.host);
    if (family !== 0 && family !== this.family) {
      const hint = this.family === 6 ? ' (write an IPv4 peer as [::ffff:a.b.c.d])' : '';
      throw new InvalidAddressError(`this listener is IPv${this.family} and cannot send to ${addr.host}${hint}`);
    }
    if (data.byteLength > Math.min(this.settings.maxMessageSize, payloadLimit(addr.host, this.family))) {
      return SendStatus.MaxPacketSizeExceeded;
    }
    const queued = this.idle ? 0 : queuedBytes(this.socket);
    if (queued >= this.context.maxBufferedBytes) return SendStatus.Backpressure;
    // A copy, as for a connection's sends (remote.ts): the caller keeps its buffer. To an IP
    // address the datagram is sent within the call, so the copy is reused when it left; a host
    // name is looked up first, later.
    if (family === 0) {
      if (this.settings.onError !== undefined || queued > 0) this.socket.send(Buffer.from(data), addr.port, addr.host, this.afterSend);
      else this.socket.send(Buffer.from(data), addr.port, addr.host);
      this.idle = false;
      return SendStatus.Sent;
    }
    const datagram = copyForSend(data);
    const direct = this.direct ?? (this.direct === null ? null : (this.direct = directSender(this.socket, this.whenQueuedSent)));
    if (direct) {
      // Through the handle, as in remote.ts: it says whether the datagram left within the call.
      const result = direct.sendTo(datagram, addr.port, addr.host);
      if (result > 0) {
        this.idle = true;
        reuseSpare(datagram);
      } else if (result === QUEUED) this.idle = false;
      else process.nextTick(() => this.afterSend(sendError(result, addr.host, addr.port)));
      return SendStatus.Sent;
    }
    // A send callback costs a tick per datagram: only for `onError`, or once datagrams queue (the
    // flush of a close).
    if (this.settings.onError !== undefined || queued > 0) this.socket.send(datagram, addr.port, addr.host, this.afterSend);
    else this.socket.send(datagram, addr.port, addr.host);
    this.idle = sentAtOnce(this.socket, datagram);
    return SendStatus.Sent;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.removeAllListeners('message');
    if (this.group !== undefined) {
      try {
        this.socket.dropMembership(this.group, interfaceFor(this.settings, this.family));
      } catch (error) {
        this.report(error as Error);
      }
    }
    this.flushed = closeAfterFlush(this.socket, this.context.linger);
  }

  /** Errors the socket reports after it was bound (receive errors, failed sends). */
  readonly report = (error: Error): void => {
    try {
      this.settings.onError?.(error);
    } catch {
      // onError must not throw; a throw is ignored (documented)
    }
  };
}
