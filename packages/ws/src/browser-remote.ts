import { MessageTooLargeError, PendingStatus, SendStatus, type Remote, type RemoteWatch } from '@message-io/core/adapter';

/**
 * The part of the browser's `WebSocket` that the browser client uses. Declared here, so that the
 * package compiles without the DOM library and this file cannot lean on Node's types by accident.
 */
export interface NativeWebSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  /** The subprotocol the server chose, `''` for none. */
  readonly protocol: string;
  binaryType: string;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string; readonly wasClean: boolean }) => void) | null;
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
}

/** `new WebSocket(url, protocols)`, as browsers (and Deno, Bun, Node 22) provide it. */
export type NativeWebSocketConstructor = new (url: string, protocols?: string[]) => NativeWebSocket;

// The states of the browser's WebSocket (its `readyState`, which is the state machine here): connecting,
// open, closing; 3 is closed.
const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
/** Close code sent for an incoming message over `maxPayload`: a page may send only 1000 and 3000-4999, so 1009 + 3000. */
export const CLOSE_TOO_LARGE = 4009;
/** How often the buffered amount is checked while a connection is past half its cap. */
const DRAIN_POLL_MS = 10;

const encoder = new TextEncoder();
/** Text messages kept before `receive`, to be flagged when handed over. */
const earlyText = new WeakSet<Uint8Array>();

/**
 * One Ws connection on the browser's `WebSocket`. Binary messages arrive as views of their
 * ArrayBuffer, text as its UTF-8 bytes. The browser has no drain event: past half of
 * `maxBufferedBytes`, `bufferedAmount` is polled until it falls below half, and then the core
 * hears `writable`.
 */
export class BrowserWsRemote implements Remote {
  private watch: RemoteWatch | undefined;
  private early: Uint8Array[] | undefined = [];
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  /** Takes a `WebSocket` that was just created (still connecting). */
  constructor(
    private readonly ws: NativeWebSocket,
    private readonly maxPayload: number,
    private readonly cap: number,
  ) {
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event) => this.onMessage(event.data);
    ws.onclose = (event) => {
      this.stopDrainWatch();
      const error = event.wasClean ? undefined : new Error(`the WebSocket closed abnormally (code ${event.code})`);
      this.watch?.closed(error);
    };
  }

  /** The connection's largest message, from `maxPayload`. */
  get maxMessageSize(): number {
    return this.maxPayload;
  }

  /** The subprotocol the server chose, if any. */
  get protocol(): string | undefined {
    return this.ws.protocol === '' ? undefined : this.ws.protocol;
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  source(watch: RemoteWatch): void {
    this.watch = watch;
    this.ws.onopen = () => watch.notify('writable');
  }

  pending(): PendingStatus {
    const state = this.ws.readyState;
    if (state === OPEN) return PendingStatus.Ready;
    return state === CONNECTING ? PendingStatus.Incomplete : PendingStatus.Disconnected;
  }

  receive(): void {
    const early = this.early ?? [];
    this.early = undefined;
    for (const data of early) this.watch?.received(data, earlyText.has(data) || undefined);
  }

  send(data: Uint8Array): SendStatus {
    if (this.ws.readyState !== OPEN) return SendStatus.ResourceNotFound;
    this.ws.send(data);
    if (this.ws.bufferedAmount >= this.cap / 2) this.watchDrain();
    return SendStatus.Sent;
  }

  /** Sends `text` as one text message (the browser frames it). */
  sendText(text: string): SendStatus {
    if (this.ws.readyState !== OPEN) return SendStatus.ResourceNotFound;
    this.ws.send(text);
    if (this.ws.bufferedAmount >= this.cap / 2) this.watchDrain();
    return SendStatus.Sent;
  }

  close(): void {
    this.shutdown(1000);
  }

  /** One message: kept until `receive`, then to the core; dropped once closed (no watch then). */
  private deliver(data: Uint8Array, text: boolean): void {
    if (this.early !== undefined) {
      if (text) earlyText.add(data);
      this.early.push(data);
    } else this.watch?.received(data, text || undefined);
  }

  private onMessage(data: unknown): void {
    const bytes = typeof data === 'string' ? encoder.encode(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : undefined;
    if (bytes === undefined) return;
    if (bytes.byteLength <= this.maxPayload) return this.deliver(bytes, typeof data === 'string');
    const watch = this.watch;
    this.shutdown(CLOSE_TOO_LARGE, 'message over maxPayload');
    watch?.closed(new MessageTooLargeError(`the peer sent a message of ${bytes.byteLength} bytes, over maxPayload (${this.maxPayload})`));
  }

  /** Stops every callback and sends Close; the browser sends it after what is queued and ends the connection itself. */
  private shutdown(code: number, reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.watch = undefined;
    this.early = undefined;
    this.stopDrainWatch();
    if (this.ws.readyState < CLOSING) this.ws.close(code, reason);
  }

  private watchDrain(): void {
    if (this.drainTimer !== undefined || this.closed) return;
    this.drainTimer = setTimeout(this.checkDrain, DRAIN_POLL_MS);
  }

  private readonly checkDrain = (): void => {
    this.drainTimer = undefined;
    if (this.closed) return;
    if (this.ws.bufferedAmount < this.cap / 2) this.watch?.notify('writable');
    else this.watchDrain();
  };

  private stopDrainWatch(): void {
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }
}
