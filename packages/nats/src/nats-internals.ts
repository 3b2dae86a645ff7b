// The one file that reads what the NATS client does not document (as node-net's node-internals.ts
// and ws's ws-internals.ts do for Node and ws): the bytes it holds unsent, for backpressure.
import type { NatsConnection } from '@nats-io/transport-node';

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
