// The one file that reads what the NATS client does not document (as node-net's node-internals.ts
// and ws's ws-internals.ts do for Node and ws): the bytes it holds unsent, for backpressure; the raw
// bytes of a received message's reply subject; and its outbound buffer, to publish without the
// per-call work of `publish`. Each falls back to the documented API where the internals are not
// there, and tests pin them (the package takes the client at ~3.3, so that a change is deliberate).
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

/** The client's protocol handler, as far as a publish without the client's per-call work needs it. */
interface ProtocolWrites {
  sendCommand?(command: Uint8Array, ...payloads: Uint8Array[]): void;
  noMorePublishing?: boolean;
  outMsgs?: number;
  outBytes?: number;
}

const encoder = new TextEncoder();

/**
 * Publishes to one subject with one reply subject, as the client's `publish` does, without its
 * per-call work: the `PUB <subject> <reply> <length>` line is encoded once per message length
 * (not once per message), and the line, a copy of the message and the closing CRLF go to the
 * client's outbound buffer as one array. The subject and the reply subject were checked once, when
 * the endpoint was made. Where the client's internals are not there (another version), it calls
 * `publish`, with a copy.
 */
export class Publisher {
  private readonly protocol: ProtocolWrites | undefined;
  private readonly prefix: string;
  private headerLength = -1;
  private header = new Uint8Array(0);

  constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    private readonly reply: string,
  ) {
    const protocol = (nc as unknown as Internals).protocol as ProtocolWrites | undefined;
    this.protocol = typeof protocol?.sendCommand === 'function' ? protocol : undefined;
    this.prefix = `PUB ${subject} ${reply} `;
  }

  /** Publishes a copy of `data` (the caller may reuse its buffer at once). */
  publish(data: Uint8Array): void {
    const protocol = this.protocol;
    if (protocol === undefined || protocol.noMorePublishing === true) {
      this.nc.publish(this.subject, data.slice(), { reply: this.reply });
      return;
    }
    const length = data.length;
    if (length !== this.headerLength) {
      this.header = encoder.encode(`${this.prefix}${length}\r\n`);
      this.headerLength = length;
    }
    const header = this.header;
    const frame = new Uint8Array(header.length + length + 2);
    frame.set(header, 0);
    frame.set(data, header.length);
    frame[frame.length - 2] = 13;
    frame[frame.length - 1] = 10;
    if (protocol.outMsgs !== undefined) protocol.outMsgs++;
    if (protocol.outBytes !== undefined) protocol.outBytes += length;
    protocol.sendCommand!(frame);
  }
}
