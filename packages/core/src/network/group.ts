import type { SharedMessage } from '../adapter/shared.js';
import { later } from '../adapter/later.js';
import { SendStatus } from '../adapter/status.js';
import type { Endpoint } from './endpoint.js';

/**
 * The longest a group send holds the event loop in one turn by default, in milliseconds (the
 * node option `groupSliceMs`): past it, the members not reached yet are sent to on the next
 * turns, after pending I/O.
 */
export const GROUP_SLICE_MS = 4;

/** Members handled between two looks at the clock (so at least this many per turn). */
const CLOCK_EVERY = 32;

/** What one {@link Group.send} did, once every member was handled. */
export interface GroupSendReport {
  /** Members the message was sent to (`SendStatus.Sent`). */
  readonly sent: number;
  /**
   * Members that answered `Backpressure`: the message was not sent to them (each gets a
   * `writable` event once it drains, as after a refused `send`).
   */
  readonly backpressure: readonly Endpoint[];
  /**
   * Members the message could not be sent to for another reason, with the answer:
   * `ResourceNotFound` (gone before the message reached it), `ResourceNotAvailable` (not ready,
   * or reconnecting), `MaxPacketSizeExceeded` (too big for that member's transport).
   */
  readonly failed: readonly { readonly endpoint: Endpoint; readonly status: SendStatus }[];
}

/** What a {@link Group} asks of the node it belongs to. Implemented by the NetworkController. */
export interface GroupOwner {
  /** Adds `endpoint` to `members` if it is a resource of this node one can send to; false otherwise. */
  join(members: Set<Endpoint>, endpoint: Endpoint): boolean;
  /** Takes `endpoint` out of `members`. */
  leave(members: Set<Endpoint>, endpoint: Endpoint): boolean;
  /** Sends `data` to every one of `members`, in slices of the node's `groupSliceMs`. */
  send(members: readonly Endpoint[], data: Uint8Array): Promise<GroupSendReport>;
}

/**
 * A set of endpoints that one call sends a message to (the "rooms" of socket.io): made with
 * `handler.network().group()`. Members may be connections of any transport (the ones a listener
 * accepted, the ones `connect` made) and, on transports that send from a listener (Udp), the
 * endpoints of a listener's peers. A member leaves by itself when its connection ends (a
 * `disconnected` event, a failed connect) or is removed, and when its listener is removed; a
 * connection that reconnects stays.
 *
 * `send` copies the message once and hands the same bytes to every member, framed once per
 * transport where the transport can share a frame. It holds the event loop for at most the
 * node's `groupSliceMs` (4 ms by default) per turn: the members not reached by then get the
 * message on the next turns. A
 * member gets the messages of its groups in the order of the `send` calls, and before anything
 * sent to it directly afterwards (`network().send` to a member first hands it what its groups
 * still owe it).
 */
export class Group {
  private readonly members = new Set<Endpoint>();

  /** Made by `handler.network().group()`. */
  constructor(private readonly owner: GroupOwner) {}

  /** Members now. */
  get size(): number {
    return this.members.size;
  }

  /**
   * Adds a member. Returns false, adding nothing, when `endpoint` is not a connection or a
   * listener's peer of this node now (closed, removed, or another node's).
   * @throws InvalidArgumentError when `endpoint` is not an Endpoint, or is a listener's peer on a
   *   transport that cannot send from a listener.
   */
  add(endpoint: Endpoint): boolean {
    return this.owner.join(this.members, endpoint);
  }

  /** Takes a member out. Returns false when it was not one. A send under way still reaches it. */
  delete(endpoint: Endpoint): boolean {
    return this.owner.leave(this.members, endpoint);
  }

  /** Whether `endpoint` is a member. */
  has(endpoint: Endpoint): boolean {
    return this.members.has(endpoint);
  }

  /** Takes every member out. */
  clear(): void {
    for (const endpoint of [...this.members]) this.owner.leave(this.members, endpoint);
  }

  /** The members, in the order they joined. */
  [Symbol.iterator](): IterableIterator<Endpoint> {
    return this.members.values();
  }

  /**
   * Sends `data` to every member, with the checks and answers of `network().send` for each. Like
   * `send`, it takes what `data` holds when it is called (a copy, made once): the buffer is yours
   * again at once. Resolves once every member was handled (at once when all fit in one slice),
   * with who got it and who did not; never rejects. Members that join after the call do not get it.
   * @throws InvalidArgumentError when `data` is not a Uint8Array; NodeStoppedError after `stop()`.
   */
  send(data: Uint8Array): Promise<GroupSendReport> {
    return this.owner.send([...this.members], data);
  }
}

/** One group send under way: its message and what its members answered so far. */
class Broadcast {
  sent = 0;
  readonly backpressure: Endpoint[] = [];
  readonly failed: { endpoint: Endpoint; status: SendStatus }[] = [];
  readonly done: Promise<GroupSendReport>;
  private resolve!: (report: GroupSendReport) => void;

  constructor(
    readonly message: SharedMessage,
    private remaining: number,
  ) {
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
    if (remaining === 0) this.finish();
  }

  /** A member's answer. */
  record(endpoint: Endpoint, status: SendStatus): void {
    if (status === SendStatus.Sent) this.sent++;
    else if (status === SendStatus.Backpressure) this.backpressure.push(endpoint);
    else this.failed.push({ endpoint, status });
    if (--this.remaining === 0) this.finish();
  }

  private finish(): void {
    this.resolve({ sent: this.sent, backpressure: this.backpressure, failed: this.failed });
  }
}

/** What the group sends under way still owe one member, in order: one send, or several. */
type Owed = Broadcast | Broadcast[];

/**
 * The group sends of one node: each member is sent to at once while the slice lasts; the others
 * are owed the message, and get it on the next turns (or right before a direct send to them).
 */
export class GroupSends {
  /** The members owed something, in the order they were first owed it. */
  private readonly owed = new Map<Endpoint, Owed>();
  private scheduled = false;

  /** `deliver` sends one group message to one member, with the checks of `send`; `sliceMs` is the node's `groupSliceMs`. */
  constructor(
    private readonly deliver: (endpoint: Endpoint, message: SharedMessage) => SendStatus,
    private readonly sliceMs: number,
  ) {}

  /** Members owed a message now; 0 when no group send is under way. */
  get owing(): number {
    return this.owed.size;
  }

  /** Starts sending `message` to `members`. */
  start(members: readonly Endpoint[], message: SharedMessage): Promise<GroupSendReport> {
    const broadcast = new Broadcast(message, members.length);
    let i = 0;
    // Nothing owed to anyone: members are sent to at once, while the slice lasts. Otherwise the
    // message waits behind what is owed, so that each member gets its messages in order.
    if (this.owed.size === 0) {
      const end = performance.now() + this.sliceMs;
      for (; i < members.length; i++) {
        if (i > 0 && i % CLOCK_EVERY === 0 && performance.now() >= end) break;
        const endpoint = members[i]!;
        broadcast.record(endpoint, this.deliver(endpoint, message));
      }
    }
    for (; i < members.length; i++) this.owe(members[i]!, broadcast);
    if (this.owed.size > 0) this.schedule();
    return broadcast.done;
  }

  /** Before a direct send to `endpoint`: what the group sends owe it, first. */
  settle(endpoint: Endpoint): void {
    const owed = this.owed.get(endpoint);
    if (owed === undefined) return;
    this.owed.delete(endpoint);
    this.pay(endpoint, owed);
  }

  /** `endpoint` is gone: what it was owed is answered `ResourceNotFound`. */
  drop(endpoint: Endpoint): void {
    const owed = this.owed.get(endpoint);
    if (owed === undefined) return;
    this.owed.delete(endpoint);
    if (Array.isArray(owed)) for (const broadcast of owed) broadcast.record(endpoint, SendStatus.ResourceNotFound);
    else owed.record(endpoint, SendStatus.ResourceNotFound);
  }

  /** The members owed something now. */
  endpoints(): Endpoint[] {
    return [...this.owed.keys()];
  }

  /** The node stopped: everything owed is answered `ResourceNotFound`. */
  dropAll(): void {
    for (const endpoint of [...this.owed.keys()]) this.drop(endpoint);
  }

  private owe(endpoint: Endpoint, broadcast: Broadcast): void {
    const owed = this.owed.get(endpoint);
    if (owed === undefined) this.owed.set(endpoint, broadcast);
    else if (Array.isArray(owed)) owed.push(broadcast);
    else this.owed.set(endpoint, [owed, broadcast]);
  }

  private pay(endpoint: Endpoint, owed: Owed): void {
    if (!Array.isArray(owed)) return owed.record(endpoint, this.deliver(endpoint, owed.message));
    for (const broadcast of owed) broadcast.record(endpoint, this.deliver(endpoint, broadcast.message));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    later(this.slice);
  }

  /** One turn's share of what is owed: members in order, until the slice is over. */
  private readonly slice = (): void => {
    this.scheduled = false;
    const end = performance.now() + this.sliceMs;
    let handled = 0;
    for (const [endpoint, owed] of this.owed) {
      this.owed.delete(endpoint);
      this.pay(endpoint, owed);
      if (++handled % CLOCK_EVERY === 0 && performance.now() >= end) break;
    }
    if (this.owed.size > 0) this.schedule();
  };
}
