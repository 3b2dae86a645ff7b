// The ping-pong messages, encoded as the Rust example encodes them with bincode 1 (default
// options): an enum is its variant index as a little-endian u32, then its fields; a usize is a
// little-endian u64. So either side of this example can be the Rust program.

/** client -> server: `Ping`, variant 0, no fields. */
export const PING: Uint8Array = new Uint8Array([0, 0, 0, 0]);

/** server -> client: `Pong(count)`, variant 0 with a u64 (12 bytes), or `UnknownPong`, variant 1. */
export type FromServer = { kind: 'pong'; count: bigint } | { kind: 'unknown-pong' };

/** Encodes `Pong(count)`: `00 00 00 00` then `count` as 8 bytes, little-endian. */
export function encodePong(count: bigint): Uint8Array {
  const bytes = new Uint8Array(12);
  new DataView(bytes.buffer).setBigUint64(4, count, true);
  return bytes;
}

/** Encodes `UnknownPong`: `01 00 00 00`. */
export function encodeUnknownPong(): Uint8Array {
  return new Uint8Array([1, 0, 0, 0]);
}

function variant(data: Uint8Array): number | undefined {
  return data.byteLength >= 4 ? new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true) : undefined;
}

/** True when `data` is exactly a `Ping`. */
export function isPing(data: Uint8Array): boolean {
  return data.byteLength === 4 && variant(data) === 0;
}

/** Decodes a server's answer, or returns `undefined` for bytes that are not one. */
export function decodeFromServer(data: Uint8Array): FromServer | undefined {
  const index = variant(data);
  if (index === 0 && data.byteLength === 12) {
    return { kind: 'pong', count: new DataView(data.buffer, data.byteOffset, 12).getBigUint64(4, true) };
  }
  if (index === 1 && data.byteLength === 4) return { kind: 'unknown-pong' };
  return undefined;
}
