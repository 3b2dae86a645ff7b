import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { lookup as systemLookup } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { ipFamily } from './limits.js';
import { interfaceFor, type UdpSettings } from './options.js';

/** An IP address and its family, as resolved from a host. */
export interface ResolvedHost {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves `host` to one IP address (literals as they are); `family` 0 takes the resolver's first answer. */
export async function resolveHost(host: string, family: 0 | 4 | 6, lookup: LookupFunction | undefined): Promise<ResolvedHost> {
  const literal = ipFamily(host);
  if (literal !== 0) return { address: host, family: literal };
  if (lookup === undefined) {
    const found = await dnsLookup(host, { family });
    return { address: found.address, family: found.family === 6 ? 6 : 4 };
  }
  return new Promise((resolve, reject) => {
    lookup(host, { family }, (error, address, found) => {
      if (error) reject(error);
      else if (typeof address === 'string' && ipFamily(address) !== 0) resolve({ address, family: found === 6 ? 6 : 4 });
      else reject(new Error(`the lookup function gave no address for ${host}`));
    });
  });
}

/**
 * dgram looks up the address of every datagram sent to a host and port, IP literals too, and the
 * system lookup answers a literal on the next tick: this answers literals at once (a listener's
 * reply leaves in the same turn) and passes names to `lookup`. dgram passes the family as a
 * number; a `net`-style lookup wants `{ family }`.
 */
function forDgram(lookup: LookupFunction): SocketOptions['lookup'] {
  const adapted = (host: string, family: unknown, callback: (error: Error | null, address: string, family: number) => void): void => {
    const literal = ipFamily(host);
    if (literal !== 0) return callback(null, host, literal);
    const wanted = typeof family === 'number' ? family : ((family as { family?: number } | undefined)?.family ?? 0);
    lookup(host, { family: wanted }, callback as Parameters<LookupFunction>[2]);
  };
  return adapted as unknown as SocketOptions['lookup'];
}

/**
 * Creates a socket of `family` with the settings that must be given before binding. `onError`
 * receives every `'error'` event, so none goes unhandled.
 */
export function openSocket(family: 4 | 6, settings: UdpSettings, reuseAddr: boolean, onError: (error: Error) => void): Socket {
  const options: SocketOptions & { reusePort?: boolean } = {
    type: family === 4 ? 'udp4' : 'udp6',
    reuseAddr,
    ipv6Only: settings.ipv6Only,
    ...(settings.reusePort && { reusePort: true }),
    ...(settings.recvBufferSize !== undefined && { recvBufferSize: settings.recvBufferSize }),
    ...(settings.sendBufferSize !== undefined && { sendBufferSize: settings.sendBufferSize }),
    lookup: forDgram(settings.lookup ?? (systemLookup as LookupFunction)),
  };
  const socket = createSocket(options);
  socket.on('error', onError);
  return socket;
}

/** Binds `socket`; rejects with the system's error. */
export function bindSocket(socket: Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error): void => reject(error);
    socket.once('error', failed);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', failed);
      resolve();
    });
  });
}

/** Connects a bound `socket` to one peer; rejects with the system's error. */
export function connectSocket(socket: Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => socket.connect(port, host, (error?: Error) => (error ? reject(error) : resolve())));
}

/**
 * Applies what needs a bound socket: broadcast and the multicast options. Call it before
 * `connect`: Linux picks a connected socket's route and source address at connect time.
 */
export function configureSocket(socket: Socket, settings: UdpSettings, family: 4 | 6): void {
  if (settings.broadcast) socket.setBroadcast(true);
  const multicastInterface = interfaceFor(settings, family);
  if (multicastInterface !== undefined) socket.setMulticastInterface(multicastInterface);
  if (settings.multicastTtl !== undefined) socket.setMulticastTTL(settings.multicastTtl);
  if (settings.multicastLoopback !== undefined) socket.setMulticastLoopback(settings.multicastLoopback);
}

/** Bytes waiting in the socket's send queue (0 once it is closed). */
export function queuedBytes(socket: Socket): number {
  try {
    return socket.getSendQueueSize();
  } catch {
    return 0;
  }
}

/** Datagrams waiting in the socket's send queue (0 once it is closed). */
export function queuedDatagrams(socket: Socket): number {
  try {
    return socket.getSendQueueCount();
  } catch {
    return 0;
  }
}

/** Closes `socket`, ignoring a socket that is already closed. */
export function closeSocket(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

/**
 * Closes `socket` once the datagrams it still queues have left, or after `linger` milliseconds.
 * Returns the check to run from each send callback (it closes the socket when the queue is empty).
 */
export function closeAfterFlush(socket: Socket, linger: number): () => void {
  if (linger === 0 || queuedDatagrams(socket) === 0) {
    closeSocket(socket);
    return () => undefined;
  }
  const timer = setTimeout(() => closeSocket(socket), linger);
  timer.unref();
  return () => {
    if (queuedDatagrams(socket) > 0) return;
    clearTimeout(timer);
    closeSocket(socket);
  };
}
