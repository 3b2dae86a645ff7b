import { ConnectError, PendingStatus, SendStatus, type Remote, type RemoteContext, type RemoteWatch } from '@message-io/core/adapter';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { NatsTarget } from './address.js';
import { closeClient, isStatusNotice, newInbox, openClient, unsubscribe, watchClient, type Client } from './client.js';
import { Publisher, pendingBytes } from './nats-internals.js';
import type { ClientSettings } from './options.js';

/** How often a connection over its `maxBufferedBytes` looks again whether the client wrote enough. */
const DRAIN_POLL_MS = 1;

/**
 * What `connect` makes: a publisher to one subject with an inbox of its own. Each message goes to
 * the subject with the inbox as its reply subject, so that whoever receives it can answer; what
 * arrives on the inbox is this endpoint's `message`. Ready once the client reached the server and
 * the inbox is subscribed there (a flush confirmed it), so that no answer can be missed.
 */
export class NatsRemote implements Remote {
  private watch: RemoteWatch | undefined;
  private client: Client | undefined;
  private subscription: Subscription | undefined;
  /** Its subject: made once the client's module is loaded (`open`). */
  private inbox = '';
  /** Publishes to the subject with the inbox as reply subject (made with the client). */
  private publisher: Publisher | undefined;
  private ready = false;
  /** The client lost the server and is trying again: sends answer `ResourceNotAvailable`. */
  private away = false;
  private receiving = false;
  private paused = false;
  private closing = false;
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  /** Stops following the client (see `watchClient`). */
  private unwatch: (() => void) | undefined;
  private readonly maxPayload: number;

  constructor(
    private readonly target: NatsTarget,
    private readonly settings: ClientSettings,
    private readonly context: RemoteContext,
    maxMessageSize: number,
  ) {
    this.maxPayload = maxMessageSize;
    void this.open();
  }

  /** #1. Called by the core once: keep the watch; the client's events are wired as it opens. */
  source(watch: RemoteWatch): void {
    this.watch = watch;
  }

  /** #5. Ready once the client is connected and the inbox subscribed; a failure went to `watch.closed`. */
  pending(): PendingStatus {
    return this.ready ? PendingStatus.Ready : PendingStatus.Incomplete;
  }

  /** #3. From now on, what arrives on the inbox is handed to the core. */
  receive(): void {
    this.receiving = true;
  }

  /**
   * #4. Publishes a copy of `data` to the subject, with the inbox as the reply subject. The client
   * queues it and writes on a later microtask, so the copy (see `Publisher`) is what lets the
   * caller reuse its buffer. `ResourceNotAvailable` while the client is away from the server (nothing is queued);
   * `MaxPacketSizeExceeded` over the server's `max_payload`.
   */
  send(data: Uint8Array): SendStatus {
    const nc = this.client?.nc;
    if (nc === undefined || this.away || nc.isClosed()) return SendStatus.ResourceNotAvailable;
    if (data.length > (nc.info?.max_payload ?? this.maxPayload)) return SendStatus.MaxPacketSizeExceeded;
    this.publisher!.publish(data);
    if (pendingBytes(nc) >= this.context.maxBufferedBytes) this.watchDrain(nc);
    return SendStatus.Sent;
  }

  /** Bytes the client holds unsent (its outbound buffer and its socket's queue). */
  get bufferedBytes(): number {
    const nc = this.client?.nc;
    return nc === undefined ? 0 : pendingBytes(nc);
  }

  /** The server's `max_payload` once connected; until then the transport's default. */
  get maxMessageSize(): number {
    return this.client?.nc.info?.max_payload ?? this.maxPayload;
  }

  /**
   * The node's consumer is behind: what arrives is dropped until `resumeReceive`, as a broker's
   * at-most-once delivery allows (holding it would only move the unbounded queue here).
   */
  pauseReceive(): void {
    this.paused = true;
  }

  /** The consumer caught up: hand what arrives again. */
  resumeReceive(): void {
    this.paused = false;
  }

  /**
   * Called by the core once. Unsubscribes; a connection message-io opened is closed after
   * flushing what was published, within `linger` (then dropped); the application's stays open.
   */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.drainTimer);
    const client = this.client;
    if (client === undefined) return; // still opening: `open` closes it when it arrives
    this.unwatch?.();
    unsubscribe(this.subscription);
    if (client.owned) closeClient(client.nc, this.context.linger);
  }

  private async open(): Promise<void> {
    let client: Client;
    try {
      client = await openClient(this.target, this.settings);
    } catch (cause) {
      this.fail(new ConnectError(`cannot reach the NATS server ${this.target.server}: ${(cause as Error).message}`, { cause }));
      return;
    }
    if (this.closing) {
      if (client.owned) void client.nc.close();
      return;
    }
    this.client = client;
    const { nc } = client;
    this.inbox = newInbox();
    this.publisher = new Publisher(nc, this.target.subject, this.inbox);
    this.subscription = nc.subscribe(this.inbox, {
      callback: (error, msg) => {
        if (error !== null || !this.receiving || this.paused || this.closing || isStatusNotice(msg)) return;
        this.watch?.received(msg.data);
      },
    });
    this.unwatch = watchClient(nc, {
      down: () => {
        this.away = true;
      },
      up: () => {
        this.away = false;
        if (!this.closing) this.watch?.notify('writable');
      },
      closed: (error) => {
        const why = error === undefined ? '' : `: ${error.message}`;
        this.fail(new ConnectError(`the connection to the NATS server ${this.target.server} closed${why}`, { cause: error }));
      },
    });
    try {
      await nc.flush();
    } catch (cause) {
      this.fail(new ConnectError(`the NATS server ${this.target.server} did not confirm the inbox subscription`, { cause }));
      return;
    }
    if (this.closing) return;
    this.ready = true;
    this.watch?.notify('writable');
  }

  private fail(error: Error): void {
    if (!this.closing) this.watch?.closed(error);
  }

  /** Over the cap: look every millisecond until the client wrote below it, then say writable. */
  private watchDrain(nc: NatsConnection): void {
    if (this.drainTimer !== undefined) return;
    const look = (): void => {
      this.drainTimer = undefined;
      if (this.closing || nc.isClosed()) return;
      if (pendingBytes(nc) >= this.context.maxBufferedBytes) this.drainTimer = setTimeout(look, DRAIN_POLL_MS);
      else this.watch?.notify('writable');
    };
    this.drainTimer = setTimeout(look, DRAIN_POLL_MS);
  }
}
