import { formatSocketAddr, parseSocketAddr, type AddressInput, type SocketAddr } from './address.js';
import { InvalidArgumentError } from './errors.js';
import { ResourceId } from './resource-id.js';

const FROM_LISTENER_CACHE = 1024;

/** The endpoints `fromListener` made for one listener, most recently used last, and the last one asked for. */
interface ListenerEndpoints {
  readonly byAddr: Map<string, Endpoint>;
  /**
   * The host and port last asked for as an object (a datagram's sender), and its endpoint, found
   * again without formatting the address; `last` is undefined when the last call gave a string.
   */
  lastHost: string;
  lastPort: number;
  last: Endpoint | undefined;
}
const fromListenerCache = new WeakMap<ResourceId, ListenerEndpoints>();
/** The parsed address of each endpoint made by `fromListener`, so that a send does not parse it again. */
const listenerAddrs = new WeakMap<Endpoint, SocketAddr>();

/** The address an endpoint made by {@link Endpoint.fromListener} sends to, parsed once. */
export function listenerAddrOf(endpoint: Endpoint): SocketAddr {
  let addr = listenerAddrs.get(endpoint);
  if (addr === undefined) {
    addr = parseSocketAddr(endpoint.addr);
    listenerAddrs.set(endpoint, addr);
  }
  return addr;
}

/**
 * One peer of the node: the connection (or listener) that reaches it and its address.
 * The node gives the same `Endpoint` object for the same connection every time, so endpoints
 * work as `Map`/`Set` keys.
 */
export class Endpoint {
  /** The connection, or for {@link Endpoint.fromListener}, the listener. */
  readonly resourceId: ResourceId;
  /** The peer's address: `host:port` (`[v6]:port`), or the URL given to `connect`. */
  readonly addr: string;

  /** Created by the node, or by {@link Endpoint.fromListener}. */
  constructor(resourceId: ResourceId, addr: string) {
    this.resourceId = resourceId;
    this.addr = addr;
  }

  /**
   * An endpoint to send from a listener to any address, on transports that can (Udp):
   * for example, to answer the sender of a datagram. Repeated calls with the same listener and
   * address give the same object (the 1,024 most recently used addresses per listener).
   * @throws InvalidArgumentError when `listenerId` is not a listener's id.
   * @throws InvalidAddressError when `addr` is not a socket address.
   */
  static fromListener(listenerId: ResourceId, addr: AddressInput): Endpoint {
    if (!(listenerId instanceof ResourceId) || listenerId.kind !== 'local') {
      throw new InvalidArgumentError('Endpoint.fromListener needs the ResourceId of a listener');
    }
    let endpoints = fromListenerCache.get(listenerId);
    if (endpoints === undefined) {
      endpoints = { byAddr: new Map(), lastHost: '', lastPort: 0, last: undefined };
      fromListenerCache.set(listenerId, endpoints);
    }
    // Datagrams from one sender come in runs: the same host and port as last time need nothing more
    // (that endpoint is the most recently used already).
    const last = endpoints.last;
    if (last !== undefined && typeof addr === 'object' && addr !== null && addr.host === endpoints.lastHost && addr.port === endpoints.lastPort) {
      return last;
    }
    const cache = endpoints.byAddr;
    // Known addresses (every datagram of a known sender) are found without parsing them again.
    // Only canonical texts are stored, so a hit means the address was valid.
    const key = typeof addr === 'string' ? addr : typeof addr?.host === 'string' ? formatSocketAddr(addr) : '';
    let endpoint = cache.get(key);
    const parsed = endpoint === undefined ? parseSocketAddr(addr) : undefined;
    const text = parsed === undefined ? key : formatSocketAddr(parsed);
    if (endpoint === undefined && text !== key) endpoint = cache.get(text);
    if (endpoint === undefined) {
      if (cache.size >= FROM_LISTENER_CACHE) cache.delete(cache.keys().next().value as string);
      endpoint = new Endpoint(listenerId, text);
      listenerAddrs.set(endpoint, parsed!);
    } else {
      cache.delete(text);
    }
    cache.set(text, endpoint); // most recently used last: the first key is the one to drop
    if (typeof addr === 'string') endpoints.last = undefined;
    else {
      endpoints.lastHost = addr.host;
      endpoints.lastPort = addr.port;
      endpoints.last = endpoint;
    }
    return endpoint;
  }

  /** `[adapter.R.n] 127.0.0.1:3042`. */
  toString(): string {
    return `${this.resourceId.toString()} ${this.addr}`;
  }
}
