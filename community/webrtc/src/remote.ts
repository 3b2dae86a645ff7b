import type { Socket } from 'node:net';
import { MessageTooLargeError, PendingStatus, SendStatus, type Remote, type RemoteWatch } from '@message-io/core/adapter';
import type { RTCDataChannel, RTCPeerConnection } from 'werift';
import {
  BATCH,
  BATCH_BYTES,
  CREDIT,
  GOODBYE,
  GOODBYE_WIRE,
  GRANT_BYTES,
  MESSAGE,
  WINDOW_BYTES,
  batch,
  batchBytes,
  batchable,
  credit,
  readCredit,
  single,
  unbatch,
} from './wire.js';

/** How long a peer waits, after its signalling socket closed, for the goodbye before it ends the connection. */
const GOODBYE_GRACE_MS = 250;

/** Connection states: open; closing (the user removed it; what was sent still goes, within the linger); ended. */
const OPEN = 0;
const CLOSING = 1;
const ENDED = 2;

/** Entries of the send backlog taken before it is compacted. */
const COMPACT_AFTER = 1024;

/**
 * One connection: a peer connection and its one ordered, reliable data channel, with a flow control
 * of its own on top (see `wire.ts`): werift's SCTP takes whatever it is given and hands over
 * whatever arrives, so without it a peer that does not read would be sent to until memory ran out.
 */
export class WebRtcRemote implements Remote {
  private watch: RemoteWatch | undefined;
  private channel: RTCDataChannel | undefined;
  private error: Error | undefined;
  private state = OPEN;
  private saidGoodbye = false;
  /** Whether anything came from the peer on the data channel. */
  private heard = false;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  /** The signalling connection, open as long as the connection. */
  private signal: Socket | undefined;

  // Sending. `backlog[backlogHead..]` is what `send` took and the peer has no room for yet: small
  // messages as copies (batched when handed over), others as whole MESSAGE wires.
  private readonly backlog: Buffer[] = [];
  private backlogHead = 0;
  private backlogBytes = 0;
  private feedQueued = false;
  /** Bytes of MESSAGE and BATCH handed to the channel, from the start. */
  private sentBytes = 0;
  /** Bytes of MESSAGE and BATCH the peer lets us send, from the start (its last credit). */
  private peerAllows = WINDOW_BYTES;

  // Receiving. `queue[queueHead..]` arrived while paused (or before `receive`), with, for each, the
  // wire bytes to count as taken once it is handed over (a batch counts with its last message).
  private receiving = false;
  private paused = false;
  private readonly queue: Uint8Array[] = [];
  private readonly queueCredit: number[] = [];
  private queueHead = 0;
  private draining = false;
  /** Bytes of MESSAGE and BATCH that arrived, from the start. */
  private arrivedBytes = 0;
  /** Of them, bytes whose messages the node took. */
  private takenBytes = 0;
  /** The credit last given to the peer. */
  private allowed = WINDOW_BYTES;
  private grantQueued = false;

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
   * Bytes accepted by `send` and not handed to the data channel yet, because the peer has not made
   * room for them. What is handed over (at most `WINDOW_BYTES` ahead of what the peer took) is not
   * counted, as a TCP socket's kernel buffer is not counted in Node's `writableLength`.
   */
  get bufferedBytes(): number {
    return this.backlogBytes;
  }

  /** The signalling socket stays open for the connection's life: its close tells that the peer is gone. */
  watchSignal(socket: Socket): void {
    this.signal = socket;
    socket.on('close', () => {
      if (this.state === ENDED) return;
      if (this.state === CLOSING) return this.finish();
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
    if (this.state === ENDED) watch.closed(this.error);
  }

  /** The data channel, once negotiated: wired, and announced when open. */
  attach(channel: RTCDataChannel): void {
    if (this.state !== OPEN) return;
    this.channel = channel;
    channel.stateChanged.subscribe((state) => {
      if (state === 'open') {
        this.watch?.notify('writable');
        this.feed();
      } else if (state === 'closed') this.end(undefined);
    });
    channel.onMessage.subscribe((data) => this.arrived(data));
    if (channel.readyState === 'open') this.watch?.notify('writable');
  }

  /** Setting up failed (signalling, SDP, ICE): the connection is gone. */
  fail(error: Error): void {
    this.end(error);
  }

  /** The connection ended on its own (peer, failure, protocol error): tells the core, unless the user removed it. */
  private end(error: Error | undefined): void {
    if (this.state === ENDED) return;
    const closing = this.state === CLOSING;
    this.error ??= error;
    this.finish();
    if (!closing) this.watch?.closed(this.error);
  }

  /** Releases everything: timers, queues, the signalling socket and the peer connection. */
  private finish(): void {
    this.state = ENDED;
    clearTimeout(this.lingerTimer);
    clearTimeout(this.graceTimer);
    this.backlog.length = 0;
    this.backlogHead = 0;
    this.backlogBytes = 0;
    this.queue.length = 0;
    this.queueCredit.length = 0;
    this.queueHead = 0;
    this.signal?.destroy();
    void this.pc.close();
  }

  pending(): PendingStatus {
    if (this.state === ENDED) return PendingStatus.Disconnected;
    return this.channel?.readyState === 'open' || this.heard ? PendingStatus.Ready : PendingStatus.Incomplete;
  }

  receive(): void {
    this.receiving = true;
    this.flush();
  }

  private arrived(data: string | Buffer): void {
    if (this.state === ENDED) return;
    if (typeof data === 'string' || data.byteLength === 0) return this.broken('the peer sent a message that is not of this transport');
    if (!this.heard) {
      // werift may hand over what the peer sent before it calls this side's channel open: the
      // peer's channel is open, so this one is (see `pending`).
      this.heard = true;
      this.watch?.notify('writable');
    }
    switch (data[0]) {
      case CREDIT: {
        const total = readCredit(data);
        if (total === undefined) return this.broken('the peer sent a malformed credit');
        if (total > this.peerAllows) {
          this.peerAllows = total;
          this.feed();
        }
        return;
      }
      case GOODBYE:
        if (data.byteLength !== 1) return this.broken('the peer sent a malformed goodbye');
        return this.end(undefined);
      case MESSAGE:
      case BATCH:
        break;
      default:
        return this.broken(`the peer sent a message of an unknown kind (${data[0]})`);
    }
    this.arrivedBytes += data.byteLength;
    if (this.arrivedBytes > this.allowed) return this.broken(`the peer sent past the credit it was given (${this.allowed} bytes)`);
    if (this.state === CLOSING) return; // removed: what arrives now is dropped, and not taken
    if (data[0] === MESSAGE) {
      if (data.byteLength - 1 > this.maxMessageSize) return this.tooLarge(data.byteLength - 1);
      return this.deliver(data.subarray(1), data.byteLength);
    }
    const messages = unbatch(data);
    if (typeof messages === 'string') return this.broken(`the peer sent a malformed batch: ${messages}`);
    for (const message of messages) if (message.byteLength > this.maxMessageSize) return this.tooLarge(message.byteLength);
    const last = messages.length - 1;
    for (let i = 0; i <= last; i++) this.deliver(messages[i]!, i === last ? data.byteLength : 0);
  }

  private broken(reason: string): void {
    this.end(new Error(reason));
  }

  private tooLarge(length: number): void {
    this.end(new MessageTooLargeError(`the peer sent ${length} bytes, over maxMessageSize (${this.maxMessageSize})`));
  }

  /** Hands a message to the core, or keeps it while the core does not take any. */
  private deliver(message: Uint8Array, wireBytes: number): void {
    if (this.state !== OPEN) return;
    if (!this.receiving || this.paused || this.queueHead < this.queue.length || this.watch === undefined) {
      this.queue.push(message);
      this.queueCredit.push(wireBytes);
      return;
    }
    this.hand(message, wireBytes);
  }

  private hand(message: Uint8Array, wireBytes: number): void {
    if (this.watch!.received(message) === false) this.paused = true;
    if (wireBytes === 0) return;
    this.takenBytes += wireBytes;
    if (this.takenBytes + WINDOW_BYTES - this.allowed >= GRANT_BYTES && !this.grantQueued) {
      this.grantQueued = true;
      setImmediate(() => this.grant());
    }
  }

  /** Gives the peer credit for what the node took (once a turn at most, so that grants are few). */
  private grant(): void {
    this.grantQueued = false;
    if (this.state === ENDED || this.channel?.readyState !== 'open') return;
    this.allowed = this.takenBytes + WINDOW_BYTES;
    this.write(credit(this.allowed));
  }

  /** Hands over what was kept, until the consumer says stop. */
  private flush(): void {
    while (this.queueHead < this.queue.length && !this.paused && this.receiving && this.watch !== undefined) {
      const at = this.queueHead++;
      const message = this.queue[at]!;
      const wireBytes = this.queueCredit[at]!;
      this.queue[at] = undefined as never;
      this.hand(message, wireBytes);
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueCredit.length = 0;
      this.queueHead = 0;
    }
  }

  send(data: Uint8Array): SendStatus {
    const entry = batchable(data.byteLength) ? Buffer.from(data) : single(data);
    this.backlog.push(entry);
    this.backlogBytes += data.byteLength;
    if (!this.feedQueued) {
      this.feedQueued = true;
      // At the end of the turn, so that the messages sent in one turn share data-channel messages.
      queueMicrotask(() => {
        this.feedQueued = false;
        this.feed();
      });
    }
    return SendStatus.Sent;
  }

  /** Hands the backlog to the channel as far as the peer's credit goes; tells the core when it fell below the cap. */
  private feed(): void {
    if (this.state === ENDED || this.channel?.readyState !== 'open') return;
    const before = this.backlogBytes;
    const backlog = this.backlog;
    while (this.backlogHead < backlog.length) {
      const head = backlog[this.backlogHead]!;
      const room = this.peerAllows - this.sentBytes;
      if (!batchable(head.byteLength)) {
        // A whole MESSAGE wire (kind byte included).
        if (head.byteLength > room) break;
        this.take(1, head.byteLength - 1);
        if (!this.write(head)) return;
        this.sentBytes += head.byteLength;
        continue;
      }
      let end = this.backlogHead;
      let bytes = 1;
      let userBytes = 0;
      while (end < backlog.length && batchable(backlog[end]!.byteLength)) {
        const next = bytes + batchBytes(backlog[end]!.byteLength);
        if (next > room || next > BATCH_BYTES) break;
        bytes = next;
        userBytes += backlog[end]!.byteLength;
        end++;
      }
      if (end === this.backlogHead) break; // no room for even one: wait for credit
      const wire = batch(backlog, this.backlogHead, end, bytes);
      this.take(end - this.backlogHead, userBytes);
      if (!this.write(wire)) return;
      this.sentBytes += bytes;
    }
    if (this.backlogHead === backlog.length) {
      backlog.length = 0;
      this.backlogHead = 0;
    } else if (this.backlogHead >= COMPACT_AFTER && this.backlogHead * 2 >= backlog.length) {
      backlog.splice(0, this.backlogHead);
      this.backlogHead = 0;
    }
    if (this.backlogBytes < before && this.backlogBytes < this.maxBufferedBytes) this.watch?.notify('writable');
    if (this.state === CLOSING && this.backlogHead === backlog.length) this.sayGoodbye();
  }

  /** Drops `count` entries from the head of the backlog, `userBytes` of user messages in all. */
  private take(count: number, userBytes: number): void {
    const backlog = this.backlog;
    for (let i = 0; i < count; i++) backlog[this.backlogHead++] = undefined as never;
    this.backlogBytes -= userBytes;
  }

  /** Sends one data-channel message; `false` (and the connection ended) when werift refuses it. */
  private write(wire: Buffer): boolean {
    try {
      this.channel!.send(wire);
      return true;
    } catch (error) {
      this.end(error as Error);
      return false;
    }
  }

  /** The channel has no receive flow control of its own: arrivals are kept here (at most the credit given) while paused. */
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

  /**
   * Removed by the user: what `send` took still goes as the peer's credit lets it, then the goodbye;
   * the peer ends the connection on it, which closes this side. All of it within the linger, after
   * which everything is released whatever is left.
   */
  close(): void {
    this.watch = undefined;
    this.queue.length = 0;
    this.queueCredit.length = 0;
    this.queueHead = 0;
    if (this.state !== OPEN) return;
    if (this.channel?.readyState !== 'open' || this.error !== undefined) return this.finish();
    this.state = CLOSING;
    clearTimeout(this.graceTimer);
    this.lingerTimer = setTimeout(() => this.finish(), this.linger);
    this.lingerTimer.unref();
    if (this.backlogHead === this.backlog.length) this.sayGoodbye();
    else this.feed();
  }

  private sayGoodbye(): void {
    if (this.saidGoodbye) return;
    this.saidGoodbye = true;
    this.write(GOODBYE_WIRE);
  }
}
