/**
 * One receive buffer for every socket of an adapter that reads with Node's `onread` (pass
 * {@link ReceiveBuffer.next} as `onread.buffer`: Node asks it for the buffer of each next read).
 * Reads happen one at a time and each hands its bytes over before it returns, so one buffer serves
 * every connection; what it holds is lent as {@link BorrowedBytes}. It starts at `first` bytes,
 * made on first use, and is replaced once by one of `max` bytes on the first read that fills it:
 * a process that never receives in bulk keeps the small one. A socket moves to the new buffer on
 * its next read; the old one is left as it is until then, so nothing lent is overwritten early.
 * No Node import: adapters on Node's `net` use it (design notes 0007 and 0008).
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
