// The chat's wire protocol: every message is one Ws message holding one JSON object in UTF-8.
// A browser joins with `new WebSocket(url)` and `JSON.stringify` / `JSON.parse`.

/** What a client sends: first `join` with a name, then `say` for each line. */
export type ClientMessage = { type: 'join'; name: string } | { type: 'say'; text: string };

/** What the server sends. */
export type ServerMessage =
  | { type: 'welcome'; name: string; members: string[] } // you joined; who was there already
  | { type: 'joined'; name: string } // someone else joined
  | { type: 'left'; name: string } // someone left
  | { type: 'said'; name: string; text: string } // a line from someone (you included)
  | { type: 'refused'; reason: string }; // your join was refused; the server closes the connection

/** Longest name, in characters. */
export const MAX_NAME = 24;
/** Longest line, in characters. */
export const MAX_TEXT = 2000;

/** Encodes a message as UTF-8 JSON. */
export function encode(message: ClientMessage | ServerMessage): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(message));
}

function parse(data: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(data));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a client's message; `undefined` for anything that is not a valid one. */
export function parseClientMessage(data: Uint8Array): ClientMessage | undefined {
  const m = parse(data);
  if (m?.type === 'join' && typeof m.name === 'string' && /^\S.{0,23}$/u.test(m.name) && m.name.trim() === m.name) {
    return { type: 'join', name: m.name };
  }
  if (m?.type === 'say' && typeof m.text === 'string' && m.text.length <= MAX_TEXT) return { type: 'say', text: m.text };
  return undefined;
}

/** Reads the server's message; `undefined` for anything else. */
export function parseServerMessage(data: Uint8Array): ServerMessage | undefined {
  const m = parse(data);
  const types = ['welcome', 'joined', 'left', 'said', 'refused'];
  return typeof m?.type === 'string' && types.includes(m.type) ? (m as unknown as ServerMessage) : undefined;
}
