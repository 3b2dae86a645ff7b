// The file-transfer messages. Each is one FramedTcp message whose first byte says what it is.
// A chunk is read from the file straight after its tag byte, so it is never copied.

/** Bytes of file data per chunk message. */
export const CHUNK_SIZE: number = 64 * 1024;

/** The tag byte of each message. */
export const Tag = {
  /** sender -> receiver: JSON `{ name, size }`, the file on offer. */
  Offer: 1,
  /** sender -> receiver: file bytes. */
  Chunk: 2,
  /** sender -> receiver: JSON `{ sha256 }` (hex), after the last chunk. */
  Done: 3,
  /** receiver -> sender: go ahead. */
  Accept: 17,
  /** receiver -> sender: UTF-8 reason; the transfer will not happen. */
  Refuse: 18,
  /** receiver -> sender: one byte, 1 when the checksum matched, 0 when it did not. */
  Verified: 19,
} as const;

/** A file on offer. */
export interface Offer {
  readonly name: string;
  readonly size: number;
}

/** A message: its tag and what follows it (a view, valid as long as the data it came from). */
export interface Decoded {
  readonly tag: number;
  readonly body: Uint8Array;
}

/** A tag and a body, in one new buffer. */
export function encode(tag: number, body: Uint8Array | string | object = new Uint8Array(0)): Uint8Array {
  const bytes = body instanceof Uint8Array ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const message = new Uint8Array(1 + bytes.byteLength);
  message[0] = tag;
  message.set(bytes, 1);
  return message;
}

/** Splits a message into its tag and body (no copy). */
export function decode(data: Uint8Array): Decoded {
  return { tag: data[0] ?? 0, body: data.subarray(1) };
}

/** Reads a JSON body; `undefined` when it is not JSON (a peer's bad input never throws). */
export function json<T>(body: Uint8Array): Partial<T> | undefined {
  try {
    const value: unknown = JSON.parse(text(body));
    return typeof value === 'object' && value !== null ? (value as Partial<T>) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a UTF-8 body. */
export function text(body: Uint8Array): string {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}
