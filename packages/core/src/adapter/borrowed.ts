/**
 * A message's bytes lent from a receive buffer that the adapter reuses for its next read: valid
 * only until the `received` call that handed them over returns (in `forEach`, until the callback
 * returns; an `async` callback must copy before its first `await`). Messages are never lent unless
 * the user opted in for the connection (`reuseReceiveBuffer: true` on Tcp, FramedTcp and Ws):
 * by default every message owns its bytes. When they are lent:
 * - the core copies them when it stores an event (the async iterator, or events that wait for
 *   the consumer);
 * - `send` takes them as any other bytes (it copies what does not leave at once), so echoing or
 *   forwarding a received message is always safe;
 * - the development check (`split({ checkBorrowed: true })` or `MESSAGE_IO_CHECK_BORROWED=1`)
 *   detaches them when the callback returns, so that a use after it fails loudly.
 *
 * To keep the bytes yourself, copy them: `new Uint8Array(data)`. A subarray of `BorrowedBytes`
 * is `BorrowedBytes` too. Only adapters create them (`new BorrowedBytes(buffer, offset, length)`).
 */
export class BorrowedBytes extends Uint8Array {}
