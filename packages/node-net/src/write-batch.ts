// A helper for adapters over stream sockets: it turns many small sends into few socket writes.
// It needs only a sink with `write`, `cork` and `uncork`, which every Node stream has.
import { unfilled } from './memory.js';
import { giveBackBuffer, takeBuffer } from './spare-buffers.js';

/** What a {@link WriteBatch} writes to: a Node `net.Socket`, a TLS socket, any Writable stream. */
export interface BatchSink {
  /** Queues bytes, in order; `callback` runs once they are written. The sink may keep `chunk` until then. */
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): unknown;
  /** Holds writes back until `uncork`. */
  cork(): void;
  /** Lets the writes held since `cork` go, in as few system calls as the sink can. */
  uncork(): void;
}

/** Size of the shared buffer that small writes are copied into. */
const SLAB_SIZE = 64 * 1024;

/**
 * Up to this size (4 KiB) an adapter copies a message, with its framing, into the batch's slab
 * (`reserve`, `commit`), so that many small messages leave in one write; larger ones go through
 * `writeCopy` (a buffer used again once written). Either way the caller may reuse its buffer as
 * soon as `send` returns. One value for every adapter, so that they batch alike.
 */
export const BATCH_COPY_LIMIT = 4096;

type AnyBatch = WriteBatch<BatchSink>;

/** Runs `flush(batch)` once the current synchronous run is over: Node's next tick, or a microtask elsewhere. */
const nextTick: (flush: (batch: AnyBatch) => void, batch: AnyBatch) => void = (() => {
  const proc = (globalThis as { process?: { nextTick?: (fn: (batch: AnyBatch) => void, batch: AnyBatch) => void } }).process;
  return typeof proc?.nextTick === 'function' ? proc.nextTick.bind(proc) : (flush, batch) => queueMicrotask(() => flush(batch));
})();

/** The end of a run, scheduled by {@link nextTick} without a closure per batch. */
function flushBatch(batch: AnyBatch): void {
  batch.flush();
}

/**
 * One slab shared by every batch of the process, as Node pools small Buffers: bytes are only ever
 * appended, so a region handed to a sink stays intact until the sink has written it. The batch
 * that appended last owns the tail region (from `start` to `used`); another batch appending first
 * hands that region to its owner's sink.
 */
const pool: { slab: Uint8Array; used: number; start: number; owner: WriteBatch<BatchSink> | undefined } = {
  slab: unfilled(SLAB_SIZE),
  used: 0,
  start: 0,
  owner: undefined,
};

/** Nothing written in this synchronous run yet. */
const IDLE = 0;
/** One piece already left at once in this run; a second one corks the sink. */
const WROTE_ONE = 1;
/** The sink is corked until the end of the run. */
const CORKED = 2;
type RunState = typeof IDLE | typeof WROTE_ONE | typeof CORKED;

/**
 * Collects the writes of one connection during one synchronous run into as few sink writes as
 * possible, without delaying a lone message:
 *
 * - the first piece of a run is written at once (a lone message costs no added latency);
 * - from the second piece on, the sink is corked and pieces wait until the end of the run (Node's
 *   next tick), then leave together, in order;
 * - small pieces are copied into a 64 KiB slab shared by every connection of the process, so the
 *   caller may reuse its buffer at once and a connection costs no buffer of its own; large pieces
 *   pass by reference ({@link WriteBatch.writeDirect}).
 *
 * To write a small piece: `const at = batch.reserve(n)`, fill `batch.target` from `at` to
 * `at + n`, then `batch.commit()`. Nothing else may touch the batch between the three calls.
 *
 * A batch holds two fields (its sink and its state): a connection object may extend it rather
 * than own one, to save an object per connection.
 */
export class WriteBatch<S extends BatchSink = BatchSink> {
  /** IDLE, or the run goes on and its end (`flush`) is scheduled. */
  private state: RunState = IDLE;

  /** Makes a batch writing to `sink` (one per connection). */
  constructor(protected readonly sink: S) {}

  /** Bytes copied into the slab and not yet handed to the sink. */
  get pendingBytes(): number {
    return pool.owner === this ? pool.used - pool.start : 0;
  }

  /**
   * Reserves `length` bytes (at most 64 KiB) for one piece and returns their offset in
   * {@link WriteBatch.target}. Call {@link WriteBatch.commit} once they are filled.
   */
  reserve(length: number): number {
    if (pool.owner !== this) {
      pool.owner?.handOver();
      pool.owner = this;
      pool.start = pool.used;
    }
    if (pool.used + length > pool.slab.length) {
      this.handOver();
      pool.slab = unfilled(Math.max(SLAB_SIZE, length));
      pool.used = 0;
      pool.start = 0;
    }
    const offset = pool.used;
    pool.used += length;
    return offset;
  }

  /** The slab that `reserve` offsets point into (valid until the next `reserve`). */
  get target(): Uint8Array {
    return pool.slab;
  }

  /** Ends the piece reserved last: it leaves at once if it is the first of this run. */
  commit(): void {
    if (this.state === IDLE) {
      this.handOver();
      this.state = WROTE_ONE;
      nextTick(flushBatch, this);
    } else if (this.state === WROTE_ONE) this.corkRun();
  }

  /**
   * Writes `data` by reference after everything reserved before it (a reserved prefix and `data`
   * leave in one system call); `callback` runs once it is written. The sink keeps `data` until
   * then: the caller must not change it.
   */
  writeDirect(data: Uint8Array, callback?: (error?: Error | null) => void): void {
    if (this.state !== CORKED) this.corkRun();
    this.handOver();
    this.sink.write(data, callback);
  }

  /**
   * Writes `data` by reference, as {@link WriteBatch.writeDirect}, for bytes that nobody changes
   * (a group send's message or frame, shared by many connections): as the first piece of a run it
   * leaves at once, with no cork, as a committed piece does; later ones wait for the end of the run.
   */
  writeShared(data: Uint8Array, callback?: (error?: Error | null) => void): void {
    if (this.state === IDLE) {
      this.handOver();
      this.state = WROTE_ONE;
      nextTick(flushBatch, this);
      this.sink.write(data, callback);
      return;
    }
    this.writeDirect(data, callback);
  }

  /**
   * Writes a copy of `data` after everything reserved before it, as {@link WriteBatch.writeDirect}
   * does, so that the caller may change or reuse `data` at once. The copy goes into a buffer used
   * again for a later message of the same length once the sink has written it (core's spare
   * buffers): a bulk sender allocates no new memory per message. `callback` runs once it is written.
   */
  writeCopy(data: Uint8Array, callback?: (error?: Error | null) => void): void {
    const copy = takeBuffer(data.byteLength);
    copy.set(data);
    this.writeDirect(copy, (error) => {
      giveBackBuffer(copy);
      callback?.(error);
    });
  }

  /**
   * Hands the bytes copied so far to the sink, still corked: call it before writing to the sink
   * by another way (another library's writer, say), so that the bytes stay in order.
   */
  settle(): void {
    this.handOver();
  }

  /** Hands everything to the sink now and uncorks it; the next piece starts a new run. */
  flush(): void {
    this.handOver();
    if (pool.owner === this) pool.owner = undefined;
    const corked = this.state === CORKED;
    this.state = IDLE;
    if (corked) this.sink.uncork();
  }

  private corkRun(): void {
    if (this.state === IDLE) nextTick(flushBatch, this);
    this.state = CORKED;
    this.sink.cork();
  }

  private handOver(): void {
    if (pool.owner !== this || pool.used === pool.start) return;
    this.sink.write(pool.slab.subarray(pool.start, pool.used));
    pool.start = pool.used;
  }
}
