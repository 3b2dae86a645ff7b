// What goes on the data channel. Every data-channel message is binary and starts with one byte that
// says what it is:
//   0 MESSAGE  one user message follows (so that an empty message is still one byte on the wire);
//   1 GOODBYE  alone: the sender closes gracefully, after its last message;
//   2 BATCH    small user messages follow, each as a 16-bit big-endian length and its bytes;
//   3 CREDIT   a 64-bit big-endian float follows: how many bytes of MESSAGE and BATCH data-channel
//              messages the sender of the credit lets its peer send, counted from the start.
// Flow control: a side sends no MESSAGE or BATCH that would take it past the credit its peer gave
// (WINDOW_BYTES before any credit). A receiver gives more as the node takes what arrived, so a peer
// that does not read holds the sender back, and a peer that sends past its credit breaks the
// protocol (the connection ends).

/** Kind byte: one user message follows. */
export const MESSAGE = 0;
/** Kind byte: the sender closes, after its last message. Alone on the wire. */
export const GOODBYE = 1;
/** Kind byte: small user messages follow, each length-prefixed (16 bits). */
export const BATCH = 2;
/** Kind byte: a credit follows (float64, big-endian). */
export const CREDIT = 3;

/**
 * Bytes of MESSAGE and BATCH data-channel messages a side may send beyond what its peer took: the
 * credit before the first grant, and the window each grant renews. werift 0.24 stalls past its SCTP
 * receive window (1 MiB); well before that, datagrams overflow the peer's UDP receive buffer and
 * SCTP waits for its retransmission timer. Measured on loopback, 8,192 messages of 4 KiB: 5.2 MB/s
 * with 96 KiB, 4.3 MB/s with 128 KiB, 0.7 MB/s with 256 KiB.
 */
export const WINDOW_BYTES: number = 96 * 1024;

/**
 * A receiver grants more credit once the node took this many bytes since the last grant. At most
 * `WINDOW_BYTES` less the largest data-channel message (65,536 bytes), so that a sender held back
 * by its credit always gets a grant once the receiver took everything.
 */
export const GRANT_BYTES: number = 24 * 1024;

/**
 * Most bytes of one BATCH on the wire. Small messages sent in the same turn share a data-channel
 * message: werift spends its time per data-channel message and per 1,200-byte SCTP chunk, so 20,000
 * eight-byte messages go as 13 data-channel messages instead of 20,000.
 */
export const BATCH_BYTES: number = 16 * 1024;

/** Bytes of a CREDIT on the wire. */
export const CREDIT_BYTES = 9;

/** The goodbye, as sent. */
export const GOODBYE_WIRE: Buffer = Buffer.of(GOODBYE);

/** Whether a message of `length` bytes goes in a BATCH (else alone, as a MESSAGE). */
export function batchable(length: number): boolean {
  return length + 3 <= BATCH_BYTES;
}

/** A MESSAGE holding a copy of `data`. */
export function single(data: Uint8Array): Buffer {
  const wire = Buffer.allocUnsafe(data.byteLength + 1);
  wire[0] = MESSAGE;
  wire.set(data, 1);
  return wire;
}

/** A BATCH of `messages[from..to)` (each batchable), `bytes` long on the wire (see {@link batchBytes}). */
export function batch(messages: readonly Uint8Array[], from: number, to: number, bytes: number): Buffer {
  const wire = Buffer.allocUnsafe(bytes);
  wire[0] = BATCH;
  let at = 1;
  for (let i = from; i < to; i++) {
    const message = messages[i]!;
    wire.writeUInt16BE(message.byteLength, at);
    wire.set(message, at + 2);
    at += 2 + message.byteLength;
  }
  return wire;
}

/** Bytes one more message of `length` bytes adds to a BATCH. */
export function batchBytes(length: number): number {
  return 2 + length;
}

/** A CREDIT of `total` bytes. */
export function credit(total: number): Buffer {
  const wire = Buffer.allocUnsafe(CREDIT_BYTES);
  wire[0] = CREDIT;
  wire.writeDoubleBE(total, 1);
  return wire;
}

/** The total of a CREDIT, or `undefined` when it is not a well-formed one. */
export function readCredit(wire: Buffer): number | undefined {
  if (wire.byteLength !== CREDIT_BYTES) return undefined;
  const total = wire.readDoubleBE(1);
  return Number.isSafeInteger(total) && total >= 0 ? total : undefined;
}

/**
 * The messages of a BATCH, as views of `wire`; or a string saying what is wrong with it (a length
 * past its end, no message at all), so that nothing is handed on from a batch that is not whole.
 */
export function unbatch(wire: Buffer): Uint8Array[] | string {
  const messages: Uint8Array[] = [];
  let at = 1;
  while (at < wire.byteLength) {
    if (at + 2 > wire.byteLength) return 'a batch ends inside a length';
    const length = wire.readUInt16BE(at);
    if (at + 2 + length > wire.byteLength) return 'a batched message runs past the end of its batch';
    messages.push(wire.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return messages.length > 0 ? messages : 'an empty batch';
}
