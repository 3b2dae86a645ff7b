import type { Local, Refusal, Remote } from '../adapter/adapter.js';
import type { BorrowedBytes } from '../adapter/borrowed.js';
import type { PeerCertificate } from '../adapter/peer-certificate.js';
import { CLOSED, Connections, READY, RemoteEntry, RemoteGroup } from './connection.js';
import { connectFailureReason } from './connect-failure.js';
import { waitSignal, type ConnectWaitOptions } from './connect-wait.js';
import { formatRemoteAddr, isUrlAddr, parseRemoteAddr, type AddressInput, type RemoteAddr } from '../adapter/address.js';
import { Endpoint, listenerAddrOf } from './endpoint.js';
import {
  AdapterError,
  ConnectAbortedError,
  ConnectError,
  InvalidAddressError,
  InvalidArgumentError,
  InvalidOptionError,
  ListenError,
  ListenerClosedError,
  MessageIoError,
  NodeStoppedError,
  UnsupportedError,
} from '../adapter/errors.js';
import type { NetEvent } from '../node/events.js';
import { resolveCommonOptions, resolveListenOptions, resolveReconnect, type ResolvedCommonOptions } from '../adapter/options.js';
import { Reconnection, WAITING_REMOTE } from './reconnect.js';
import { diagnostics, publishDisconnect } from './diagnostics.js';
import { ResourceId } from './resource-id.js';
import { Counters, type ListenerStats, type NetworkStats } from './stats.js';
import { Group, GROUP_SLICE_MS, GroupSends, type GroupOwner, type GroupSendReport } from './group.js';
import { SharedMessage } from '../adapter/shared.js';
import { SendStatus } from '../adapter/status.js';
import { isTransport, type Transport } from '../adapter/transport.js';

interface LocalEntry {
  readonly kind: 'local';
  readonly id: ResourceId;
  readonly local: Local;
  closed: boolean;
  /** The group of the connections it accepted last, for the next ones to share. */
  group: RemoteGroup | undefined;
  /** Its `maxConnections` (`Infinity` without a limit), held against `counters.connections`. */
  readonly maxConnections: number;
  /** What it and its connections did, for `stats()`. */
  readonly counters: Counters;
  /** Its transport's name and bound address, for `stats()`. */
  readonly transport: string;
  readonly addr: string;
  /** Its transport's `urlSchemes`: the URLs it may send to from the listener. */
  readonly urlSchemes: readonly string[] | undefined;
}

/** What `listen` resolves with: the listener's id and the address actually bound. */
export interface ListenResult {
  /** The listener's id, for `remove`, `isReady` and `Endpoint.fromListener`. */
  readonly id: ResourceId;
  /** The bound address, port 0 resolved: `127.0.0.1:40123`, `[::1]:40123`; or the URL listened on, such as `ipc:///tmp/app.sock`. */
  readonly addr: string;
}

/**
 * Parses an address for `connect` (`listening` false) or `listen`, and refuses a URL whose scheme the
 * transport does not list in `urlSchemes` (for `connect`, only when the transport lists schemes).
 */
function parseAddrFor(transport: Transport<never, never>, addr: AddressInput, listening: boolean): RemoteAddr {
  const parsed = parseRemoteAddr(addr);
  if (!isUrlAddr(parsed) || (!listening && transport.urlSchemes === undefined)) return parsed;
  const scheme = new URL(parsed.url).protocol.slice(0, -1);
  if (transport.urlSchemes?.includes(scheme) !== true) {
    throw new InvalidAddressError(`${transport.name} does not ${listening ? 'listen on' : 'connect to'} ${scheme}: URLs (${parsed.url})`);
  }
  return parsed;
}

/** Bytes of the UTF-8 encoding of `text` (a lone surrogate counts as U+FFFD, 3 bytes, as TextEncoder writes it). */
function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) length += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 2; // a pair: 4 bytes for 2 units
      i++;
    } else length += 2;
  }
  return length;
}

function isDetached(data: Uint8Array): boolean {
  if (data.byteLength !== 0 || !(data.buffer instanceof ArrayBuffer)) return false;
  try {
    ArrayBuffer.prototype.slice.call(data.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * The network side of a node: `handler.network()`. Owns the registry of listeners and connections,
 * their lifecycle and the checks done before any adapter is called.
 */
export class NetworkController {
  private readonly resources = new Map<number, RemoteEntry | LocalEntry>();
  private readonly adapterIds = new Map<Transport<never, never>, number>();
  private nextId = 0;
  private running = true;
  private throttled = false;
  private readonly connections: Connections;
  /** The group of the last outgoing connection, for the next ones to share. */
  private clientGroup: RemoteGroup | undefined;
  /** The counters of the connections made with `connect`. */
  private readonly outgoing = new Counters();
  /** The counts of listeners closed since, once their last connection closed too. */
  private readonly retired = new Counters();
  /** The counters of closed listeners whose accepted connections are not all closed yet. */
  private closedListeners: Counters[] = [];
  /** The group sends under way. */
  private readonly groupSends: GroupSends;
  /**
   * For each endpoint in a group, the member sets of its groups (the set itself when it is in one
   * group, the common case: no array per member): emptied when it ends.
   */
  private readonly memberships = new Map<Endpoint, Set<Endpoint> | Set<Endpoint>[]>();
  /** The members that are a listener's peers (Udp, Nats), by listener: they leave with it, found without walking every membership. */
  private readonly listenerPeerMembers = new Map<number, Set<Endpoint>>();
  /** What the groups of this node ask of it. */
  private readonly groupOwner: GroupOwner = {
    join: (members, endpoint) => this.join(members, endpoint),
    leave: (members, endpoint) => this.leave(members, endpoint),
    send: (members, data) => this.sendToMembers(members, data),
  };

  /**
   * Created by `split()`; `emit` hands events to the node's dispatcher, and `forget` drops those it
   * still holds of a resource that `remove()` closed.
   */
  constructor(
    private readonly emit: (event: NetEvent) => void,
    private readonly forget: (id: ResourceId) => void = () => undefined,
    private readonly stored: () => { readonly bytes: number; readonly events: number } = () => ({ bytes: 0, events: 0 }),
    groupSliceMs: number = GROUP_SLICE_MS,
  ) {
    this.groupSends = new GroupSends((endpoint, message) => this.sendShared(endpoint, message), groupSliceMs);
    // A connection that ends for good (`disconnected`, or `connected` not ok) leaves its groups.
    this.connections = new Connections((event) => {
      if ((event.type === 'disconnected' || (event.type === 'connected' && !event.ok)) && (this.memberships.size > 0 || this.groupSends.owing > 0)) {
        this.ended(event.endpoint);
      }
      emit(event);
    }, this.resources);
  }

  /**
   * A new, empty {@link Group}: endpoints of this node that one `send` reaches together. Members
   * leave by themselves when their connection ends or is removed.
   */
  group(): Group {
    return new Group(this.groupOwner);
  }

  /**
   * Starts a connection and returns its endpoint at once. A `connected` event follows, with
   * `ok: true` when ready or `ok: false` when it failed (refused, unreachable, `connectTimeout`).
   * With the `reconnect` option (connection-oriented transports), a failed or lost connection is
   * made again, with the same endpoint: see `ReconnectOptions`.
   * @throws InvalidAddressError, InvalidOptionError, InvalidArgumentError for bad input;
   *   NodeStoppedError after `stop()`.
   */
  connect<C, L>(transport: Transport<C, L>, addr: AddressInput, options?: C): Endpoint {
    this.checkRunning();
    const adapterId = this.mount(transport);
    const remoteAddr = parseAddrFor(transport, addr, false);
    const common = resolveCommonOptions(options);
    const policy = resolveReconnect(options);
    if (policy !== undefined && !transport.connectionOriented) {
      throw new InvalidOptionError(`option reconnect is for connection-oriented transports; ${transport.name} has no connection to lose`);
    }
    let remote: Remote;
    try {
      remote = transport.adapter.connect(remoteAddr, options, common);
    } catch (cause) {
      if (cause instanceof MessageIoError) throw cause;
      throw new ConnectError(`${transport.name} could not start a connection to ${formatRemoteAddr(remoteAddr)}: ${connectFailureReason(cause)}`, { cause });
    }
    const id = new ResourceId(adapterId, 'remote', this.nextId++);
    const entry = this.register(id, new Endpoint(id, formatRemoteAddr(remoteAddr)), remote, transport, common, undefined);
    if (policy !== undefined) {
      const dial = (): Remote => transport.adapter.connect(remoteAddr, options, common);
      this.connections.reconnects(entry, new Reconnection(policy, common.connectTimeout, dial));
    }
    const channel = diagnostics.connect;
    if (channel?.hasSubscribers === true) channel.publish({ endpoint: entry.endpoint, transport: transport.name });
    this.connections.start(entry, common.connectTimeout);
    return entry.endpoint;
  }

  /**
   * Like `connect`, but waits: resolves with the endpoint once the connection is ready, rejects with
   * `ConnectError`, `ConnectTimeoutError` (after the `connectTimeout` option) or
   * `ConnectAbortedError` when it fails. The `connected` event is emitted as well, as for `connect`.
   * `wait.signal` gives up early: on abort the connection is removed, no `connected` event follows
   * for it, and the promise rejects with `ConnectAbortedError` (the signal's `reason` as `cause`).
   */
  async connectAndWait<C, L>(transport: Transport<C, L>, addr: AddressInput, options?: C, wait?: ConnectWaitOptions): Promise<Endpoint> {
    const signal = waitSignal(wait);
    const endpoint = this.connect(transport, addr, options);
    const entry = this.resources.get(endpoint.resourceId.id) as RemoteEntry | undefined;
    if (entry === undefined || entry.state === CLOSED) throw new ConnectError(`connection to ${endpoint.addr} failed`);
    if (entry.state === READY) return endpoint;
    return new Promise((resolve, reject) => {
      if (signal === undefined) {
        (entry.waiters ??= []).push({ resolve, reject });
        return;
      }
      const abort = (): void => {
        // With `reconnect`, the entry of the current attempt may have replaced the first one.
        const current = this.find(endpoint.resourceId);
        if (current?.kind !== 'remote') return;
        this.connections.settleWaiters(current, () => new ConnectAbortedError(`connecting to ${endpoint.addr} was aborted`, { cause: signal.reason }));
        this.connections.close(current);
      };
      signal.addEventListener('abort', abort, { once: true });
      const settled = (): void => signal.removeEventListener('abort', abort);
      (entry.waiters ??= []).push({
        resolve: (ready) => {
          settled();
          resolve(ready);
        },
        reject: (error) => {
          settled();
          reject(error);
        },
      });
    });
  }

  /**
   * Binds a listener. Resolves with its id and the address actually bound. A URL is taken only by
   * transports that list its scheme in `urlSchemes`. Rejects with `ListenError` (address in use,
   * not available, unresolvable name), InvalidAddressError, InvalidOptionError, or NodeStoppedError.
   */
  async listen<C, L>(transport: Transport<C, L>, addr: AddressInput, options?: L): Promise<ListenResult> {
    this.checkRunning();
    const adapterId = this.mount(transport);
    const listenAddr = parseAddrFor(transport, addr, true);
    const common = resolveListenOptions(options);
    let listening: { local: Local; addr: RemoteAddr };
    try {
      listening = await transport.adapter.listen(listenAddr, options, common);
    } catch (cause) {
      if (cause instanceof MessageIoError) throw cause;
      throw new ListenError(`${transport.name} could not listen on ${formatRemoteAddr(listenAddr)}`, { cause });
    }
    if (!this.running) {
      listening.local.close();
      throw new NodeStoppedError('the node stopped while listen() was binding');
    }
    const id = new ResourceId(adapterId, 'local', this.nextId++);
    const addrBound = formatRemoteAddr(listening.addr);
    const entry: LocalEntry = {
      kind: 'local',
      id,
      local: listening.local,
      closed: false,
      group: undefined,
      maxConnections: common.maxConnections,
      counters: new Counters(),
      transport: transport.name,
      addr: addrBound,
      urlSchemes: transport.urlSchemes,
    };
    this.retireListeners();
    this.resources.set(id.id, entry);
    try {
      this.startLocal(entry, transport, common);
    } catch (cause) {
      this.closeLocal(entry);
      throw new AdapterError(`${transport.name} threw while starting its listener`, { cause });
    }
    const result = { id, addr: addrBound };
    const channel = diagnostics.listen;
    if (channel?.hasSubscribers === true) channel.publish({ listenerId: id, transport: transport.name, addr: result.addr });
    return result;
  }

  /**
   * Sends one message. Never blocks and never throws for the state of the connection: the
   * outcome is the returned {@link SendStatus}. `send` takes what `data` holds when it is called:
   * once it returns, the buffer is yours again, to change or reuse, on every transport and at every
   * size (what cannot leave at once is copied). A received message can be sent on as it is, even
   * a {@link BorrowedBytes}.
   * @throws InvalidArgumentError when `endpoint` is not an Endpoint or `data` is not a Uint8Array.
   */
  send(endpoint: Endpoint, data: Uint8Array): SendStatus {
    if (!(endpoint instanceof Endpoint)) throw new InvalidArgumentError('send needs an Endpoint');
    if (!(data instanceof Uint8Array)) {
      throw new InvalidArgumentError(`send needs the message as a Uint8Array (or Buffer), got ${data === null ? 'null' : typeof data}`);
    }
    // `length` (the bytes, for a Uint8Array) rather than `byteLength`, which V8 reads more slowly here.
    if (data.length === 0 && isDetached(data)) throw new InvalidArgumentError('send was given a view of a detached ArrayBuffer');
    const entry = this.find(endpoint.resourceId);
    if (entry === undefined) return SendStatus.ResourceNotFound;
    if (this.groupSends.owing !== 0) this.groupSends.settle(endpoint);
    if (entry.kind === 'local') return this.sendFromListener(entry, endpoint, data);
    if (entry.state !== READY) return SendStatus.ResourceNotAvailable;
    if (entry.maxMessageSize !== undefined && data.length > entry.maxMessageSize) return SendStatus.MaxPacketSizeExceeded;
    if (entry.remote.bufferedBytes >= entry.cap) return this.backpressure(entry);
    try {
      return entry.group.counters.sent(entry.remote.send(data), data.length);
    } catch (cause) {
      queueMicrotask(() => this.connections.lost(entry, new AdapterError('the adapter threw from send', { cause })));
      return SendStatus.ResourceNotFound;
    }
  }

  /**
   * Sends `text` as one text message, on transports that tell text from binary (Ws: a text frame,
   * which a browser's `WebSocket` receives as a string). The same checks and answers as
   * {@link send}, the size being that of its UTF-8 encoding. `send` stays the way to send binary,
   * which is what the Rust message-io sends and reads (it ignores text frames).
   * @throws InvalidArgumentError when `text` is not a string; UnsupportedError on a transport
   *   without text messages (Tcp, FramedTcp, Udp, Ipc) or for a listener's endpoint.
   */
  sendText(endpoint: Endpoint, text: string): SendStatus {
    if (!(endpoint instanceof Endpoint)) throw new InvalidArgumentError('sendText needs an Endpoint');
    if (typeof text !== 'string') throw new InvalidArgumentError(`sendText needs the message as a string, got ${text === null ? 'null' : typeof text}`);
    const entry = this.find(endpoint.resourceId);
    if (entry === undefined) return SendStatus.ResourceNotFound;
    if (entry.kind === 'local') throw new UnsupportedError('sendText needs a connection: a listener has no text messages');
    if (this.groupSends.owing !== 0) this.groupSends.settle(endpoint);
    if (entry.remote.sendText === undefined) {
      if (entry.remote === WAITING_REMOTE) return SendStatus.ResourceNotAvailable;
      throw new UnsupportedError(`this transport has no text messages (${endpoint.addr}); send bytes with send()`);
    }
    if (entry.state !== READY) return SendStatus.ResourceNotAvailable;
    if (entry.maxMessageSize !== undefined && text.length > entry.maxMessageSize / 3 && utf8Length(text) > entry.maxMessageSize) {
      return SendStatus.MaxPacketSizeExceeded;
    }
    if (entry.remote.bufferedBytes >= entry.cap) return this.backpressure(entry);
    try {
      return entry.group.counters.sent(entry.remote.sendText(text), text.length);
    } catch (cause) {
      queueMicrotask(() => this.connections.lost(entry, new AdapterError('the adapter threw from sendText', { cause })));
      return SendStatus.ResourceNotFound;
    }
  }

  /**
   * Closes a listener or a connection. A connection flushes what it queued (within `linger`) and
   * emits nothing more: no `disconnected`, as in message-io. Connections accepted by a removed
   * listener stay up. Returns false when the id is unknown or already removed.
   */
  remove(id: ResourceId): boolean {
    const entry = this.find(id);
    if (entry === undefined) return false;
    if (entry.kind === 'local') {
      this.closeLocal(entry);
      this.forget(id);
      return true;
    }
    this.connections.settleWaiters(entry, () => new ConnectAbortedError(`connection to ${entry.endpoint.addr} was removed before it was ready`));
    this.connections.close(entry);
    publishDisconnect(entry.endpoint, 'removed');
    this.ended(entry.endpoint);
    this.forget(id);
    return true;
  }

  /** True when ready (listeners are always), false while connecting, `undefined` for an unknown id. */
  isReady(id: ResourceId): boolean | undefined {
    const entry = this.find(id);
    if (entry === undefined) return undefined;
    return entry.kind === 'local' || entry.state === READY;
  }

  /** Unsent bytes queued on a connection, or `undefined` when it is unknown. */
  bufferedBytes(endpoint: Endpoint): number | undefined {
    const entry = this.find(endpoint.resourceId);
    return entry?.kind === 'remote' ? entry.remote.bufferedBytes : undefined;
  }

  /**
   * The certificate the peer of a connection proved it holds, when a TLS handshake verified it: a
   * server's, on a connection made with `connect` and TLS; a client's, on a connection accepted
   * under mutual TLS. `undefined` otherwise (no TLS, no certificate asked for, not verified, an
   * unknown endpoint, or a transport that does not tell).
   */
  peerCertificate(endpoint: Endpoint): PeerCertificate | undefined {
    const entry = this.find(endpoint.resourceId);
    return entry?.kind === 'remote' ? entry.remote.peerCertificate : undefined;
  }

  /**
   * The application protocol the two ends of a ready connection agreed on during their handshake:
   * the WebSocket subprotocol (Ws: offered with the connect option `protocols`, chosen by the
   * listener's `selectProtocol`). `undefined` when none was agreed, while the connection is not
   * ready, for an unknown endpoint, or on a transport that has none.
   */
  protocol(endpoint: Endpoint): string | undefined {
    const entry = this.find(endpoint.resourceId);
    return entry?.kind === 'remote' && entry.state === READY ? entry.remote.protocol : undefined;
  }

  /**
   * Stops (`true`) or restarts (`false`) reading on every ready connection, for a consumer that
   * fell behind. Called by the node's dispatcher.
   */
  setThrottled(throttled: boolean): void {
    this.throttled = throttled;
    this.connections.throttled = throttled;
    for (const entry of this.resources.values()) {
      // An adapter may change its mind about reading within the loop: the last word wins.
      if (this.throttled !== throttled) return;
      if (entry.kind === 'remote' && entry.state === READY) this.connections.throttle(entry, throttled);
    }
  }

  /** Closes everything; later connect/listen throw NodeStoppedError. Called by `handler.stop()`. */
  stopAll(): void {
    this.running = false;
    this.groupSends.dropAll();
    for (const endpoint of [...this.memberships.keys()]) this.ended(endpoint);
    for (const entry of [...this.resources.values()]) {
      if (entry.kind === 'local') this.closeLocal(entry);
      else {
        this.connections.settleWaiters(entry, () => new ConnectAbortedError('the node stopped before the connection was ready'));
        this.connections.close(entry);
        publishDisconnect(entry.endpoint, 'stopped');
      }
    }
  }

  /** `send` answers `Backpressure`: `writable` is due once the connection drains (published the first time). */
  private backpressure(entry: RemoteEntry): SendStatus {
    entry.group.counters.backpressure++;
    if (!entry.backpressured) {
      entry.backpressured = true;
      const channel = diagnostics.backpressure;
      if (channel?.hasSubscribers === true) channel.publish({ endpoint: entry.endpoint, state: 'full', bufferedBytes: entry.remote.bufferedBytes });
    }
    return SendStatus.Backpressure;
  }

  private checkRunning(): void {
    if (!this.running) throw new NodeStoppedError('the node is stopped');
  }

  private mount(transport: Transport<never, never>): number {
    if (!isTransport(transport)) throw new InvalidArgumentError('expected a transport value such as FramedTcp');
    let id = this.adapterIds.get(transport);
    if (id === undefined) {
      id = this.adapterIds.size;
      this.adapterIds.set(transport, id);
    }
    return id;
  }

  /** `Group.add`: `endpoint` joins `members` if it is one of this node's resources one can send to. */
  private join(members: Set<Endpoint>, endpoint: Endpoint): boolean {
    if (!(endpoint instanceof Endpoint)) throw new InvalidArgumentError('a group takes Endpoints');
    const entry = this.find(endpoint.resourceId);
    if (entry === undefined || (entry.kind === 'remote' && entry.state === CLOSED)) return false;
    if (entry.kind === 'local' && entry.local.sendTo === undefined) {
      throw new InvalidArgumentError(`a ${entry.transport} listener cannot send to its peers: add the connections instead`);
    }
    if (members.has(endpoint)) return true;
    members.add(endpoint);
    const sets = this.memberships.get(endpoint);
    if (sets === undefined) {
      this.memberships.set(endpoint, members);
      if (entry.kind === 'local') {
        let peers = this.listenerPeerMembers.get(entry.id.id);
        if (peers === undefined) this.listenerPeerMembers.set(entry.id.id, (peers = new Set()));
        peers.add(endpoint);
      }
    } else if (Array.isArray(sets)) sets.push(members);
    else this.memberships.set(endpoint, [sets, members]);
    return true;
  }

  /** `Group.delete`. */
  private leave(members: Set<Endpoint>, endpoint: Endpoint): boolean {
    if (!members.delete(endpoint)) return false;
    const sets = this.memberships.get(endpoint);
    if (sets === members) this.forgetMember(endpoint);
    else if (Array.isArray(sets)) {
      sets.splice(sets.indexOf(members), 1);
      if (sets.length === 1) this.memberships.set(endpoint, sets[0]!);
    }
    return true;
  }

  /** `endpoint` ended (closed, removed, failed, its listener gone): out of its groups, and owed nothing. */
  private ended(endpoint: Endpoint): void {
    if (this.groupSends.owing !== 0) this.groupSends.drop(endpoint);
    const sets = this.memberships.get(endpoint);
    if (sets === undefined) return;
    this.forgetMember(endpoint);
    if (Array.isArray(sets)) for (const members of sets) members.delete(endpoint);
    else sets.delete(endpoint);
  }

  /** `endpoint` is in no group any more. */
  private forgetMember(endpoint: Endpoint): void {
    this.memberships.delete(endpoint);
    if (endpoint.resourceId.kind !== 'local') return;
    const peers = this.listenerPeerMembers.get(endpoint.resourceId.id);
    if (peers === undefined) return;
    peers.delete(endpoint);
    if (peers.size === 0) this.listenerPeerMembers.delete(endpoint.resourceId.id);
  }

  /** `Group.send`: one copy of `data`, then every member in slices. */
  private sendToMembers(members: readonly Endpoint[], data: Uint8Array): Promise<GroupSendReport> {
    this.checkRunning();
    if (!(data instanceof Uint8Array)) {
      throw new InvalidArgumentError(`a group sends a Uint8Array (or Buffer), got ${data === null ? 'null' : typeof data}`);
    }
    if (data.length === 0 && isDetached(data)) throw new InvalidArgumentError('send was given a view of a detached ArrayBuffer');
    return this.groupSends.start(members, new SharedMessage(new Uint8Array(data)));
  }

  /** One member of a group send: the checks and answers of `send`, then `Remote.sendShared` where the adapter has it. */
  private sendShared(endpoint: Endpoint, message: SharedMessage): SendStatus {
    const entry = this.find(endpoint.resourceId);
    if (entry === undefined) return SendStatus.ResourceNotFound;
    const data = message.data;
    if (entry.kind === 'local') {
      try {
        return this.sendFromListener(entry, endpoint, data);
      } catch {
        return SendStatus.ResourceNotFound;
      }
    }
    if (entry.state !== READY) return SendStatus.ResourceNotAvailable;
    if (entry.maxMessageSize !== undefined && data.length > entry.maxMessageSize) return SendStatus.MaxPacketSizeExceeded;
    if (entry.remote.bufferedBytes >= entry.cap) return this.backpressure(entry);
    const remote = entry.remote;
    try {
      return entry.group.counters.sent(remote.sendShared !== undefined ? remote.sendShared(message) : remote.send(data), data.length);
    } catch (cause) {
      queueMicrotask(() => this.connections.lost(entry, new AdapterError('the adapter threw from send', { cause })));
      return SendStatus.ResourceNotFound;
    }
  }

  private find(id: ResourceId): RemoteEntry | LocalEntry | undefined {
    if (!(id instanceof ResourceId)) throw new InvalidArgumentError('expected a ResourceId');
    const entry = this.resources.get(id.id);
    return entry !== undefined && entry.id === id ? entry : undefined;
  }

  private sendFromListener(entry: LocalEntry, endpoint: Endpoint, data: Uint8Array): SendStatus {
    if (entry.local.sendTo === undefined) {
      throw new InvalidArgumentError('this transport cannot send from a listener; send through a connection');
    }
    const addr = listenerAddrOf(endpoint);
    // A filed URL is canonical (`new URL().href`): its scheme is the lower-case text before the first colon.
    if (isUrlAddr(addr) && entry.urlSchemes?.includes(addr.url.slice(0, addr.url.indexOf(':'))) !== true) {
      throw new InvalidAddressError(`a ${entry.transport} listener cannot send to ${addr.url}`);
    }
    try {
      return entry.counters.sent(entry.local.sendTo(addr, data), data.length);
    } catch (cause) {
      if (cause instanceof MessageIoError) throw cause;
      return SendStatus.ResourceNotFound;
    }
  }

  private register(
    id: ResourceId,
    endpoint: Endpoint,
    remote: Remote,
    transport: Transport<never, never>,
    common: ResolvedCommonOptions,
    listener: LocalEntry | undefined,
  ): RemoteEntry {
    const maxMessageSize = remote.maxMessageSize ?? transport.maxMessageSize;
    const cap = common.maxBufferedBytes;
    let group = listener === undefined ? this.clientGroup : listener.group;
    if (group === undefined || !group.fits(cap, maxMessageSize)) {
      group = new RemoteGroup(this.connections, listener?.id, cap, maxMessageSize, listener?.counters ?? this.outgoing);
      if (listener === undefined) this.clientGroup = group;
      else listener.group = group;
    }
    const entry = new RemoteEntry(group, endpoint, remote);
    this.resources.set(id.id, entry);
    return entry;
  }

  /** Wires a new listener: #6 `source`, then #8 `accept`. */
  private startLocal(entry: LocalEntry, transport: Transport<never, never>, common: ResolvedCommonOptions): void {
    const id = entry.id;
    entry.local.source({
      closed: (error) => {
        const channel = diagnostics.error;
        if (!entry.closed && channel?.hasSubscribers === true) {
          const failure = error ?? new ListenerClosedError(`the ${entry.transport} listener on ${entry.addr} stopped accepting: its socket or server closed`);
          channel.publish({ resourceId: id, error: failure });
        }
        this.closeLocal(entry);
      },
    });
    entry.local.accept({
      remote: (remote, peer) => this.accepted(entry, transport, common, remote, peer),
      data: (peer, data) => {
        if (entry.closed || this.throttled) return;
        entry.counters.messagesIn++;
        entry.counters.bytesIn += data.length;
        this.emit({ type: 'message', endpoint: Endpoint.fromListener(id, peer), data });
      },
      refused: (refusal) => {
        if (!entry.closed) this.refuse(entry, refusal);
      },
    });
  }

  private accepted(listener: LocalEntry, transport: Transport<never, never>, common: ResolvedCommonOptions, remote: Remote, peer: RemoteAddr): void {
    if (listener.closed || !this.running) {
      remote.close();
      return;
    }
    if (listener.counters.connections >= listener.maxConnections) {
      // Past maxConnections: closed as it arrives, never `accepted`.
      remote.close();
      this.refuse(listener, { reason: 'limit', addr: peer, detail: `maxConnections (${listener.maxConnections})` });
      return;
    }
    const id = new ResourceId(listener.id.adapterId, 'remote', this.nextId++);
    const entry = this.register(id, new Endpoint(id, formatRemoteAddr(peer)), remote, transport, common, listener);
    this.connections.start(entry, common.connectTimeout);
  }

  /** A listener turned a peer away: counted, and published on `message-io:refuse`. */
  private refuse(listener: LocalEntry, refusal: Refusal): void {
    listener.counters.refused++;
    const channel = diagnostics.refuse;
    if (channel?.hasSubscribers !== true) return;
    const { reason, addr, detail, error } = refusal;
    channel.publish({
      listenerId: listener.id,
      reason,
      ...(addr !== undefined && { addr: formatRemoteAddr(addr) }),
      ...(detail !== undefined && { detail }),
      ...(error !== undefined && { error }),
    });
  }

  /** Folds into the node's totals the counts of closed listeners none of whose connections is open. */
  private retireListeners(): void {
    if (this.closedListeners.length === 0) return;
    this.closedListeners = this.closedListeners.filter((counters) => {
      if (counters.connections > 0) return true;
      this.retired.add(counters);
      return false;
    });
  }

  /**
   * What the network did since the node started, and what it holds now: the node's totals
   * (listeners removed since included) and each open listener's counters. Counting costs a few
   * additions per message; this call sums them, and walks the open connections once for their
   * buffered bytes, so it costs O(connections): call it when you scrape, not per message.
   */
  stats(): NetworkStats {
    this.retireListeners();
    const total = new Counters();
    total.add(this.outgoing);
    total.add(this.retired);
    for (const counters of this.closedListeners) total.add(counters);
    const locals: LocalEntry[] = [];
    const buffered = new Map<Counters, number>();
    let bufferedBytes = 0;
    for (const entry of this.resources.values()) {
      if (entry.kind === 'local') {
        locals.push(entry);
        total.add(entry.counters);
        continue;
      }
      const bytes = entry.remote.bufferedBytes;
      if (bytes === 0) continue;
      bufferedBytes += bytes;
      const counters = entry.group.counters;
      buffered.set(counters, (buffered.get(counters) ?? 0) + bytes);
    }
    const byListener: ListenerStats[] = locals.map((local) => ({
      id: local.id,
      transport: local.transport,
      addr: local.addr,
      ...local.counters.snapshot(buffered.get(local.counters) ?? 0),
    }));
    const stored = this.stored();
    return { ...total.snapshot(bufferedBytes), listeners: locals.length, storedBytes: stored.bytes, storedEvents: stored.events, byListener };
  }

  private closeLocal(entry: LocalEntry): void {
    if (entry.closed) return;
    entry.closed = true;
    // The peers of a listener are group members through it: they leave with it, and are owed
    // nothing more (what a group send still owes is short-lived: walked only while there is some).
    const peers = this.listenerPeerMembers.get(entry.id.id);
    if (peers !== undefined) for (const endpoint of [...peers]) this.ended(endpoint);
    if (this.groupSends.owing > 0) for (const endpoint of this.groupSends.endpoints()) if (endpoint.resourceId.id === entry.id.id) this.ended(endpoint);
    if (entry.counters.connections > 0) this.closedListeners.push(entry.counters);
    else this.retired.add(entry.counters);
    this.resources.delete(entry.id.id);
    try {
      entry.local.close();
    } catch {
      // As for closeRemote.
    }
  }
}
