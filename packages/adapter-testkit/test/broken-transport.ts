// The testkit's memory transport, broken in exactly one of the duties of docs/adapters.md section 6,
// for the tests that show each duty case failing (duties.test.ts). Everything else is forwarded to
// a healthy memory transport.
import { joinBytes, memoryTransport } from '@message-io/adapter-testkit';
import {
  commonOptionKeys,
  type Acceptor,
  type Adapter,
  type Local,
  type LocalWatch,
  type PendingStatus,
  type Readiness,
  type Remote,
  type RemoteContext,
  type RemoteWatch,
  type SendStatus,
  type Transport,
} from '@message-io/core';

/** The one duty the wrapped transport breaks. */
export type Broken =
  /** `bufferedBytes` is always 0: `send` never meets `Backpressure`. */
  | 'bufferedBytes always 0'
  /** The `maxMessageSize` option limits sends only: a larger message from the peer is delivered. */
  | 'no inbound size check'
  /** Options it does not know are dropped instead of refused. */
  | 'unknown options accepted'
  /** Messages that come while the node is not reading (paused, or `received` answered false) are merged into one. */
  | 'messages merged under a slow reader'
  /** `close` drops what `send` queued at once (as with `linger: 0`) and resets the connection. */
  | 'close drops queued data'
  /** `close` forgets the connection but leaves it open: the peer is never told. */
  | 'close leaves the connection open'
  /** After the first (the connection is ready), `notify('writable')` is never called. */
  | 'writable never notified'
  /** After `close`, messages, readiness and a close keep coming to the watch for 200 ms; then the connection closes. */
  | 'keeps reporting after close';

type Options = { maxMessageSize?: number } | undefined;

/** A remote that forwards to `inner` except for the broken duty. */
class BrokenRemote implements Remote {
  private watch: RemoteWatch | undefined;
  /** Messages held while the node does not read ('messages merged under a slow reader'). */
  private held: Uint8Array[] | undefined;

  constructor(
    private readonly inner: Remote,
    private readonly broken: Broken,
    private readonly size: number | undefined,
  ) {}

  get bufferedBytes(): number {
    return this.broken === 'bufferedBytes always 0' ? 0 : this.inner.bufferedBytes;
  }

  get maxMessageSize(): number | undefined {
    return this.size ?? this.inner.maxMessageSize;
  }

  source(watch: RemoteWatch): void {
    this.watch = watch;
    if (this.broken === 'writable never notified') {
      let ready = false;
      return this.inner.source({
        notify: (readiness) => {
          if (readiness === 'writable' && ready) return;
          ready = true;
          watch.notify(readiness);
        },
        closed: (error) => watch.closed(error),
        received: (data) => watch.received(data),
      });
    }
    if (this.broken !== 'messages merged under a slow reader') return this.inner.source(watch);
    this.inner.source({
      notify: (readiness) => watch.notify(readiness),
      closed: (error) => watch.closed(error),
      received: (data) => {
        if (this.held !== undefined) this.held.push(data.slice());
        else if (!watch.received(data)) this.held = [];
        return true;
      },
    });
  }

  pending(readiness: Readiness): PendingStatus {
    return this.inner.pending(readiness);
  }

  receive(): void {
    this.inner.receive();
  }

  send(data: Uint8Array): SendStatus {
    return this.inner.send(data);
  }

  pauseReceive(): void {
    if (this.broken !== 'messages merged under a slow reader') return this.inner.pauseReceive?.();
    this.held ??= [];
  }

  resumeReceive(): void {
    if (this.broken !== 'messages merged under a slow reader') return this.inner.resumeReceive?.();
    setImmediate(() => {
      const held = this.held;
      this.held = undefined;
      if (held === undefined || held.length === 0) return;
      if (!this.watch!.received(joinBytes(held))) this.held = [];
    });
  }

  close(): void {
    if (this.broken === 'keeps reporting after close') {
      const watch = this.watch!;
      watch.notify('writable');
      watch.received(Uint8Array.of(1, 2, 3));
      setTimeout(() => {
        watch.closed(new Error('late close'));
        this.inner.close();
      }, 200);
      return;
    }
    if (this.broken !== 'close leaves the connection open') this.inner.close();
  }
}

/** A listener that wraps what it accepts. */
class BrokenLocal implements Local {
  constructor(
    private readonly inner: Local,
    private readonly broken: Broken,
    private readonly size: number | undefined,
  ) {}

  source(watch: LocalWatch): void {
    this.inner.source(watch);
  }

  accept(acceptor: Acceptor): void {
    this.inner.accept({
      remote: (remote, addr) => acceptor.remote(new BrokenRemote(remote, this.broken, this.size), addr),
      data: (addr, data) => acceptor.data(addr, data),
      refused: (refusal) => acceptor.refused(refusal),
    });
  }

  close(): void {
    this.inner.close();
  }
}

/** What the inner transport is given: options and context changed as the broken duty says. */
function passed(options: Options, context: RemoteContext, broken: Broken): { options: Options; context: RemoteContext; size: number | undefined } {
  let given = options;
  let size: number | undefined;
  if (broken === 'no inbound size check' && options !== undefined) {
    const { maxMessageSize, ...rest } = options;
    given = rest;
    size = maxMessageSize;
  }
  if (broken === 'unknown options accepted' && options !== undefined) {
    const known = new Set<string>([...Object.keys(commonOptionKeys), 'maxMessageSize']);
    given = Object.fromEntries(Object.entries(options).filter(([key]) => known.has(key)));
  }
  return { options: given, context: broken === 'close drops queued data' ? { ...context, linger: 0 } : context, size };
}

/** A new memory transport that breaks `broken`, and keeps every other duty. */
export function brokenTransport(broken: Broken): Transport {
  const healthy = memoryTransport({ name: `Memory (${broken})` }) as Transport;
  const inner = healthy.adapter as Adapter<Options, Options>;
  const adapter: Adapter<Options, Options> = {
    connect: (addr, options, context) => {
      const p = passed(options, context, broken);
      return new BrokenRemote(inner.connect(addr, p.options, p.context), broken, p.size);
    },
    listen: async (addr, options, context) => {
      const p = passed(options, context, broken);
      const { local, addr: bound } = await inner.listen(addr, p.options, p.context);
      return { local: new BrokenLocal(local, broken, p.size), addr: bound };
    },
  };
  return { ...healthy, adapter: adapter as Adapter };
}
