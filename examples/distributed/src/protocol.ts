// Messages between the discovery server and the participants: one JSON object per FramedTcp
// message. Participants talk to each other directly, over Udp, in plain UTF-8 text.

/** A participant: its name and the Udp address where it takes direct messages. */
export interface Participant {
  readonly name: string;
  readonly addr: string;
}

/** participant -> discovery server. */
export type ToDiscovery = { type: 'register'; name: string; addr: string };

/** discovery server -> participant. */
export type FromDiscovery =
  | { type: 'participants'; list: Participant[] } // the answer to `register`: everyone else
  | { type: 'joined'; participant: Participant }
  | { type: 'left'; name: string }
  | { type: 'refused'; reason: string };

/** Encodes a message as UTF-8 JSON. */
export function encode(message: ToDiscovery | FromDiscovery): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(message));
}

/** Decodes a message; `undefined` when it is not JSON with a string `type` (a peer's bad input never throws). */
export function decode<T extends { type: string }>(data: Uint8Array): T | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as { type?: unknown } | null;
    return typeof value?.type === 'string' ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}
