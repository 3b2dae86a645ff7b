import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '@message-io/core';
import { FramedTcp, Tcp } from '@message-io/tcp';
import { rejection } from '../../../test/support/rejection.js';
import { testNode, type TestNode } from './support.js';

const nodes: TestNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.handler.stop();
});
function node(): TestNode {
  const n = testNode();
  nodes.push(n);
  return n;
}

describe('Tcp options', () => {
  it('connects from the given sourceAddress', async () => {
    const server = node();
    const { addr } = await server.handler.network().listen(FramedTcp, '127.0.0.1:0');
    const probe = node();
    const { id, addr: free } = await probe.handler.network().listen(Tcp, '127.0.0.1:0');
    probe.handler.network().remove(id);
    const client = node();
    await client.handler.network().connectAndWait(FramedTcp, addr, { sourceAddress: free });
    const accepted = await server.waitFor((e) => e.type === 'accepted');
    expect(accepted.type === 'accepted' && accepted.endpoint.addr).toBe(free);
  });

  it('accepts keepAlive, noDelay and maxMessageSize, and rejects wrong types with InvalidOptionError', async () => {
    const n = node();
    const net = n.handler.network();
    const { addr } = await net.listen(FramedTcp, '127.0.0.1:0', { keepAlive: 1000, noDelay: false, maxMessageSize: 10 });
    await net.connectAndWait(FramedTcp, addr, { keepAlive: true, noDelay: true, maxMessageSize: 10 });
    const bad: [unknown, string][] = [
      [{ keepAlive: 'yes' }, 'keepAlive'],
      [{ noDelay: 1 }, 'noDelay'],
      [{ maxMessageSize: -1 }, 'maxMessageSize'],
      [{ maxMessageSize: 1.5 }, 'maxMessageSize'],
      [{ sourceAddress: 'nowhere' }, 'sourceAddress'],
      [{ lookup: 'dns' }, 'lookup'],
      [{ sourceAddress: 'localhost:0' }, 'sourceAddress'],
      [{ connectTimeout: 0 }, 'connectTimeout'],
      [{ connectTimeout: Infinity }, 'connectTimeout'],
      [{ connectTimeout: 2 ** 31 }, 'connectTimeout'],
      [{ linger: -1 }, 'linger'],
      [{ linger: Infinity }, 'linger'],
      [{ maxBufferedBytes: 0.5 }, 'maxBufferedBytes'],
    ];
    for (const [options, name] of bad) {
      expect(() => net.connect(FramedTcp, addr, options as never), name).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
      expect(() => net.connect(FramedTcp, addr, options as never), name).toThrow(new RegExp(name));
    }
    expect(() => net.connect(Tcp, addr, { maxMessageSize: 10 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    await expect(net.listen(FramedTcp, '127.0.0.1:0', { backlog: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(net.listen(FramedTcp, '127.0.0.1:0', { ipv6Only: 'no' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });

  it("ignores options inherited from the options object's prototype, valid or not (OPT-01)", async () => {
    const n = node();
    const net = n.handler.network();
    const { addr } = await net.listen(FramedTcp, '127.0.0.1:0', Object.create({ backlog: -1, ipv6Only: 'no', maxMessageSize: -1, idleTimeout: 'x' }) as never);
    const inherited: object[] = [
      { keepAlive: 'yes' },
      { noDelay: 1 },
      { maxMessageSize: -1 },
      { sourceAddress: 'nowhere' },
      { lookup: 'dns' },
      { connectTimeout: 0 },
      { linger: -1 },
      { maxBufferedBytes: 0.5 },
      { reuseReceiveBuffer: 'yes' },
    ];
    for (const options of inherited) {
      expect(() => net.connect(FramedTcp, addr, Object.create(options) as never), JSON.stringify(options)).not.toThrow();
    }
    // An inherited maxMessageSize is not Tcp's mistake either, and a small one does not apply.
    expect(() => net.connect(Tcp, addr, Object.create({ maxMessageSize: 10 }) as never)).not.toThrow();
    const ep = await net.connectAndWait(FramedTcp, addr, Object.create({ maxMessageSize: 1 }) as never);
    expect(net.send(ep, Buffer.alloc(100))).toBe('Sent');
  });

  it('refuses unknown options on connect and listen, naming the key and the options that side takes', async () => {
    const n = node();
    const net = n.handler.network();
    const { addr } = await net.listen(FramedTcp, '127.0.0.1:0');
    const servers = process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const connectError = (transport: typeof Tcp | typeof FramedTcp, options: object): Error => {
      try {
        net.connect(transport, addr, options as never);
      } catch (error) {
        return error as Error;
      }
      throw new Error('connect took the options');
    };
    for (const transport of [Tcp, FramedTcp]) {
      const error = connectError(transport, { bogus: true });
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error.message).toMatch(new RegExp(`^unknown option bogus for ${transport.name} connect; ${transport.name} connect takes maxBufferedBytes, `));
      expect(error.message).toContain('sourceAddress');
      expect(error.message).not.toContain('backlog');
      // A Ws listen option, and a listen-only option on connect.
      expect(connectError(transport, { cert: 'pem' }).message).toContain('unknown option cert');
      expect(connectError(transport, { backlog: 10 }).message).toContain('unknown option backlog');
      const listenError = await rejection(net.listen(transport, '127.0.0.1:0', { bogus: true } as never));
      expect(listenError).toBeInstanceOf(InvalidOptionError);
      expect(listenError.message).toMatch(new RegExp(`^unknown option bogus for ${transport.name} listen; .*backlog`));
      expect(listenError.message).not.toContain('sourceAddress');
      expect((await rejection(net.listen(transport, '127.0.0.1:0', { sourceAddress: '127.0.0.1:0' } as never))).message).toContain(
        'unknown option sourceAddress',
      );
    }
    expect(connectError(FramedTcp, { maxMesageSize: 10 }).message).toContain(
      'unknown option maxMesageSize for FramedTcp connect (did you mean maxMessageSize?)',
    );
    // Tcp keeps its own word on maxMessageSize.
    expect(connectError(Tcp, { maxMessageSize: 10 }).message).toBe('option maxMessageSize applies to FramedTcp; Tcp is a byte stream');
    expect(process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length).toBe(servers);
    // Keys set to undefined are taken.
    await net.connectAndWait(Tcp, addr, { bogus: undefined, maxMessageSize: undefined } as never);
  });

  it('disconnects a FramedTcp peer that sends more than the listener allows', async () => {
    const server = node();
    const { addr } = await server.handler.network().listen(FramedTcp, '127.0.0.1:0', { maxMessageSize: 10 });
    const client = node();
    const ep = await client.handler.network().connectAndWait(FramedTcp, addr);
    client.handler.network().send(ep, new Uint8Array(10));
    client.handler.network().send(ep, new Uint8Array(11));
    const gone = await server.waitFor((e) => e.type === 'disconnected');
    expect(gone).toMatchObject({ error: { code: 'ERR_MESSAGE_TOO_LARGE' } });
    expect(server.events.filter((e) => e.type === 'message').map((e) => (e.type === 'message' ? e.data.length : 0))).toEqual([10]);
    await client.waitFor((e) => e.type === 'disconnected' && e.endpoint === ep);
  });
});

describe('idleTimeout', () => {
  it('closes a silent connection with IdleTimeoutError, and keeps a talking one', async () => {
    const server = node();
    const { addr } = await server.handler.network().listen(FramedTcp, '127.0.0.1:0', { idleTimeout: 300 });
    const client = node();
    const silent = await client.handler.network().connectAndWait(FramedTcp, addr);
    const talker = await client.handler.network().connectAndWait(FramedTcp, addr);
    const timer = setInterval(() => client.handler.network().send(talker, Buffer.from('.')), 100);
    try {
      const gone = await server.waitFor((e) => e.type === 'disconnected', 3000);
      expect(gone).toMatchObject({ error: { code: 'ERR_IDLE_TIMEOUT' } });
      await client.waitFor((e) => e.type === 'disconnected' && e.endpoint === silent, 3000);
      await new Promise((r) => setTimeout(r, 700));
      expect(server.events.filter((e) => e.type === 'disconnected')).toHaveLength(1);
      expect(client.handler.network().isReady(talker.resourceId)).toBe(true);
    } finally {
      clearInterval(timer);
    }
    expect(() => client.handler.network().connect(FramedTcp, addr, { idleTimeout: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
