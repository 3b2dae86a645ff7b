import type { Socket } from 'node:dgram';
import {
  InvalidAddressError,
  InvalidOptionError,
  ListenError,
  isUrlAddr,
  refuseUnknownOptions,
  type Adapter,
  type Listening,
  type Remote,
  type RemoteAddr,
  type RemoteContext,
  type SocketAddr,
} from '@message-io/core/adapter';
import { ipFamily, isIPv4Multicast, isIPv6Multicast } from './limits.js';
import { UdpLocal } from './listener.js';
import { udpConnectKeys, udpListenKeys } from './option-keys.js';
import { interfaceFor, resolveSettings, resolveSourceAddress, type UdpConnectOptions, type UdpListenOptions, type UdpSettings } from './options.js';
import { UdpRemote } from './remote.js';
import { bindSocket, closeSocket, configureSocket, openSocket, resolveHost, type ResolvedHost } from './socket.js';

/** Refuses what no socket can do, before anything is opened: a multicast interface of the other family. @throws InvalidOptionError */
function checkAddress(host: string, settings: UdpSettings): void {
  const family = ipFamily(host);
  if (family !== 0) interfaceFor(settings, family);
}

/** The multicast group `address` is, if it is one (IPv4 or IPv6). */
function groupOf(address: string): string | undefined {
  return isIPv4Multicast(address) || isIPv6Multicast(address) ? address : undefined;
}

async function resolveListenHost(host: string, settings: UdpSettings): Promise<ResolvedHost> {
  try {
    return await resolveHost(host, 0, settings.lookup);
  } catch (cause) {
    throw new ListenError(`cannot resolve ${host}`, { cause });
  }
}

/** Binds a listening socket, joins `group` if any, applies the sending options. */
async function bindListener(target: ResolvedHost, port: number, settings: UdpSettings, report: (error: Error) => void): Promise<Socket> {
  const group = groupOf(target.address);
  const socket = openSocket(target.family, settings, settings.reuseAddr ?? group !== undefined, report);
  try {
    await bindSocket(socket, target.address, port);
  } catch (cause) {
    closeSocket(socket);
    throw new ListenError(`cannot listen on ${target.address}:${port}: ${(cause as Error).message}`, { cause });
  }
  try {
    if (group !== undefined) socket.addMembership(group, interfaceFor(settings, target.family));
    configureSocket(socket, settings, target.family);
  } catch (cause) {
    closeSocket(socket);
    const what = group === undefined ? 'configure the socket' : `join ${group} on ${settings.multicastInterface ?? 'the default interface'}`;
    throw new ListenError(`cannot ${what}: ${(cause as Error).message}`, { cause });
  }
  return socket;
}

/** The adapter of Udp. */
export const udpAdapter: Adapter<UdpConnectOptions, UdpListenOptions> = {
  connect(addr: RemoteAddr, options: UdpConnectOptions | undefined, context: RemoteContext): Remote {
    if (isUrlAddr(addr)) throw new InvalidAddressError(`Udp connects to host:port addresses, not URLs (${addr.url})`);
    refuseUnknownOptions(options, udpConnectKeys, 'Udp connect');
    const settings = resolveSettings(options);
    const source = resolveSourceAddress(options);
    checkAddress(addr.host, settings);
    const family = ipFamily(addr.host);
    if (source !== undefined && family !== 0 && ipFamily(source.host) !== family) {
      throw new InvalidOptionError(`option sourceAddress ${source.host} is not of the family of the peer ${addr.host}`);
    }
    return new UdpRemote(addr, source, settings, context);
  },

  async listen(addr: SocketAddr, options: UdpListenOptions | undefined, context: RemoteContext): Promise<Listening> {
    refuseUnknownOptions(options, udpListenKeys, 'Udp listen');
    const settings = resolveSettings(options);
    checkAddress(addr.host, settings);
    const target = await resolveListenHost(addr.host, settings);
    checkAddress(target.address, settings);
    let local: UdpLocal | undefined;
    const socket = await bindListener(target, addr.port, settings, (error) => local?.report(error));
    const group = groupOf(target.address);
    local = new UdpLocal(socket, target.family, group, settings, context);
    const bound = socket.address();
    return { local, addr: { host: bound.address, port: bound.port } };
  },
};
