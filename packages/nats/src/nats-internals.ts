// The one file that reads what the NATS client does not document (as node-net's node-internals.ts
// and ws's ws-internals.ts do for Node and ws): the bytes it holds unsent, for backpressure, and
// the raw bytes of a received message's reply subject.
import type { Msg, NatsConnection } from '@nats-io/transport-node';

/**
 * The internals of `@nats-io/nats-core` read for backpressure: the protocol's outbound buffer (what
 * `publish` queued and has not written) and its socket's queue. Not part of the client's typed
 * API; `pendingBytes` reads them defensively, and a test pins the shape (a failing backpressure
 * test after an upgrade of the client points here).
 */
interface Internals {
  readonly protocol?: {
    readonly outbound?: { size?(): number };
    readonly transport?: { readonly socket?: { readonly writableLength?: number } };
  };
}

/** Bytes the client holds unsent: queued by `publish` and not yet taken by the system. */
export function pendingBytes(nc: NatsConnection): number {
  const protocol = (nc as unknown as Internals).protocol;
  if (protocol === undefined) return 0;
  return (protocol.outbound?.size?.() ?? 0) + (protocol.transport?.socket?.writableLength ?? 0);
}

/** A received message's protocol fields, as the client parsed them: the reply subject's bytes. */
interface MsgInternals {
  readonly _msg?: { readonly reply?: unknown };
}

/**
 * The bytes of a received message's reply subject, before the client decodes them to a string
 * (`msg.reply` decodes on every call of a new message), or `undefined` when they cannot be read:
 * then decode. Compared with the last sender's, they spare a run of messages from one sender the
 * decoding and the address building.
 */
export function replyBytes(msg: Msg): Uint8Array | undefined {
  const reply = (msg as unknown as MsgInternals)._msg?.reply;
  return reply instanceof Uint8Array ? reply : undefined;
}
