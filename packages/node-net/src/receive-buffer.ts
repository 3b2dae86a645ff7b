import type { Socket } from 'node:net';
import { BorrowedBytes } from '@message-io/core/adapter';
import { unfilled } from './memory.js';

/**
 * Node's `onread` option of a socket (see `readingSocket` and `takeOverSocket`): `buffer` gives the
 * buffer of each read (a function: asked after every read for the next one), and `callback` is
 * called with what each read got, `this` being the socket (`S`: a `net.Socket`, or for
 * `acceptHandles` any `StreamSocket`, a `HandleSocket` among them).
 */
export interface OnRead<S = Socket> {
  readonly buffer: Uint8Array | (() => Uint8Array);
  callback(this: S, length: number, buffer: Uint8Array): boolean | void;
}

/**
 * One receive buffer for every socket of an adapter that reads with Node's `onread` (pass
 * {@link ReceiveBuffer.next} as `onread.buffer`: Node asks it for the buffer of each next read).
 * Reads happen one at a time and each hands its bytes over before it returns, so one buffer serves
 * every connection; what it holds is lent as {@link BorrowedBytes}. It starts at `first` bytes,
 * made on first use, and is replaced once by one of `max` bytes on the first read that fills it:
 * a process that never receives in bulk keeps the small one. A socket moves to the new buffer on
 * its next read; the old one is left as it is until then, so nothing lent is overwritten early.
 * Design notes 0007 and 0008.
 */
export class ReceiveBuffer {
  private current: Uint8Array | undefined = undefined;

  /** `first` and `max` are sizes in bytes. */
  constructor(
    private readonly first: number,
    private readonly max: number,
  ) {}

  /** The buffer for the next read: Node's `onread.buffer` (a function, so that every socket follows a growth). */
  readonly next = (): Uint8Array => (this.current ??= new Uint8Array(this.first));

  /** To call from `onread.callback` with what it got: grows the buffer once a read filled it. */
  read(length: number, buffer: Uint8Array): void {
    if (length === buffer.byteLength && (this.current?.byteLength ?? 0) < this.max) this.current = new Uint8Array(this.max);
  }
}

/** A buffer that one socket reads into alone: what it holds is handed over as the user's, with no copy. */
class OwnRead extends Uint8Array {}

/**
 * A buffer of a socket's own that its next read fills right after `carried` bytes kept from its
 * previous read (an incomplete frame, see {@link OwnedReads.carry}), in the same memory: the read is
 * handed over with those bytes in front.
 */
class AfterCarry extends OwnRead {
  constructor(
    buffer: ArrayBuffer,
    byteOffset: number,
    length: number,
    readonly carried: number,
  ) {
    super(buffer, byteOffset, length);
  }
}

/** From a read of this many bytes, a socket reads into buffers of its own. */
const OWN_READS_FROM = 64 * 1024;
/** Largest buffer of its own a socket reads into. */
const OWN_READ_MAX = 1024 * 1024;
/** Most bytes {@link OwnedReads.carry} keeps in front of a read. */
const CARRY_MAX = OWN_READ_MAX / 2;
/** Bytes kept where they are need this much room after them (or the rest of their frame); with less, they move. */
const CARRY_ROOM_MIN = 16 * 1024;

/** The size of the block {@link ownRead} drops once: under glibc's 32 MiB cap on its mmap threshold (64-bit). */
const ALLOCATOR_HINT_BYTES = 31 * 1024 * 1024;
let allocatorHinted = false;

/**
 * Done once per process (later calls do nothing), when a socket first reads into memory of its
 * own, and by adapters whose socket library allocates such memory per read (Udp: `dgram` a
 * buffer for each datagram), when they first receive in bulk: allocates a block of
 * 31 MiB, never touched (so never mapped in), and drops it. glibc's `malloc`, on freeing a block
 * it had mapped on its own, raises its mmap threshold to that block's size (up to 32 MiB) and its
 * heap trim threshold to twice that (mallopt(3), "dynamic mmap threshold"). A bulk receiver hands
 * the user a new buffer of up to 1 MiB for every read; without the hint those were mapped on
 * their own until the first one was freed, and the heap was handed back to the system whenever
 * 2 MiB were free at its top, so the memory of the next reads was mapped again and every page of
 * it faulted on first write: 50,000 to 90,000 page faults per GiB received, against about
 * 20,000 with the hint, and a third less CPU for the receive (design note 0016). The cost: up to
 * 62 MiB of freed memory stays with the process for its next allocations. Other allocators
 * ignore it; the block is freed at the next garbage collection.
 */
export function hintAllocator(): void {
  if (allocatorHinted) return;
  allocatorHinted = true;
  unfilled(ALLOCATOR_HINT_BYTES);
}

function ownRead(size: number): OwnRead {
  hintAllocator();
  const memory = unfilled(size);
  return new OwnRead(memory.buffer as ArrayBuffer, memory.byteOffset, size);
}

/**
 * For adapters on Node's `onread` whose users own what they receive (the default): chooses the
 * buffer of each socket's next read. A socket that receives little reads into the shared
 * {@link ReceiveBuffer}, and {@link OwnedReads.take} hands its reads over as `BorrowedBytes`, for the
 * adapter to copy (small reads: small copies). A socket that receives in bulk (a read of 64 KiB or
 * more) then reads into buffers of its own, which `take` hands over as they are, the user's, with
 * no copy: twice its last read, up to 1 MiB, the rest of a buffer serving the next read while it
 * can take 64 KiB. When its reads become small, it returns to the shared buffer. So a quiet
 * connection holds no buffer, and one that went quiet right after a bulk read holds at most one of
 * twice that read. A bulk read that ends within a large frame can keep that frame's first bytes in front
 * of the next read ({@link OwnedReads.carry}), so that the frame ends up whole in one buffer without
 * being copied piece by piece. Use {@link OwnedReads.next} as `onread.buffer` and call `take` first
 * thing in `onread.callback`: Node calls the buffer function right after the callback of the socket
 * that read, so the callback chooses that socket's next buffer (design notes 0010 and 0015).
 */
export class OwnedReads {
  /** The next buffer of the socket that just read, chosen by `take` (or `carry`), given by `next`. */
  private chosen: Uint8Array | undefined = undefined;
  /** The buffer of the read `take` handed over last, when it was one of the socket's own; and that read's length. */
  private lastOwn: OwnRead | undefined = undefined;
  private lastLength = 0;

  /** `shared` serves the sockets that receive little. */
  constructor(private readonly shared: ReceiveBuffer) {}

  /** Node's `onread.buffer`: the buffer `take` chose for the socket that just read, else the shared one. */
  readonly next = (): Uint8Array => {
    const next = this.chosen ?? this.shared.next();
    this.chosen = undefined;
    this.lastOwn = undefined;
    return next;
  };

  /**
   * To call first in `onread.callback` with what it got: the bytes read, as the user's (a read into
   * the socket's own buffer, with what {@link carry} kept in front of it) or as `BorrowedBytes` of
   * the shared buffer (copy what you hand over).
   */
  take(length: number, buffer: Uint8Array): Uint8Array {
    this.lastLength = length;
    if (buffer instanceof OwnRead) {
      this.lastOwn = buffer;
      if (length < OWN_READS_FROM) this.chosen = undefined;
      else if (buffer.byteLength - length < OWN_READS_FROM) this.chosen = ownRead(Math.min(OWN_READ_MAX, 2 * length));
      else this.chosen = new OwnRead(buffer.buffer as ArrayBuffer, buffer.byteOffset + length, buffer.byteLength - length);
      const carried = buffer instanceof AfterCarry ? buffer.carried : 0;
      return new Uint8Array(buffer.buffer as ArrayBuffer, buffer.byteOffset - carried, carried + length);
    }
    this.lastOwn = undefined;
    this.shared.read(length, buffer);
    if (length >= OWN_READS_FROM) this.chosen = ownRead(Math.min(OWN_READ_MAX, 2 * length));
    return new BorrowedBytes(buffer.buffer as ArrayBuffer, buffer.byteOffset, length);
  }

  /**
   * To call from `onread.callback`, after {@link take}, with the end of what `take` returned (an
   * incomplete frame of `frameBytes` in all, as its prefix says): the socket's next read goes
   * right after these bytes, which come first in what `take` returns for it. They stay where they
   * are when they end a buffer of the socket's own with room after them for as many bytes, for
   * the rest of the frame, or for 16 KiB; otherwise they are copied into a new buffer of the
   * socket's own, of twice them or twice the read (up to 1 MiB), whichever is larger: after a
   * bulk read (64 KiB or more, into a buffer of the socket's own) in any case, after another read
   * only when that buffer takes the whole frame. So a frame cut by bulk reads ends up whole in one
   * buffer, its first bytes copied at most once per move; what is held is at most twice what
   * arrived, never a length a peer only declared; and the kept bytes at least double from one
   * move to the next (their copies add up to less than the frame). Returns false, changing
   * nothing, when it does not carry (and for more than 512 KiB kept): the adapter joins the frame
   * itself, in a buffer that grows with the pieces.
   */
  carry(tail: Uint8Array, frameBytes: number): boolean {
    const kept = tail.byteLength;
    if (kept > CARRY_MAX) return false;
    const last = this.lastOwn;
    if (last !== undefined && tail.buffer === last.buffer && tail.byteOffset + kept === last.byteOffset + this.lastLength) {
      const free = last.byteLength - this.lastLength;
      if (free >= kept || free >= Math.min(CARRY_ROOM_MIN, frameBytes - kept)) {
        this.chosen = new AfterCarry(last.buffer as ArrayBuffer, last.byteOffset + this.lastLength, free, kept);
        return true;
      }
    }
    const size = Math.max(2 * kept, Math.min(OWN_READ_MAX, 2 * this.lastLength));
    // Past a bulk read, a new buffer may take a frame in several reads; otherwise only a whole one.
    if (size < frameBytes && (last === undefined || this.lastLength < OWN_READS_FROM)) return false;
    hintAllocator();
    const memory = unfilled(size);
    memory.set(tail);
    this.chosen = new AfterCarry(memory.buffer as ArrayBuffer, memory.byteOffset + kept, size - kept, kept);
    return true;
  }
}
