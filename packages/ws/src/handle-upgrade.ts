// The upgrade request of a Ws connection accepted on its libuv handle (design note 0020): read
// here, without Node's HTTP server, then handed to `ws` as a plain object with what `ws` reads of
// a request (`method`, `url`, `headers`, `socket`), or, for a listener whose hooks are given the
// request, as Node's `IncomingMessage` ({@link incomingMessage}).
import { IncomingMessage, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { HandshakeReader, WsHandleSocket } from './ws-internals.js';

/** Most bytes a request line and its headers may take (Node's default `maxHeaderSize`). */
export const MAX_REQUEST_BYTES: number = 16 * 1024;

/** What `ws` and the listener read of an upgrade request read on a handle. */
export interface HandleRequest {
  readonly method: string;
  /** The request target, as sent. */
  readonly url: string;
  /** Lower-case names; a repeated header's values joined as Node joins them ({@link addHeader}). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Names and values as sent, one after the other (Node's `rawHeaders`). */
  readonly rawHeaders: readonly string[];
  readonly socket: WsHandleSocket;
}

/** Headers of which Node keeps the first when a request repeats them. */
const FIRST_ONLY = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/** Adds a header as Node's `IncomingMessage.headers` has it: the first of some kept, cookies joined with "; ", the rest with ", ". */
function addHeader(headers: Record<string, string | undefined>, key: string, value: string): void {
  const before = headers[key];
  if (before === undefined) headers[key] = value;
  else if (!FIRST_ONLY.has(key)) headers[key] = `${before}${key === 'cookie' ? '; ' : ', '}${value}`;
}

/** A token (RFC 9110): a method or a header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/1\.1$/;
/** A byte a header value may not hold: a control character other than HTAB. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what it is for
const NOT_IN_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const HEADER_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

/**
 * Reads `head` (a request line and its header lines, CRLF apart, without the empty line that ends
 * them): the request, or why it is malformed. Strict, as Node's parser is by default: HTTP/1.1
 * only, no folded or bare-LF lines, no control characters in values.
 */
export function parseRequest(head: string, socket: WsHandleSocket): HandleRequest | string {
  const lines = head.split('\r\n');
  const line = REQUEST_LINE.exec(lines[0]!);
  if (line === null) return 'a malformed request line';
  const headers: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>;
  const rawHeaders: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const header = lines[i]!;
    const colon = header.indexOf(':');
    const name = header.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(name)) return 'a malformed header line';
    const value = header.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (NOT_IN_VALUE.test(value)) return 'a control character in a header value';
    rawHeaders.push(name, value);
    addHeader(headers, name.toLowerCase(), value);
  }
  return { method: line[1]!, url: line[2]!, headers, rawHeaders, socket };
}

/**
 * `request` as Node's `IncomingMessage` (complete, with no body), for the hooks that are handed
 * it (`authenticate`, `selectProtocol`): its `socket` is the connection's WsHandleSocket.
 */
export function incomingMessage(request: HandleRequest): IncomingMessage {
  const message = new IncomingMessage(request.socket as unknown as Socket);
  message.method = request.method;
  message.url = request.url;
  message.httpVersion = '1.1';
  message.httpVersionMajor = 1;
  message.httpVersionMinor = 1;
  message.headers = request.headers as IncomingHttpHeaders;
  message.rawHeaders = [...request.rawHeaders];
  message.complete = true;
  return message;
}

/** True when `request` asks for an upgrade (an `Upgrade` header, and `upgrade` among the `Connection` tokens), as Node's HTTP server decides. */
export function asksUpgrade(request: HandleRequest): boolean {
  const { connection, upgrade } = request.headers;
  if (upgrade === undefined || connection === undefined) return false;
  return connection.split(',').some((token) => token.trim().toLowerCase() === 'upgrade');
}

/** A request cut by reads: its bytes so far, in a buffer that doubles as they come. */
interface PartialRequest {
  bytes: Buffer;
  length: number;
}

/** What a HandleHandshakes tells its listener. */
export interface HandshakeEvents {
  /** A whole request, and the bytes that followed it in the same reads (the first frames, if any). */
  requested(socket: WsHandleSocket, request: HandleRequest, rest: Buffer): void;
  /** A request that cannot be read: `status` 400 (malformed) or 431 (over {@link MAX_REQUEST_BYTES}). */
  malformed(socket: WsHandleSocket, status: 400 | 431, detail: string): void;
  /** A socket whose upgrade did not complete in time: the listener refuses it (it is destroyed next). */
  expired(socket: WsHandleSocket): void;
}

/** Keeps a socket's errors from crashing the process until `ws` listens to them (or it closes). */
function ignoreError(): void {}

/** A pending socket closed: `this` is the socket. */
function pendingClosed(this: WsHandleSocket): void {
  this.handshake?.forget(this);
}

/**
 * The connections a listener accepted on their handles and has not upgraded yet: each reads its
 * request into here, and is destroyed if not upgraded within `timeoutMs` of its accept. All share
 * one timer: they were accepted in order with the same timeout, so the oldest is the next due.
 */
export class HandleHandshakes implements HandshakeReader {
  /** Each pending socket's deadline (`performance.now()` ms), oldest first. */
  private readonly deadlines = new Map<WsHandleSocket, number>();
  /** Requests cut by reads (rare: most arrive in one). */
  private readonly partial = new Map<WsHandleSocket, PartialRequest>();
  /** Pending sockets whose request was read and answered with a refusal: what they send next is ignored. */
  private readonly answered = new Set<WsHandleSocket>();
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly events: HandshakeEvents,
  ) {}

  /** Sockets accepted and not upgraded yet. */
  get size(): number {
    return this.deadlines.size;
  }

  /** A socket just accepted: its reads come here, its deadline runs. */
  add(socket: WsHandleSocket): void {
    this.deadlines.set(socket, performance.now() + this.timeoutMs);
    socket.handshake = this;
    socket.on('error', ignoreError);
    socket.once('close', pendingClosed);
    this.timer ??= this.arm(this.timeoutMs);
  }

  /** The socket was upgraded (`ws` listens to it now): it is no longer pending. False if it was not (closed, expired). */
  done(socket: WsHandleSocket): boolean {
    if (!this.deadlines.delete(socket)) return false;
    socket.handshake = undefined;
    socket.removeListener('error', ignoreError);
    socket.removeListener('close', pendingClosed);
    return true;
  }

  /** Destroys every pending socket (the listener closes). */
  closeAll(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const sockets = [...this.deadlines.keys()];
    this.deadlines.clear();
    this.partial.clear();
    this.answered.clear();
    for (const socket of sockets) socket.destroy();
  }

  /** A pending socket closed, or expired: it is no longer pending. */
  forget(socket: WsHandleSocket): void {
    this.deadlines.delete(socket);
    this.partial.delete(socket);
    this.answered.delete(socket);
    socket.handshake = undefined;
  }

  /** A read of a pending socket: the request grows; once whole it goes to `requested`. */
  read(socket: WsHandleSocket, chunk: Buffer): void {
    if (this.answered.size > 0 && this.answered.has(socket)) return;
    const cut = this.partial.get(socket);
    let bytes = chunk;
    let from = 0;
    if (cut !== undefined) {
      from = Math.max(0, cut.length - 3);
      if (cut.length + chunk.length > cut.bytes.length) {
        const grown = Buffer.allocUnsafe(Math.max(cut.bytes.length * 2, cut.length + chunk.length));
        cut.bytes.copy(grown, 0, 0, cut.length);
        cut.bytes = grown;
      }
      chunk.copy(cut.bytes, cut.length);
      cut.length += chunk.length;
      bytes = cut.bytes.subarray(0, cut.length);
    }
    const end = bytes.indexOf(HEADER_END, from);
    if (end < 0 ? bytes.length > MAX_REQUEST_BYTES + 3 : end + 4 > MAX_REQUEST_BYTES) {
      this.refused(socket);
      this.events.malformed(socket, 431, `a request over ${MAX_REQUEST_BYTES} bytes`);
      return;
    }
    if (end < 0) {
      // Kept as a copy: the read may be lent (`reuseReceiveBuffer`).
      if (cut === undefined) this.partial.set(socket, { bytes: Buffer.from(chunk), length: chunk.length });
      return;
    }
    this.partial.delete(socket);
    const request = parseRequest(bytes.toString('latin1', 0, end), socket);
    if (typeof request === 'string') {
      this.refused(socket);
      this.events.malformed(socket, 400, request);
      return;
    }
    const rest = end + 4 < bytes.length ? Buffer.from(bytes.subarray(end + 4)) : EMPTY;
    this.events.requested(socket, request, rest);
    if (!this.deadlines.has(socket)) return; // upgraded within the call (`done`), or closed
    // Answered with a refusal (the socket is ended): what the peer sends next is ignored. Else a
    // hook is deciding: nothing more is read until the upgrade (the connection then reads).
    if (socket.writableEnded) this.refused(socket);
    else socket.pause();
  }

  /**
   * The socket's request is refused: it stays pending (counted, and destroyed at its deadline)
   * until the answer is written and it closes; what the peer sends meanwhile is ignored.
   */
  private refused(socket: WsHandleSocket): void {
    this.partial.delete(socket);
    this.answered.add(socket);
  }

  private arm(delay: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(this.expire, Math.max(1, Math.ceil(delay)));
    timer.unref();
    return timer;
  }

  /** The oldest deadline passed: every socket past its own is refused and destroyed; the timer waits for the next. */
  private readonly expire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    for (const [socket, deadline] of this.deadlines) {
      if (deadline > now) {
        this.timer = this.arm(deadline - now);
        return;
      }
      this.forget(socket);
      socket.removeListener('close', pendingClosed);
      this.events.expired(socket);
      socket.destroy();
    }
  };
}
