import { BorrowedBytes } from './borrowed.js';
import { later } from './later.js';
import { unfilled } from './memory.js';

/** What a {@link HeldRest} calls on its connection. */
export interface HeldRestOwner {
  /**
   * Decodes `bytes`, the rest kept, as a read of their own (memory of their own, never lent):
   * hand over its messages, and call `hold` again (on a new HeldRest) if `received` says stop.
   */
  decodeHeld(bytes: Uint8Array): void;
  /** All of the rest is handed over: read from the socket again (Node: `socket.resume()`). */
  readAgain(): void;
}

/**
 * For adapters whose decoder hands over several messages per read: what a connection keeps when
 * the node says stop in the middle of a read (`watch.received` answered `false`, see the adapter
 * contract), and handing it over when the node reads again. Make one when `received` says stop,
 * {@link keep} the bytes not decoded yet (and any read that still comes), and stop reading the
 * socket. Forward `pauseReceive` to {@link pause} and `resumeReceive` to {@link resume}: the rest
 * is decoded on a later turn (never within `resumeReceive`, where the core is still busy
 * resuming), and reading starts again only once all of it is handed over and the node has not
 * said stop again meanwhile. Drop it on `close`: what it held is not delivered after `remove()`.
 */
export class HeldRest {
  private bytes: Uint8Array | undefined = undefined;
  private resumed = false;
  private scheduled = false;
  private done = false;

  /** `owner` decodes the rest and reads again. */
  constructor(private readonly owner: HeldRestOwner) {}

  /** True until the rest has been handed back to `decodeHeld` (then the connection needs a new HeldRest to stop again). */
  get holding(): boolean {
    return !this.done;
  }

  /** Appends `bytes` to the rest, in order; a copy when they are lent (BorrowedBytes) or `copy` is set. */
  keep(bytes: Uint8Array, copy = false): void {
    if (bytes.byteLength === 0) return;
    const rest = this.bytes;
    if (rest === undefined) {
      if (!copy && !(bytes instanceof BorrowedBytes)) {
        this.bytes = bytes;
        return;
      }
      const own = unfilled(bytes.byteLength);
      own.set(bytes);
      this.bytes = own;
      return;
    }
    const joined = unfilled(rest.byteLength + bytes.byteLength);
    joined.set(rest);
    joined.set(bytes, rest.byteLength);
    this.bytes = joined;
  }

  /** The node said stop again (`pauseReceive`) before the rest was handed over: wait for the next `resume`. */
  pause(): void {
    this.resumed = false;
  }

  /** The node reads again (`resumeReceive`): the rest is handed over on a later turn. */
  resume(): void {
    this.resumed = true;
    if (this.scheduled || this.done) return;
    this.scheduled = true;
    later(this.release);
  }

  /** Forgets the rest (the connection closed): nothing more is handed over. */
  drop(): void {
    this.done = true;
    this.bytes = undefined;
  }

  private readonly release = (): void => {
    this.scheduled = false;
    if (!this.resumed || this.done) return;
    this.done = true;
    const bytes = this.bytes;
    this.bytes = undefined;
    if (bytes !== undefined) this.owner.decodeHeld(bytes);
    this.owner.readAgain();
  };
}
