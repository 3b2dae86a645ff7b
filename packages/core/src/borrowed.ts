/**
 * A message's bytes lent from a receive buffer that the adapter reuses for its next read: valid
 * only until the `received` call that handed them over returns (in `forEach`, until the callback
 * returns). Adapters that read into one reused buffer (Tcp and FramedTcp, by default)
 * hand their messages over as `BorrowedBytes`, so that nobody keeps them by mistake:
 * - the core copies them when it stores an event (the async iterator, or events that wait for
 *   the consumer);
 * - `send` copies them before the adapter sees them, so that echoing or forwarding a received
 *   message is always safe, even when the adapter keeps a reference to what it writes.
 *
 * To keep the bytes yourself, copy them: `new Uint8Array(data)`. A subarray of `BorrowedBytes`
 * is `BorrowedBytes` too. Only adapters create them (`new BorrowedBytes(buffer, offset, length)`).
 */
export class BorrowedBytes extends Uint8Array {}
