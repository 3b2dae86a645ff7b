import {
  ConnectError,
  InvalidAddressError,
  SendStatus,
  isUrlAddr,
  type Acceptor,
  type Local,
  type LocalWatch,
  type RemoteAddr,
} from '@message-io/core/adapter';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { checkSubject, subjectOf, subjectUrl, type NatsTarget } from './address.js';
import { closeClient, isStatusNotice, unsubscribe, watchClient, type Client } from './client.js';
import { pendingBytes, replyBytes } from './nats-internals.js';

/** Messages kept between the subscription and the core's `accept` (a few microtasks): past it, dropped. */
const EARLY_LIMIT = 1_024;

/**
 * A subscription to one subject (with a queue group, when given). Each message is handed to the
 * core as a datagram from its reply subject, `nats://host:port/<reply>`, so that sending to that
 * endpoint answers its sender; a message published with no reply subject comes from
 * `nats://host:port/` (the server), where sends answer `ResourceNotFound`.
 */
export class NatsLocal implements Local {
  private acceptor: Acceptor | undefined;
  private early: Msg[] | undefined = [];
  private readonly subscription: Subscription;
  private away = false;
  private closed = false;
  /** The reply subject's bytes of the last message, and its address. */
  private lastReply: Uint8Array | undefined;
  private lastAddr: { readonly url: string } | undefined;
  /** Stops following the client (see `watchClient`). */
  private unwatch: (() => void) | undefined;
  /** The address last sent to from this listener, and its subject, checked. */
  private lastSentUrl = '';
  private lastSentSubject = '';

  constructor(
    private readonly client: Client,
    private readonly target: NatsTarget,
    queue: string | undefined,
    private readonly maxBufferedBytes: number,
    private readonly linger: number,
  ) {
    this.subscription = client.nc.subscribe(target.subject, {
      queue,
      callback: (error, msg) => {
        if (error !== null || this.closed || isStatusNotice(msg)) return;
        const acceptor = this.acceptor;
        if (acceptor !== undefined) this.hand(acceptor, msg);
        else if (this.early !== undefined && this.early.length < EARLY_LIMIT) this.early.push(msg);
      },
    });
  }

  /** The connection this listener uses. */
  get nc(): NatsConnection {
    return this.client.nc;
  }

  /**
   * #6. Called by the core once, right after `listen` resolved. The client gave up on the server
   * (or the application closed its connection): the listener is gone.
   */
  source(watch: LocalWatch): void {
    this.unwatch = watchClient(this.client.nc, {
      down: () => {
        this.away = true;
      },
      up: () => {
        this.away = false;
      },
      closed: (error) => {
        if (this.closed) return;
        const why = error === undefined ? '' : `: ${error.message}`;
        watch.closed(new ConnectError(`the connection to the NATS server ${this.target.server} closed${why}`, { cause: error }));
      },
    });
  }

  /** #8. Called by the core once: from now on every message goes to `acceptor.data`, first those that came before. */
  accept(acceptor: Acceptor): void {
    this.acceptor = acceptor;
    const early = this.early ?? [];
    this.early = undefined;
    for (const msg of early) this.hand(acceptor, msg);
  }

  /**
   * Publishes a copy of `data` to the subject that `addr` names on this server: a message's reply
   * subject, to answer it. `ResourceNotAvailable` while the client is away from the server,
   * `Backpressure` while it holds `maxBufferedBytes` unsent, `MaxPacketSizeExceeded` over the
   * server's `max_payload`, `ResourceNotFound` for the server's own address (a message that had no
   * reply subject) or after the listener closed.
   * @throws InvalidAddressError for a socket address, an address of another server, or a wildcard subject.
   */
  sendTo(addr: RemoteAddr, data: Uint8Array): SendStatus {
    if (!isUrlAddr(addr)) throw new InvalidAddressError(`a Nats listener sends to nats:// URLs, not ${addr.host}:${addr.port}`);
    // Answers go to one sender in runs: its subject, found and checked once.
    const subject = addr.url === this.lastSentUrl ? this.lastSentSubject : this.subjectToSend(addr.url);
    if (subject === '') return SendStatus.ResourceNotFound;
    const nc = this.client.nc;
    if (this.closed || nc.isClosed()) return SendStatus.ResourceNotFound;
    if (this.away) return SendStatus.ResourceNotAvailable;
    if (data.length > (nc.info?.max_payload ?? Infinity)) return SendStatus.MaxPacketSizeExceeded;
    if (pendingBytes(nc) >= this.maxBufferedBytes) return SendStatus.Backpressure;
    nc.publish(subject, data.slice());
    return SendStatus.Sent;
  }

  /** Called by the core once: unsubscribes, and closes the connection when message-io opened it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.early = undefined;
    this.unwatch?.();
    if (this.client.nc.isClosed()) return;
    unsubscribe(this.subscription);
    if (this.client.owned) closeClient(this.client.nc, this.linger);
  }

  /**
   * Hands one message to the core, from its reply subject's address. Messages from one sender come
   * in runs: when the reply subject's bytes are the last sender's, the last address (the same
   * object, its text already hashed by the core's lookup) is given again, without decoding.
   */
  /** The subject `url` names on this server, checked ('' for the server's own address). @throws InvalidAddressError */
  private subjectToSend(url: string): string {
    const subject = subjectOf(this.target.base, url);
    if (subject === undefined) throw new InvalidAddressError(`${url} is not an address on this listener's server (${this.target.base})`);
    if (subject !== '') checkSubject(subject, false, url);
    this.lastSentUrl = url;
    this.lastSentSubject = subject;
    return subject;
  }

  private hand(acceptor: Acceptor, msg: Msg): void {
    const raw = replyBytes(msg);
    const last = this.lastReply;
    if (raw !== undefined && last !== undefined && sameBytes(raw, last)) {
      acceptor.data(this.lastAddr!, msg.data);
      return;
    }
    const reply = msg.reply;
    const addr = { url: reply === undefined || reply === '' ? this.target.base : subjectUrl(this.target.base, reply) };
    // A copy: the bytes may be a view of the client's read buffer.
    this.lastReply = raw?.slice();
    this.lastAddr = addr;
    acceptor.data(addr, msg.data);
  }
}

/** True when `a` and `b` hold the same bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
