// Options: validation (InvalidOptionError naming the option), reuseAddr, reusePort (refused before
// Node.js 22.12, tested where it exists, and reported as skipped where it does not),
// socket buffer sizes (read back with `ss`), sourceAddress and its family (a
// connection binds to the unspecified address of the peer's family).
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, ListenError, split } from '@message-io/core';
import { REUSE_PORT_SUPPORTED, Udp } from '@message-io/udp';
import { supportsReusePort } from '../src/options.js';
import { requirePeers, skipWithout } from '../../../test/support/peers.js';
import { onlyWhere } from '../../../test/support/skips.js';
import { rejection } from '../../../test/support/rejection.js';
import { portOf, stopNodes, testNode } from './support.js';

const T = 15_000;
afterEach(stopNodes);

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('validation', () => {
  it.each([
    ['reuseAddr', 'yes'],
    ['broadcast', 1],
    ['multicastInterface', 'lo'],
    ['multicastInterface', '::1'],
    ['multicastInterface', 127],
    ['multicastTtl', 256],
    ['multicastTtl', -1],
    ['multicastTtl', 1.5],
    ['multicastLoopback', 'true'],
    ['sendBufferSize', 0],
    ['recvBufferSize', 2 ** 31],
    ['maxMessageSize', 65_528],
    ['maxMessageSize', -1],
    ['lookup', 'dns'],
    ['onError', true],
    ['sourceAddress', 'localhost:0'],
    ['sourceAddress', 'not an address'],
    ['maxBufferedBytes', 0],
  ])('connect and listen refuse %s = %j with InvalidOptionError naming it', async (key, value) => {
    const [handler] = split();
    try {
      const error = thrown(() => handler.network().connect(Udp, '127.0.0.1:9', { [key]: value }));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toContain(key);
      if (key !== 'sourceAddress') {
        await expect(handler.network().listen(Udp, '127.0.0.1:0', { [key]: value })).rejects.toBeInstanceOf(InvalidOptionError);
      }
    } finally {
      handler.stop();
    }
  });

  it.each([
    ['reuseAddr', 'yes'],
    ['broadcast', 1],
    ['multicastInterface', 'lo'],
    ['multicastTtl', 256],
    ['multicastLoopback', 'true'],
    ['sendBufferSize', 0],
    ['maxMessageSize', -1],
    ['lookup', 'dns'],
    ['onError', true],
    ['sourceAddress', 'not an address'],
    ['maxBufferedBytes', 0],
  ])('connect and listen ignore %s = %j when it is only inherited (OPT-01)', async (key, value) => {
    const [handler] = split();
    try {
      expect(() => handler.network().connect(Udp, '127.0.0.1:9', Object.create({ [key]: value }) as never)).not.toThrow();
      if (key !== 'sourceAddress') {
        await expect(handler.network().listen(Udp, '127.0.0.1:0', Object.create({ [key]: value }) as never)).resolves.toMatchObject({
          addr: expect.any(String),
        });
      }
    } finally {
      handler.stop();
    }
  });

  it('connect and listen refuse unknown options, naming the key and the options of that side', async () => {
    const [handler] = split();
    const net = handler.network();
    try {
      // A Ws listen option, a listen-only option on connect, a connect-only option on listen, a typo.
      const cert = thrown(() => net.connect(Udp, '127.0.0.1:9', { cert: 'pem' } as never)) as Error;
      expect(cert).toBeInstanceOf(InvalidOptionError);
      expect(cert.message).toMatch(/^unknown option cert for Udp connect; Udp connect takes maxBufferedBytes, connectTimeout, linger, .*sourceAddress/);
      expect((thrown(() => net.connect(Udp, '127.0.0.1:9', { ipv6Only: true } as never)) as Error).message).toContain(
        'unknown option ipv6Only for Udp connect',
      );
      expect((thrown(() => net.connect(Udp, '127.0.0.1:9', { brodcast: true } as never)) as Error).message).toContain('(did you mean broadcast?)');
      const bogus = await rejection(net.listen(Udp, '127.0.0.1:0', { bogus: true } as never));
      expect(bogus).toBeInstanceOf(InvalidOptionError);
      expect(bogus.message).toMatch(/^unknown option bogus for Udp listen; .*ipv6Only/);
      const source = await rejection(net.listen(Udp, '127.0.0.1:0', { sourceAddress: '127.0.0.1:0' } as never));
      expect(source.message).toContain('unknown option sourceAddress for Udp listen');
      // Not connection-oriented: no connections to limit.
      const limit = await rejection(net.listen(Udp, '127.0.0.1:0', { maxConnections: 2 } as never));
      expect(limit.message).toContain('unknown option maxConnections for Udp listen');
      // Keys set to undefined are taken.
      await net.listen(Udp, '127.0.0.1:0', { bogus: undefined } as never);
    } finally {
      handler.stop();
    }
  });

  it('options must be an object', () => {
    const [handler] = split();
    expect(thrown(() => handler.network().connect(Udp, '127.0.0.1:9', 'fast' as never))).toBeInstanceOf(InvalidOptionError);
    handler.stop();
  });

  it('a multicast interface or a source of the other family is refused synchronously; the other multicast options fit both', () => {
    const [handler] = split();
    const net = handler.network();
    // IPv4 names the interface by its address, IPv6 by its name.
    expect(thrown(() => net.connect(Udp, '[::1]:9', { multicastInterface: '127.0.0.1' }))).toBeInstanceOf(InvalidOptionError);
    expect(thrown(() => net.connect(Udp, '127.0.0.1:9', { multicastInterface: 'lo' }))).toBeInstanceOf(InvalidOptionError);
    expect(thrown(() => net.connect(Udp, '127.0.0.1:9', { multicastInterface: '::%lo' }))).toBeInstanceOf(InvalidOptionError);
    for (const bad of ['a/b', 'name with space', 'waytoolonginterfacename', '::%', '::%a:b']) {
      expect(
        thrown(() => net.connect(Udp, '[::1]:9', { multicastInterface: bad })),
        bad,
      ).toBeInstanceOf(InvalidOptionError);
    }
    expect(net.connect(Udp, '[::1]:9', { multicastInterface: 'lo', multicastTtl: 1, multicastLoopback: false }).addr).toBe('[::1]:9');
    expect(net.connect(Udp, '[::1]:9', { multicastInterface: '::%lo' }).addr).toBe('[::1]:9');
    expect(thrown(() => net.connect(Udp, '[::1]:9', { sourceAddress: '127.0.0.1:0' }))).toBeInstanceOf(InvalidOptionError);
    expect(thrown(() => net.connect(Udp, '127.0.0.1:9', { sourceAddress: '[::1]:0' }))).toBeInstanceOf(InvalidOptionError);
    handler.stop();
  });
});

describe('reusePort', () => {
  it('is known per Node.js version: 22.12+ and 23.1+ have it, 20 does not', () => {
    expect(['20.20.2', '22.11.0', '23.0.0'].map(supportsReusePort)).toEqual([false, false, false]);
    expect(['22.12.0', '23.1.0', '24.0.0'].map(supportsReusePort)).toEqual([true, true, true]);
    expect(REUSE_PORT_SUPPORTED).toBe(supportsReusePort(process.versions.node));
  });

  // One of the next two runs, the other shows as skipped with its reason: on Node.js 20 (what CI
  // runs) the refusal is tested and the shared port is not, and on 22.12 or later the other way round.
  const refused = onlyWhere(!REUSE_PORT_SUPPORTED, `this Node.js (${process.versions.node}) has reusePort, so nothing refuses it`);
  const honoured = onlyWhere(REUSE_PORT_SUPPORTED, `reusePort needs Node >= 22.12; this is ${process.versions.node}`);

  it.skipIf(refused.skip)(
    refused.title('is refused with InvalidOptionError before Node.js 22.12, binding nothing; reusePort: false listens'),
    async () => {
      const node = testNode();
      const net = node.handler.network();
      const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
      const before = sockets();
      const error = await net.listen(Udp, '127.0.0.1:0', { reusePort: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toMatch(/reusePort needs Node\.js 22\.12/);
      expect(sockets()).toBeLessThanOrEqual(before);
      await expect(net.listen(Udp, '127.0.0.1:0', { reusePort: false })).resolves.toBeDefined();
    },
    T,
  );

  it.skipIf(honoured.skip)(
    honoured.title('lets two listeners share a port'),
    async () => {
      const node = testNode();
      const net = node.handler.network();
      const first = await net.listen(Udp, '127.0.0.1:0', { reusePort: true });
      await expect(net.listen(Udp, first.addr, { reusePort: true })).resolves.toMatchObject({ addr: first.addr });
    },
    T,
  );
});

describe('reuseAddr', () => {
  it(
    'two listeners share 127.0.0.1:P with reuseAddr; without it, the second gets ListenError (EADDRINUSE)',
    async () => {
      const node = testNode();
      const net = node.handler.network();
      const shared = await net.listen(Udp, '127.0.0.1:0', { reuseAddr: true });
      await expect(net.listen(Udp, shared.addr, { reuseAddr: true })).resolves.toMatchObject({ addr: shared.addr });
      const alone = await net.listen(Udp, '127.0.0.1:0');
      const error = await net.listen(Udp, alone.addr).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ListenError);
      expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
      expect(node.handler.isRunning()).toBe(true);
    },
    T,
  );
});

/** SO_RCVBUF and SO_SNDBUF of the UDP socket bound to `port`, as `ss` shows them. */
function socketBuffers(port: number): { rb: number; tb: number } {
  requirePeers('ss');
  const out = execFileSync('ss', ['-u', '-a', '-n', '-m', '-H', `sport = :${port}`], { encoding: 'utf8', timeout: 3000 });
  const match = /rb(\d+),t\d+,tb(\d+)/.exec(out);
  if (!match) throw new Error(`no socket on port ${port} in: ${out}`);
  return { rb: Number(match[1]), tb: Number(match[2]) };
}

describe.skipIf(skipWithout('ss'))('socket buffer sizes', () => {
  it(
    'recvBufferSize and sendBufferSize reach the socket (Linux doubles them)',
    async () => {
      const node = testNode();
      const plain = await node.handler.network().listen(Udp, '127.0.0.1:0');
      const sized = await node.handler.network().listen(Udp, '127.0.0.1:0', { recvBufferSize: 300_000, sendBufferSize: 100_000 });
      const before = socketBuffers(portOf(plain.addr));
      const after = socketBuffers(portOf(sized.addr));
      expect(after).toEqual({ rb: 600_000, tb: 200_000 });
      expect(before).not.toEqual(after);

      const source = await node.handler.network().listen(Udp, '127.0.0.1:0');
      node.handler.network().remove(source.id);
      await new Promise((r) => setTimeout(r, 20));
      await node.handler.network().connectAndWait(Udp, plain.addr, { sourceAddress: source.addr, recvBufferSize: 50_000 });
      expect(socketBuffers(portOf(source.addr)).rb).toBe(100_000);
    },
    T,
  );
});

describe('sourceAddress', () => {
  it(
    'sends from the given address and port',
    async () => {
      const server = testNode();
      const { addr } = await server.handler.network().listen(Udp, '127.0.0.1:0');
      const probe = await server.handler.network().listen(Udp, '127.0.0.1:0');
      server.handler.network().remove(probe.id);
      await new Promise((r) => setTimeout(r, 20));
      const client = testNode();
      const ep = await client.handler.network().connectAndWait(Udp, addr, { sourceAddress: probe.addr });
      client.handler.network().send(ep, Uint8Array.of(1));
      const got = await server.waitFor((e) => e.type === 'message');
      expect(got.type === 'message' && got.endpoint.addr).toBe(probe.addr);
    },
    T,
  );
});
