// Identity of a Udp listener's endpoints: per-peer state kept in a Map keyed by `event.endpoint`
// is found again for every peer, however many peers there are.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { Endpoint } from '@message-io/core';
import { Udp } from '@message-io/udp';
import { sleep, stopNodes, testNode } from './support.js';

afterEach(stopNodes);

/** A datagram socket bound to `host`, on a port of its own. */
function peerSocket(type: 'udp4' | 'udp6', host: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(type);
    socket.once('error', reject);
    socket.bind(0, host, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** What a server keeps for one peer: the rounds it heard from it. */
interface PeerState {
  readonly rounds: Set<number>;
}

const families = [
  { name: 'IPv4', type: 'udp4', host: '127.0.0.1', peers: 2_000 },
  { name: 'IPv6', type: 'udp6', host: '::1', peers: 1_500 },
] as const;

describe.each(families)('a Udp listener over $name', ({ type, host, peers }) => {
  it(`gives each of ${peers} peers the same endpoint for both its datagrams, so a Map keyed by it finds the peer's state`, async () => {
    // The documented way: per-peer state in a Map<Endpoint, ...>, looked up in the callback.
    const state = new Map<Endpoint, PeerState>();
    const objectsByAddr = new Map<string, Set<Endpoint>>();
    let created = 0;
    const server = testNode((event) => {
      if (event.type !== 'message') return;
      const round = event.data[0]!;
      let peer = state.get(event.endpoint);
      if (peer === undefined) {
        peer = { rounds: new Set() };
        state.set(event.endpoint, peer);
        created++;
      }
      peer.rounds.add(round);
      let objects = objectsByAddr.get(event.endpoint.addr);
      if (objects === undefined) objectsByAddr.set(event.endpoint.addr, (objects = new Set()));
      objects.add(event.endpoint);
    });
    const { addr } = await server.handler.network().listen(Udp, type === 'udp4' ? `${host}:0` : `[${host}]:0`);
    const port = Number(addr.slice(addr.lastIndexOf(':') + 1));

    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < peers; i += 100) {
        sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, peers - i) }, () => peerSocket(type, host)))));
      }
      expect(new Set(sockets.map((s) => s.address().port)).size).toBe(peers);
      const heard = (socket: Socket, round: number): boolean => {
        const { address, port: from } = socket.address();
        const key = type === 'udp4' ? `${address}:${from}` : `[${address}]:${from}`;
        const objects = objectsByAddr.get(key);
        return objects !== undefined && [...objects].some((e) => state.get(e)?.rounds.has(round) === true);
      };
      // Every peer sends round 1, then every peer sends round 2: between a peer's two datagrams the
      // listener hears from all the others. Batches of 100 are awaited (loopback can drop a burst
      // that overflows the receive buffer); a datagram not heard within 200 ms is sent again.
      for (const round of [1, 2]) {
        for (let i = 0; i < peers; i += 100) {
          const batch = sockets.slice(i, i + 100);
          const deadline = Date.now() + 5_000;
          let missing = batch;
          while (missing.length > 0) {
            if (Date.now() > deadline) throw new Error(`round ${round}: ${missing.length} peers not heard within 5 s`);
            for (const socket of missing) socket.send(Uint8Array.of(round), port, host);
            const retry = Date.now() + 200;
            while (Date.now() < retry && missing.some((s) => !heard(s, round))) await sleep(5);
            missing = missing.filter((s) => !heard(s, round));
          }
        }
      }
    } finally {
      await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    }

    // One endpoint object per peer address, one state per peer, and each state saw both rounds.
    expect(objectsByAddr.size).toBe(peers);
    expect([...objectsByAddr.values()].filter((objects) => objects.size !== 1)).toHaveLength(0);
    expect(created).toBe(peers);
    expect(state.size).toBe(peers);
    expect([...state.values()].filter((peer) => peer.rounds.size !== 2)).toHaveLength(0);
  }, 30_000);
});
