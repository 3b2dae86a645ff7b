import { formatSocketAddr, parseRemoteAddr, parseSocketAddr, type AddressInput, type RemoteAddr, type SocketAddr } from '../adapter/address.js';
import { InvalidArgumentError } from '../adapter/errors.js';
import { ResourceId } from './resource-id.js';

/** The parsed address of each endpoint made by `fromListener`, so that a send does not parse it again. */
const listenerAddrs = new WeakMap<Endpoint, RemoteAddr>();

/** Where a listener's endpoint is filed, to take it out of the maps once it has been collected (`host` undefined: a URL, filed by text only). */
interface Filed {
  readonly text: string;
  readonly host: string | undefined;
  readonly port: number;
}

/**
 * The endpoints `fromListener` made for one listener, each held weakly: an endpoint stays the one
 * returned for its address while anything holds it, and is dropped from the maps once collected.
 */
interface ListenerEndpoints {
  /** By host, then port: a datagram's sender is found without formatting its address. */
  readonly byHost: Map<string, Map<number, WeakRef<Endpoint>>>;
  /**
   * By canonical text (`host:port`, `[v6]:port`, or a URL as `new URL().href` writes it): an address
   * given as a string, or a URL, is found without parsing it.
   */
  readonly byText: Map<string, WeakRef<Endpoint>>;
  readonly registry: FinalizationRegistry<Filed>;
  /**
   * The host and port last asked for as an object (a datagram's sender), and its endpoint, found
   * again without a lookup; `last` is undefined until then. It holds one endpoint per listener.
   */
  lastHost: string;
  lastPort: number;
  last: Endpoint | undefined;
}
const fromListenerCache = new WeakMap<ResourceId, ListenerEndpoints>();

/** Empty maps for one listener, and the registry that takes collected endpoints out of them. */
function listenerEndpoints(): ListenerEndpoints {
  const byHost = new Map<string, Map<number, WeakRef<Endpoint>>>();
  const byText = new Map<string, WeakRef<Endpoint>>();
  const registry = new FinalizationRegistry<Filed>(({ text, host, port }) => {
    // A newer endpoint for the same address may have taken the collected one's place: keep it.
    const ref = byText.get(text);
    if (ref === undefined || ref.deref() !== undefined) return;
    byText.delete(text);
    if (host === undefined) return;
    const ports = byHost.get(host);
    if (ports === undefined) return;
    ports.delete(port);
    if (ports.size === 0) byHost.delete(host);
  });
  return { byHost, byText, registry, lastHost: '', lastPort: 0, last: undefined };
}

/** The endpoint for a checked URL (canonical): the one held for it, or a new one, filed by its text. */
function fileUrlEndpoint(endpoints: ListenerEndpoints, listenerId: ResourceId, addr: { readonly url: string }): Endpoint {
  const held = endpoints.byText.get(addr.url)?.deref();
  if (held !== undefined) return held;
  const endpoint = new Endpoint(listenerId, addr.url);
  listenerAddrs.set(endpoint, addr);
  endpoints.byText.set(addr.url, new WeakRef(endpoint));
  endpoints.registry.register(endpoint, { text: addr.url, host: undefined, port: 0 });
  return endpoint;
}

/** The endpoint for a checked address (a URL: canonical): the one held for it, or a new one, filed. */
function fileEndpoint(endpoints: ListenerEndpoints, listenerId: ResourceId, addr: RemoteAddr): Endpoint {
  if ('url' in addr) return fileUrlEndpoint(endpoints, listenerId, addr);
  let ports = endpoints.byHost.get(addr.host);
  const held = ports?.get(addr.port)?.deref();
  if (held !== undefined) return held;
  const text = formatSocketAddr(addr);
  const endpoint = new Endpoint(listenerId, text);
  listenerAddrs.set(endpoint, addr);
  const ref = new WeakRef(endpoint);
  if (ports === undefined) endpoints.byHost.set(addr.host, (ports = new Map()));
  ports.set(addr.port, ref);
  endpoints.byText.set(text, ref);
  endpoints.registry.register(endpoint, { text, host: addr.host, port: addr.port });
  return endpoint;
}

/** The address an endpoint made by {@link Endpoint.fromListener} sends to, parsed once. */
export function listenerAddrOf(endpoint: Endpoint): RemoteAddr {
  let addr = listenerAddrs.get(endpoint);
  if (addr === undefined) {
    addr = parseRemoteAddr(endpoint.addr);
    listenerAddrs.set(endpoint, addr);
  }
  return addr;
}

/**
 * One peer of the node: the connection (or listener) that reaches it and its address.
 * The node gives the same `Endpoint` object for the same connection every time, and
 * {@link Endpoint.fromListener} the same object for the same listener and address while anything
 * holds it, so endpoints work as `Map`/`Set` keys.
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
   * An endpoint to send from a listener to any address, on transports that can (Udp, Nats):
   * for example, to answer the sender of a datagram. `addr` is a socket address, or a URL for
   * transports whose peers are named by URLs (a NATS reply subject:
   * `nats://127.0.0.1:4222/_INBOX.abc`). Repeated calls with the same listener and
   * address give the same object for as long as anything holds it (a `Map` key, a stored event,
   * a variable), however many addresses there are; the `message` events of a Udp or Nats listener carry
   * these endpoints. An endpoint nothing holds is let go, so memory follows what the program keeps.
   * @throws InvalidArgumentError when `listenerId` is not a listener's id.
   * @throws InvalidAddressError when `addr` is neither a socket address nor a URL.
   */
  static fromListener(listenerId: ResourceId, addr: AddressInput | RemoteAddr): Endpoint {
    if (!(listenerId instanceof ResourceId) || listenerId.kind !== 'local') {
      throw new InvalidArgumentError('Endpoint.fromListener needs the ResourceId of a listener');
    }
    let endpoints = fromListenerCache.get(listenerId);
    if (endpoints === undefined) {
      endpoints = listenerEndpoints();
      fromListenerCache.set(listenerId, endpoints);
    }
    if (typeof addr === 'object' && addr !== null) {
      // Datagrams from one sender come in runs: the same host and port as last time need nothing more.
      const last = endpoints.last;
      // A URL has no host: it never matches (a test before this one would cost every datagram).
      const socket = addr as SocketAddr;
      if (last !== undefined && socket.host === endpoints.lastHost && socket.port === endpoints.lastPort) return last;
      if ('url' in addr) {
        // Filed by the canonical text only: a hit is valid; anything else is parsed (and made canonical).
        const held = typeof addr.url === 'string' ? endpoints.byText.get(addr.url)?.deref() : undefined;
        return held ?? fileEndpoint(endpoints, listenerId, parseRemoteAddr(addr.url));
      }
      // A known sender is found by host and port. Only checked hosts and ports are filed, so a hit
      // means the address is valid; anything else is checked, and canonical (`[::1]` is `::1`).
      const endpoint = endpoints.byHost.get(addr.host)?.get(addr.port)?.deref() ?? fileEndpoint(endpoints, listenerId, parseSocketAddr(addr));
      endpoints.lastHost = addr.host;
      endpoints.lastPort = addr.port;
      endpoints.last = endpoint;
      return endpoint;
    }
    // Only canonical texts are filed, so a hit means the address is valid.
    const held = typeof addr === 'string' ? endpoints.byText.get(addr)?.deref() : undefined;
    return held ?? fileEndpoint(endpoints, listenerId, parseRemoteAddr(addr));
  }

  /** `[adapter.R.n] 127.0.0.1:3042`. */
  toString(): string {
    return `${this.resourceId.toString()} ${this.addr}`;
  }
}
