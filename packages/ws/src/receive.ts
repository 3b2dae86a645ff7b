import type { WebSocket } from 'ws';
import { BorrowedBytes, HeldRest, type HeldRestOwner } from '@message-io/core/adapter';
import { joinPiece, keepJoined } from '@message-io/node-net';
import { nativeUnmask } from './frame.js';
import { bufferOf, frameHeader, HeldFrame } from './held-frame.js';
import { interceptReceiver, receiverDone, receiverOf, writeToReceiver, type WsReceiver as BaseReceiver } from './ws-internals.js';

/** Where a receiver keeps its FastReceive. */
const kFast = Symbol('message-io.ws.fast-receive');

/** `ws`'s Receiver, tagged with the FastReceive in front of it. */
type WsReceiver = BaseReceiver & { [kFast]?: FastReceive };

/** Where the fast path hands each received binary message. */
export interface FrameTarget {
  /**
   * One whole binary message: the user's (a view of a read no one reads into again), or, when the
   * listener opted in to lending, `BorrowedBytes` valid during the call. A fragmented message is
   * joined into a buffer of its own, never lent.
   */
  deliver(data: Uint8Array): void;
  /**
   * True once a message handed over (by `deliver`, or by `ws` for a text frame) made the node say
   * stop (its consumer is behind), until the node reads again: the fast path then keeps the rest
   * of the read and hands nothing more over until {@link FastReceive.resume}.
   */
  readonly stopped: boolean;
  /** The rest kept at a stop is all handed over: read from the socket again. */
  readAgain(): void;
}

/** Put in place of the receiver's `write` (one function for every connection). */
function fastWrite(this: WsReceiver, chunk: Buffer): boolean {
  return this[kFast]!.write(chunk);
}

/** From this size the payload is unmasked by bufferutil, when it is installed. */
const NATIVE_UNMASK_FROM = 128;
/** Largest frame header: 2 bytes, an 8-byte length, a 4-byte masking key. */
const MAX_HEADER = 14;
const EMPTY = Buffer.alloc(0);

/** Bytes of a frame header, from its second byte (length field and mask bit). */
function headerLengthOf(b1: number): number {
  const length7 = b1 & 0x7f;
  return 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
}
/** The masking key handed to bufferutil, filled before each (synchronous) call; also used by the JS loop. */
const maskKey = Buffer.alloc(4);

// What a frame's header says, and what to do with the frame (a Kind):
/** A final, uncompressed binary frame of the expected masking, within maxPayload: ours. */
const DATA = 0;
/** A control frame or a final text frame: handed whole to `ws` (Pong, Close, UTF-8 checks). */
const FORWARD = 1;
/**
 * A frame of a fragmented message (binary or text): its payload is joined here into the
 * message, which is ours once whole if binary, or handed to `ws` as one final text frame.
 */
const FRAGMENT = 2;
// Anything else (bad bits, oversize, a fragment out of place): PASSING, `ws` takes the rest of
// the stream and ends the connection at that frame's header.
type Kind = typeof DATA | typeof FORWARD | typeof FRAGMENT;

// Where the stream goes (a Mode):
/** Frames are split here. */
const FAST = 0;
/** `ws` takes the rest of the stream. */
const PASSING = 1;
/** `ws` has closed or failed: the rest is dropped, as `ws` would. */
const STOPPED = 2;
type Mode = typeof FAST | typeof PASSING | typeof STOPPED;

/**
 * A faster receive path for Ws: the frames that make up nearly all traffic (final binary frames,
 * no compression) are split and unmasked here, in place, and handed over as views of the received
 * chunk when they lie in one (no copy). Control frames and text go to `ws`'s own receiver, each
 * frame whole and in order, so that `ws` keeps doing what it does well: Ping/Pong, the closing
 * handshake, UTF-8 checks of text, and each protocol error with its close code. At the first frame
 * `ws` would refuse (a reserved bit, a wrong mask bit, a length over `maxPayload`, a fragment out
 * of place), `ws` takes the rest of the stream, from that frame's first byte, and ends the connection.
 *
 * Memory stays in proportion to the bytes a peer sends, however it cuts them:
 * - a fragmented message is joined here, into one buffer that grows with its bytes (to at most
 *   twice them), whatever the number of fragments: a peer sending a message as thousands of
 *   one-byte fragments costs about their payload, where `ws` would keep an object for each
 *   fragment. A binary one is ours once whole; a text one goes to `ws` as one final frame. Should
 *   `ws` have to take over in the middle of such a message, it is first given what was joined as
 *   one fragment, so that it judges the next frame as if it had seen every fragment;
 * - a frame over several reads is held in a {@link HeldFrame} (or, lent, joined with node-net's
 *   `joinPiece`), never as a read per piece, and until it takes the stream `ws` is only given
 *   whole frames, so its own receiver never keeps a read per byte either.
 *
 * It sits in front of the receiver's `write`, the one door `ws` feeds the socket's bytes through
 * (also the last ones, at close), so nothing reaches `ws` out of order. Installed only when the
 * connection is open, uncompressed, and the receiver has no byte yet; otherwise (or with a `ws`
 * that has no such receiver) `ws` keeps the whole stream, as before.
 */
export class FastReceive implements HeldRestOwner {
  private mode: Mode = FAST;
  /** What a stop left (core's `HeldRest`), until the node reads again. */
  private rest: HeldRest | undefined = undefined;
  /** Header bytes of a frame cut by a chunk boundary (made the first time one is). */
  private header: Buffer | undefined = undefined;
  private headerBytes = 0;
  // The frame being received across chunks.
  private kind: Kind = DATA;
  private expected = -1;
  private received = 0;
  /** The bytes so far of a control, text or (not lent) binary frame over several chunks; made on first use. */
  private held: HeldFrame | undefined = undefined;
  /** A binary frame over lent chunks, joined as its pieces come (node-net's `joinPiece`; instead of `held`). */
  private joined: Uint8Array | undefined = undefined;
  /** The frame is the last of its message (FIN). */
  private final = false;
  /** The opcode of the fragmented message being received (1 text, 2 binary); 0 when none is. */
  private messageOpcode = 0;
  /** The payload of the fragmented message so far (made on its first byte), `messageLength` bytes filled. */
  private message: Uint8Array | undefined = undefined;
  private messageLength = 0;
  /** The most bytes the fragmented message can reach: its end once its last fragment has begun, else `maxPayload`. */
  private messageLimit = 0;
  /** The frame's masking key, big-endian, as a 32-bit integer. */
  private mask = 0;
  private maskAt = 0;

  private constructor(
    private readonly receiver: WsReceiver,
    private readonly maxPayload: number,
    private readonly expectMasked: boolean,
    private readonly target: FrameTarget,
    private readonly lend: boolean,
  ) {}

  /**
   * Installs the fast path on an open `ws` connection. `expectMasked` is true on the server side
   * (clients mask their frames). `lend`: the chunks it will be given are lent (a receive buffer
   * read into again): it then keeps copies of what it holds across chunks or hands to `ws`, and
   * delivers `BorrowedBytes`. Returns undefined, changing nothing, when it cannot be installed.
   */
  static install(ws: WebSocket, maxPayload: number, expectMasked: boolean, target: FrameTarget, lend: boolean): FastReceive | undefined {
    const receiver: WsReceiver | undefined = receiverOf(ws);
    if (receiver === undefined) return undefined;
    const fast = new FastReceive(receiver, maxPayload, expectMasked, target, lend);
    receiver[kFast] = fast;
    interceptReceiver(receiver, fastWrite);
    return fast;
  }

  /**
   * Messages (a frame, or all the fragments of one message) whose receiving began here and did not
   * end within the chunk they began in: with {@link messageInProgress}, what `messageTimeout` watches.
   */
  messagesBegun = 0;

  /** True while a message is partly received here (a header, a frame or a fragmented message cut by a chunk boundary). */
  get messageInProgress(): boolean {
    return this.mode === FAST && (this.headerBytes > 0 || this.expected >= 0 || this.messageOpcode !== 0);
  }

  /** True once `ws` takes the rest of the stream (a method may have just decided it). */
  private get passing(): boolean {
    return this.mode === PASSING;
  }

  /** True while a stop's rest waits for the node to read again. */
  get holding(): boolean {
    return this.rest?.holding === true;
  }

  /** The node said stop again before the rest was handed over. */
  pause(): void {
    this.rest?.pause();
  }

  /** The node reads again: the rest is handed over on a later turn, then the target reads again. */
  resume(): void {
    this.rest?.resume();
  }

  /** The connection closed: what a stop left is dropped (nothing is delivered after `remove()`). */
  drop(): void {
    const rest = this.rest;
    this.rest = undefined;
    rest?.drop();
  }

  /** HeldRestOwner: decodes what a stop left (memory of its own). */
  decodeHeld(bytes: Uint8Array): void {
    this.rest = undefined;
    this.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** HeldRestOwner: all of it is handed over. */
  readAgain(): void {
    if (!this.holding && this.mode !== STOPPED) this.target.readAgain();
  }

  /**
   * The node said stop after a frame that ends at `offset` (a frame boundary): keeps the rest of
   * `chunk` (a copy if lent) until it reads again. False: the socket pauses.
   */
  private stop(chunk: Buffer, offset: number): boolean {
    const rest = new HeldRest(this);
    this.rest = rest;
    rest.keep(chunk.subarray(offset), this.lend);
    return false;
  }

  /** Takes one chunk of the socket's bytes. Returns what `ws`'s receiver would: false to pause. */
  write(chunk: Buffer): boolean {
    if (this.rest?.holding) {
      this.rest.keep(chunk, this.lend);
      return false;
    }
    if (this.passing) return this.forward(chunk);
    if (this.mode === STOPPED) return true;
    let offset = 0;
    const end = chunk.length;
    if (this.expected >= 0) offset = this.continueFrame(chunk, 0);
    else if (this.headerBytes > 0) {
      offset = this.completeHeader(chunk);
      if (offset < 0) return true;
      if (this.passing) return this.pass(this.header!.subarray(0, this.headerBytes), chunk.subarray(offset));
      this.headerBytes = 0;
      offset = this.continueFrame(chunk, offset);
    }
    while (offset < end && this.mode === FAST) {
      // Between frames here: the node may have said stop after the last one.
      if (this.target.stopped) return this.stop(chunk, offset);
      if (end - offset < 2) {
        this.saveHeader(chunk, offset);
        return true;
      }
      const b0 = chunk[offset]!;
      const b1 = chunk[offset + 1]!;
      const headerLength = headerLengthOf(b1);
      if (end - offset < headerLength) {
        this.saveHeader(chunk, offset);
        return true;
      }
      const length = this.parseHeader(chunk, offset, b0, b1);
      if (this.passing) return this.forward(chunk.subarray(offset));
      const start = offset;
      offset += headerLength;
      if (end - offset >= length) {
        // The whole frame is in this chunk.
        if (this.kind === DATA) {
          const payload = chunk.subarray(offset, offset + length);
          if (this.expectMasked) this.unmask(payload);
          offset += length;
          this.target.deliver(length === 0 ? EMPTY : this.lend ? new BorrowedBytes(payload.buffer as ArrayBuffer, payload.byteOffset, length) : payload);
        } else if (this.kind === FRAGMENT) {
          const payload = chunk.subarray(offset, offset + length);
          if (this.expectMasked) this.unmask(payload);
          offset += length;
          if (length > 0) this.appendToMessage(payload);
          this.endFragment();
        } else {
          offset += length;
          this.forwardFrame(chunk.subarray(start, offset));
        }
        continue;
      }
      // The frame goes on in the next chunks.
      if (this.messageOpcode === 0) this.messagesBegun++;
      this.beginFrame(length, chunk.subarray(start, offset));
      offset = this.continueFrame(chunk, offset);
    }
    return this.mode !== FAST || !this.target.stopped || this.stop(chunk, offset);
  }

  /** Reads a header that lies whole at `chunk[at]`; sets kind, mask; returns the payload length. */
  private parseHeader(chunk: Buffer, at: number, b0: number, b1: number): number {
    const length7 = b1 & 0x7f;
    let length = length7;
    let next = at + 2;
    if (length7 === 126) {
      length = chunk.readUInt16BE(next);
      next += 2;
    } else if (length7 === 127) {
      const high = chunk.readUInt32BE(next);
      // Above 2^53 - 1 cannot be a JavaScript length: `ws` answers it.
      length = high > 0x1fffff ? Number.MAX_SAFE_INTEGER + 1 : high * 2 ** 32 + chunk.readUInt32BE(next + 4);
      next += 8;
    }
    this.maskAt = 0;
    const masked = (b1 & 0x80) !== 0;
    const final = (b0 & 0x80) !== 0;
    const plain = (b0 & 0x70) === 0 && masked === this.expectMasked;
    const kind = plain ? this.kindOf(b0 & 0x0f, final, length) : undefined;
    if (kind === undefined) {
      this.startPassing();
      return 0;
    }
    this.kind = kind;
    this.final = final;
    // Frames taken here are masked as expected: `expectMasked` tells which to unmask.
    if (masked) this.mask = chunk.readInt32BE(next);
    return length;
  }

  /**
   * What to do with a frame whose reserved and mask bits are as expected, given the fragmented
   * message in progress (begun here, when this is its first fragment); undefined when `ws` would
   * refuse the frame at its header.
   */
  private kindOf(opcode: number, final: boolean, length: number): Kind | undefined {
    if (opcode >= 8) return opcode <= 10 && final && length <= 125 ? FORWARD : undefined;
    if (this.messageOpcode !== 0) {
      // Within a fragmented message, only its continuations, up to maxPayload in all.
      if (opcode !== 0 || this.messageLength + length > this.maxPayload) return undefined;
      this.messageLimit = final ? this.messageLength + length : this.maxPayload;
      return FRAGMENT;
    }
    if ((opcode !== 1 && opcode !== 2) || length > this.maxPayload) return undefined;
    if (final) return opcode === 2 ? DATA : FORWARD;
    this.messagesBegun++;
    this.messageOpcode = opcode;
    this.messageLimit = this.maxPayload;
    return FRAGMENT;
  }

  /**
   * From this frame on, `ws` takes the stream. In the middle of a fragmented message, it first
   * gets the message so far as one fragment (made here): it then judges the next frame exactly as
   * if it had received every fragment itself.
   */
  private startPassing(): void {
    this.mode = PASSING;
    const opcode = this.messageOpcode;
    if (opcode === 0) return;
    const payload = this.takeMessage();
    this.forward(frameHeader(false, opcode, payload.length, this.expectMasked), false);
    if (payload.length > 0) this.forward(payload, false);
  }

  /** Appends a piece of a fragment's payload (unmasked) to the fragmented message: node-net's `joinPiece`, a buffer of its own. */
  private appendToMessage(piece: Buffer): void {
    this.message = joinPiece(this.message, this.messageLength, this.messageLimit, piece, false);
    this.messageLength += piece.length;
  }

  /** The fragmented message so far, as a view of its exact length; no message is in progress after. */
  private takeMessage(): Buffer {
    const message = this.message;
    const length = this.messageLength;
    this.message = undefined;
    this.messageLength = 0;
    this.messageOpcode = 0;
    return message === undefined ? EMPTY : bufferOf(message, length);
  }

  /** A fragment is complete: after the last one, the message is ours (binary) or `ws`'s, as one final frame (text). */
  private endFragment(): void {
    if (!this.final) return;
    const opcode = this.messageOpcode;
    const message = this.takeMessage();
    if (opcode === 2) {
      this.target.deliver(message);
      return;
    }
    this.forward(frameHeader(true, opcode, message.length, this.expectMasked), false);
    if (message.length > 0) this.forward(message, false);
    this.stopIfDone();
  }

  /** Takes the next bytes of a frame cut by a chunk boundary; returns the offset after them. */
  private continueFrame(chunk: Buffer, offset: number): number {
    if (this.expected < 0) return offset;
    const take = Math.min(this.expected - this.received, chunk.length - offset);
    const piece = chunk.subarray(offset, offset + take);
    const kind = this.kind;
    if (kind !== FORWARD && this.expectMasked) this.unmask(piece);
    if (take > 0) {
      if (kind === FRAGMENT) this.appendToMessage(piece);
      else if (this.lend && kind === DATA) this.joined = joinPiece(this.joined, this.received, this.expected, piece);
      else (this.held ??= new HeldFrame()).add(piece, this.expected, !this.lend);
    }
    this.received += take;
    offset += take;
    if (this.received < this.expected) return offset;
    if (kind === FRAGMENT) {
      this.expected = -1;
      this.received = 0;
      this.endFragment();
      return offset;
    }
    const joined = this.joined;
    if (joined !== undefined) {
      const length = this.expected;
      this.joined = undefined;
      this.expected = -1;
      this.received = 0;
      this.target.deliver(new BorrowedBytes(joined.buffer as ArrayBuffer, joined.byteOffset, length));
      keepJoined(joined);
      return offset;
    }
    const frame = this.held?.take() ?? EMPTY;
    this.expected = -1;
    this.received = 0;
    // A frame over several chunks was copied if they are lent: `ws` may keep it as it is.
    if (kind === DATA) this.target.deliver(frame);
    else this.forwardFrame(frame, false);
    return offset;
  }

  /** Hands one whole control or text frame to `ws` (a copy if `copy`); stops when `ws` has closed or failed. */
  private forwardFrame(frame: Buffer, copy = this.lend): void {
    this.forward(frame, copy);
    this.stopIfDone();
  }

  /** After a Close frame or a protocol error, `ws` reads nothing more: neither do we. */
  private stopIfDone(): void {
    if (receiverDone(this.receiver)) {
      this.mode = STOPPED;
      this.held = undefined;
      this.message = undefined;
    }
  }

  /** Keeps the first bytes of a header cut by a chunk boundary. */
  private saveHeader(chunk: Buffer, offset: number): void {
    if (this.messageOpcode === 0) this.messagesBegun++;
    chunk.copy((this.header ??= Buffer.alloc(MAX_HEADER)), 0, offset);
    this.headerBytes = chunk.length - offset;
  }

  /**
   * Completes a saved header from `chunk`; returns the offset in `chunk` after the header, or -1
   * if the chunk ended first. Begins the frame, whose payload `write` then takes.
   */
  private completeHeader(chunk: Buffer): number {
    const header = this.header!;
    let used = 0;
    const fill = (count: number): boolean => {
      if (this.headerBytes >= count) return true;
      const take = Math.min(count - this.headerBytes, chunk.length - used);
      chunk.copy(header, this.headerBytes, used, used + take);
      this.headerBytes += take;
      used += take;
      return this.headerBytes === count;
    };
    if (!fill(2)) return -1;
    const b1 = header[1]!;
    const headerLength = headerLengthOf(b1);
    if (!fill(headerLength)) return -1;
    const length = this.parseHeader(header, 0, header[0]!, b1);
    // The header buffer is reused: a Forward frame keeps a copy of its bytes (HeldFrame copies small pieces).
    if (!this.passing) this.beginFrame(length, header.subarray(0, headerLength));
    return used;
  }

  /**
   * Starts a frame that goes on past this chunk (its payload, even empty, comes through
   * `continueFrame`); a Forward frame keeps its `header` bytes, to hand `ws` the whole frame.
   */
  private beginFrame(length: number, header: Buffer): void {
    this.expected = length;
    this.received = 0;
    if (this.kind !== FORWARD) return;
    this.expected += header.length;
    this.received = header.length;
    (this.held ??= new HeldFrame()).add(header, this.expected, false);
  }

  /** From now on `ws` takes the stream: the bytes of the frame so far, then everything after. */
  private pass(header: Buffer, rest: Buffer): boolean {
    this.headerBytes = 0;
    this.forward(Buffer.from(header));
    return rest.length > 0 ? this.forward(rest) : true;
  }

  /**
   * Hands bytes to `ws`'s receiver, through its own `write` (`fastWrite` is in front of it); a copy
   * when `copy` (lent bytes, by default), since `ws` may keep them.
   */
  private forward(chunk: Buffer, copy = this.lend): boolean {
    return writeToReceiver(this.receiver, copy ? Buffer.from(chunk) : chunk);
  }

  /** Unmasks `piece` in place, going on from where the frame's previous piece stopped. */
  private unmask(piece: Buffer): void {
    const length = piece.length;
    const at = this.maskAt;
    // The key turned so that its first byte applies to the piece's first byte.
    const shift = (at & 3) * 8;
    const mask = shift === 0 ? this.mask : (this.mask << shift) | (this.mask >>> (32 - shift));
    const key = maskKey;
    key[0] = mask >>> 24;
    key[1] = mask >>> 16;
    key[2] = mask >>> 8;
    key[3] = mask;
    if (nativeUnmask !== undefined && length >= NATIVE_UNMASK_FROM) nativeUnmask(piece, key);
    else for (let i = 0; i < length; i++) piece[i] = piece[i]! ^ key[i & 3]!;
    this.maskAt = (at + length) & 3;
  }
}
