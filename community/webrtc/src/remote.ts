import type { Socket } from 'node:net';
import { MessageTooLargeError, PendingStatus, SendStatus, type Remote, type RemoteWatch } from '@message-io/core/adapter';
import type { RTCDataChannel, RTCPeerConnection } from 'werift';

/** The header byte before each message on the channel: a message of 0 bytes is still 1 byte on the wire. */
const MESSAGE_HEADER = 0;

/** A one-byte channel message after the last one: the sender closes gracefully (the peer ends cleanly). */
const GOODBYE = Buffer.of(1);

/**
 * Most bytes handed to werift's SCTP and not yet acknowledged. werift 0.24 stalls when a burst
 * larger than the peer's receive window (1 MiB) is queued at once; kept under it, it flows. What
 * is over waits in the adapter's own queue.
 */
const SCTP_WINDOW = 256 * 1024;

/** Bytes counted for each chunk in SCTP's sent (unacknowledged) queue: its largest chunk. */
const SCTP_CHUNK_BYTES = 1200;

/** How long a peer waits, after its signalling socket closed, for the goodbye before it ends the connection. */
const GOODBYE_GRACE_MS = 250;

/** The fields of werift's SCTP association read to know what it has not sent or not had acknowledged. */
interface SctpQueues {
  outboundQueue?: { userData?: Uint8Array }[];
  sentQueue?: unknown[];
}

/** Bytes werift's SCTP holds: queued, and sent but not acknowledged (counted as full chunks). */
function sctpHeld(queues: SctpQueues | undefined): number {
  let bytes = (queues?.sentQueue?.length ?? 0) * SCTP_CHUNK_BYTES;
  for (const chunk of queues?.outboundQueue ?? []) bytes += chunk.userData?.byteLength ?? 0;
  return bytes;
}

/**
 * One connection: a peer connection and its one ordered, reliable data channel. Each message is
 * one data-channel message (one header byte, then the bytes), so messages keep their boundaries.
 */
export class WebRtcRemote implements Remote {
  private watch: RemoteWatch | undefined;
  private channel: RTCDataChannel | undefined;
  private error: Error | undefined;
  private ended = false;
  private receiving = false;
  private paused = false;
  /** Messages that arrived while paused (or before `receive`), handed over on resume. */
  private readonly queue: Uint8Array[] = [];
  private draining = false;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private writableTimer: ReturnType<typeof setInterval> | undefined;
  /** The signalling connection, open as long as the connection. */
  private signal: Socket | undefined;

  constructor(
    private readonly pc: RTCPeerConnection,
    readonly maxMessageSize: number,
    private readonly maxBufferedBytes: number,
    private readonly linger: number,
  ) {
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed' || state === 'closed') this.end(state === 'failed' ? new Error('the WebRTC connection failed') : undefined);
    });
  }

  /**
   * Bytes accepted by `send` not yet acknowledged by the peer: the adapter's own queue, the
   * channel's `bufferedAmount` (not handed to SCTP yet) and what SCTP holds (summed at most once
   * per event-loop turn; sends within a turn are counted by the other two, which grow with each).
   */
  get bufferedBytes(): number {
    return this.backlogBytes + this.handedBytes();
  }

  /** Bytes handed to werift and not yet acknowledged. */
  private handedBytes(): number {
    const channel = this.channel;
    if (channel === undefined) return 0;
    if (this.sctpBytes < 0) {
      this.sctpBytes = sctpHeld(this.queues());
      setImmediate(() => {
        this.sctpBytes = -1;
      });
    }
    return channel.bufferedAmount + this.sctpBytes;
  }

  /** Bytes in SCTP's queues as counted this turn; -1: not counted yet. */
  private sctpBytes = -1;
  /** Messages accepted by `send` and not handed to werift yet (see {@link SCTP_WINDOW}). */
  private readonly backlog: Buffer[] = [];
  private backlogBytes = 0;
  private feedTimer: ReturnType<typeof setTimeout> | undefined;

  /** Hands queued messages to werift while it holds less than {@link SCTP_WINDOW}; retries shortly while some wait. */
  private feed(): void {
    const channel = this.channel;
    if (channel === undefined || channel.readyState !== 'open') return;
    while (this.backlog.length > 0 && this.handedBytes() < SCTP_WINDOW) {
      const wire = this.backlog.shift()!;
      this.backlogBytes -= wire.byteLength;
      try {
        channel.send(wire);
      } catch (error) {
        this.end(error as Error);
        return;
      }
    }
    if (this.backlog.length > 0 && this.feedTimer === undefined) {
      this.feedTimer = setTimeout(() => {
        this.feedTimer = undefined;
        this.feed();
      }, 1);
    }
  }

  private queues(): SctpQueues | undefined {
    return this.channel?.sctp.sctp as unknown as SctpQueues | undefined;
  }

  /** Whether everything sent is handed to SCTP, sent and acknowledged. */
  private idle(): boolean {
    const queues = this.queues();
    return this.backlog.length === 0 && (this.channel?.bufferedAmount ?? 0) === 0 && sctpHeld(queues) === 0;
  }

  /** The signalling socket stays open for the connection's life: its close tells that the peer is gone. */
  watchSignal(socket: Socket): void {
    this.signal = socket;
    socket.on('close', () => {
      if (this.ended) return;
      if (this.channel?.readyState !== 'open') {
        this.end(new Error('the signalling connection closed before the data channel opened'));
        return;
      }
      this.graceTimer = setTimeout(() => this.end(undefined), GOODBYE_GRACE_MS);
      this.graceTimer.unref();
    });
  }

  source(watch: RemoteWatch): void {
    this.watch = watch;
    if (this.ended) watch.closed(this.error);
  }

  /** The data channel, once negotiated: wired, and announced when open. */
  attach(channel: RTCDataChannel): void {
    if (this.ended) return;
    this.channel = channel;
    channel.bufferedAmountLowThreshold = Math.floor(this.maxBufferedBytes / 2);
    channel.bufferedAmountLow.subscribe(() => this.watch?.notify('writable'));
    channel.stateChanged.subscribe((state) => {
      if (state === 'open') this.watch?.notify('writable');
      else if (state === 'closed') this.end(undefined);
    });
    channel.onMessage.subscribe((data) => this.arrived(data));
    if (channel.readyState === 'open') this.watch?.notify('writable');
  }

  /** Setting up failed (signalling, SDP, ICE): the connection is gone. */
  fail(error: Error): void {
    this.end(error);
  }

  private end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.error ??= error;
    this.signal?.destroy();
    this.stopTimers();
    void this.pc.close();
    this.watch?.closed(this.error);
  }

  private stopTimers(): void {
    clearTimeout(this.lingerTimer);
    clearTimeout(this.graceTimer);
    clearInterval(this.writableTimer);
    clearTimeout(this.feedTimer);
    this.backlog.length = 0;
  }

  pending(): PendingStatus {
    if (this.ended) return PendingStatus.Disconnected;
    return this.channel?.readyState === 'open' ? PendingStatus.Ready : PendingStatus.Incomplete;
  }

  receive(): void {
    this.receiving = true;
    this.flush();
  }

  private arrived(data: string | Buffer): void {
    if (typeof data !== 'string' && data.byteLength === 1 && data[0] === GOODBYE[0]) {
      this.end(undefined);
      return;
    }
    if (typeof data === 'string' || data.byteLength === 0 || data[0] !== MESSAGE_HEADER) {
      this.error ??= new Error('the peer sent a message that is not of this transport');
      this.end(this.error);
      return;
    }
    if (data.byteLength - 1 > this.maxMessageSize) {
      this.error ??= new MessageTooLargeError(`the peer sent ${data.byteLength - 1} bytes, over maxMessageSize (${this.maxMessageSize})`);
      this.end(this.error);
      return;
    }
    const message = data.subarray(1);
    if (!this.receiving || this.paused || this.queue.length > 0) {
      this.queue.push(message);
      return;
    }
    if (this.watch?.received(message) === false) this.paused = true;
  }

  /** Hands over what was kept, until the consumer says stop. */
  private flush(): void {
    while (this.queue.length > 0 && !this.paused && this.receiving && this.watch !== undefined) {
      const message = this.queue.shift()!;
      if (this.watch.received(message) === false) this.paused = true;
    }
  }

  send(data: Uint8Array): SendStatus {
    const wire = Buffer.allocUnsafe(data.byteLength + 1);
    wire[0] = MESSAGE_HEADER;
    wire.set(data, 1);
    this.backlog.push(wire);
    this.backlogBytes += wire.byteLength;
    this.feed();
    if (this.bufferedBytes >= this.maxBufferedBytes) this.awaitWritable();
    return SendStatus.Sent;
  }

  /** Over the cap: tell the core once the queues fell below it (SCTP's queue has no event of its own). */
  private awaitWritable(): void {
    if (this.writableTimer !== undefined) return;
    this.writableTimer = setInterval(() => {
      if (this.bufferedBytes >= this.maxBufferedBytes) return;
      clearInterval(this.writableTimer);
      this.writableTimer = undefined;
      this.watch?.notify('writable');
    }, 2);
    this.writableTimer.unref();
  }

  /** The channel has no receive flow control: arrivals are kept here while paused. */
  pauseReceive(): void {
    this.paused = true;
  }

  resumeReceive(): void {
    this.paused = false;
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => {
      this.draining = false;
      this.flush();
    });
  }

  close(): void {
    this.watch = undefined;
    this.queue.length = 0;
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.graceTimer);
    clearInterval(this.writableTimer);
    const channel = this.channel;
    const finish = (): void => {
      clearTimeout(this.lingerTimer);
      clearTimeout(this.feedTimer);
      this.signal?.destroy();
      void this.pc.close();
    };
    if (channel === undefined || channel.readyState !== 'open' || this.error !== undefined) return finish();
    // Within linger: let SCTP send (and have acknowledged) what was queued, then the goodbye.
    const deadline = Date.now() + this.linger;
    let saidGoodbye = false;
    const poll = (): void => {
      this.feed();
      if (this.idle() || Date.now() >= deadline) {
        if (saidGoodbye || Date.now() >= deadline) return finish();
        saidGoodbye = true;
        try {
          channel.send(GOODBYE);
        } catch {
          return finish();
        }
      }
      this.lingerTimer = setTimeout(poll, 2);
      this.lingerTimer.unref();
    };
    poll();
  }
}
