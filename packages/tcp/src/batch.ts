import type { Socket } from 'node:net';

/** Size of the shared buffer that small writes are copied into. */
const SLAB_SIZE = 64 * 1024;

/**
 * One slab shared by every connection of the process, as Node pools small Buffers: bytes are only
 * ever appended, so a region handed to a socket stays intact until the socket has written it.
 * The connection that appended last owns the tail region; another connection appending first
 * hands that region to its owner's socket.
 */
const pool: { slab: Buffer; used: number; owner: WriteBatch | undefined } = {
  slab: Buffer.allocUnsafe(SLAB_SIZE),
  used: 0,
  owner: undefined,
};

/**
 * Collects the writes of one synchronous run into as few socket writes as possible: small pieces
 * are copied into the shared slab, large ones pass by reference. Everything leaves on the next
 * tick, in order, with the socket corked so that a slab region and a large payload go out in one
 * system call. Costs a connection no memory of its own.
 */
export class WriteBatch {
  private start = 0;
  private scheduled = false;

  constructor(private readonly socket: Socket) {}

  /** Bytes copied into the slab and not yet handed to the socket. */
  get pendingBytes(): number {
    return pool.owner === this ? pool.used - this.start : 0;
  }

  /** Reserves `length` bytes (at most 64 KiB); write them into `target` at the returned offset. */
  reserve(length: number): number {
    this.schedule();
    if (pool.owner !== this) {
      pool.owner?.handOver();
      pool.owner = this;
      this.start = pool.used;
    }
    if (pool.used + length > pool.slab.length) {
      this.handOver();
      pool.slab = Buffer.allocUnsafe(SLAB_SIZE);
      pool.used = 0;
      this.start = 0;
    }
    const offset = pool.used;
    pool.used += length;
    return offset;
  }

  /** The slab that `reserve` offsets point into (valid until the next `reserve`). */
  get target(): Buffer {
    return pool.slab;
  }

  /** Writes `data` by reference, after everything reserved before it. */
  writeDirect(data: Uint8Array): void {
    this.schedule();
    this.handOver();
    this.socket.write(data);
  }

  /** Hands everything to the socket now and uncorks it. */
  readonly flush = (): void => {
    if (!this.scheduled) return;
    this.scheduled = false;
    this.handOver();
    if (pool.owner === this) pool.owner = undefined;
    this.socket.uncork();
  };

  private handOver(): void {
    if (pool.owner !== this || pool.used === this.start) return;
    this.socket.write(pool.slab.subarray(this.start, pool.used));
    this.start = pool.used;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.socket.cork();
    process.nextTick(this.flush);
  }
}
