// The Ws transport value, its typed options (InvalidOptionError) and addresses (InvalidAddressError,
// LC-08, LC-09): bad input is a typed error, never a crash, and the node keeps working; and the
// backlog option, down to the listening socket.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { InvalidAddressError, InvalidOptionError, ListenError, SendStatus, type ConnectOptionsOf, type ListenOptionsOf } from '@message-io/core';
import { DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_PAYLOAD, DEFAULT_PATH, Ws, type WsConnectOptions, type WsListenOptions } from '@message-io/ws';
import { skipWithout } from '../../../test/support/peers.js';
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

describe('the Ws transport value', () => {
  it('has the capabilities of a connection-oriented, packet-based transport of 64 MiB messages', () => {
    expect(Ws).toMatchObject({ name: 'Ws', connectionOriented: true, packetBased: true, maxMessageSize: 64 * 1024 * 1024 });
    expect(DEFAULT_MAX_PAYLOAD).toBe(Ws.maxMessageSize);
    expect(DEFAULT_MAX_FRAME_SIZE).toBe(16 * 1024 * 1024);
    expect(DEFAULT_PATH).toBe('/message-io-default');
  });

  it('types its options', () => {
    expectTypeOf<ConnectOptionsOf<typeof Ws>>().toEqualTypeOf<WsConnectOptions>();
    expectTypeOf<ListenOptionsOf<typeof Ws>>().toEqualTypeOf<WsListenOptions>();
  });
});

describe('options', () => {
  const badConnect: [string, object][] = [
    ['maxPayload 0', { maxPayload: 0 }],
    ['maxPayload 1.5', { maxPayload: 1.5 }],
    ['maxPayload as a string', { maxPayload: '1' }],
    ['maxFrameSize 0', { maxFrameSize: 0 }],
    ['closeTimeout 0', { closeTimeout: 0 }],
    ['heartbeatInterval -1', { heartbeatInterval: -1 }],
    ['heartbeatTimeout 0', { heartbeatTimeout: 0 }],
    ['perMessageDeflate "yes"', { perMessageDeflate: 'yes' }],
    ['headers with a number', { headers: { a: 1 } }],
    ['headers as an array', { headers: ['a'] }],
    ['ca as a number', { ca: 5 }],
    ['servername as a number', { servername: 5 }],
    ['rejectUnauthorized "no"', { rejectUnauthorized: 'no' }],
    ['a header value Node refuses', { headers: { a: 'line\nbreak' } }],
  ];
  it.each(badConnect)('connect refuses %s with InvalidOptionError', (_name, options) => {
    const n = node();
    expect(() => n.handler.network().connect(Ws, '127.0.0.1:1', options as WsConnectOptions)).toThrow(InvalidOptionError);
  });

  const badListen: [string, object][] = [
    ['path without a leading slash', { path: 'x' }],
    ['path as a number', { path: 5 }],
    ['authenticate as a string', { authenticate: 'yes' }],
    ['handshakeTimeout 0', { handshakeTimeout: 0 }],
    ['passphrase without cert and key', { passphrase: 'x' }],
    ['cert as a number', { cert: 5, key: 'k' }],
    ['maxPayload too large', { maxPayload: 2 ** 53 }],
  ];
  it.each(badListen)('listen refuses %s with InvalidOptionError', async (_name, options) => {
    const n = node();
    await expect(n.handler.network().listen(Ws, '127.0.0.1:0', options as WsListenOptions)).rejects.toBeInstanceOf(InvalidOptionError);
  });

  // OPT-01 (issue 17, weakness 6): an option inherited from the options object's prototype counts as absent.
  it.each(badConnect.filter(([name]) => name !== 'a header value Node refuses'))('connect ignores %s when it is only inherited (OPT-01)', (_name, options) => {
    const n = node();
    expect(() => n.handler.network().connect(Ws, '127.0.0.1:1', Object.create(options) as WsConnectOptions)).not.toThrow();
  });

  it.each(badListen)('listen ignores %s when it is only inherited (OPT-01)', async (_name, options) => {
    const n = node();
    await expect(n.handler.network().listen(Ws, '127.0.0.1:0', Object.create(options) as WsListenOptions)).resolves.toMatchObject({ addr: expect.any(String) });
  });

  it('the browser build ignores inherited Node-only options (OPT-01)', async () => {
    const { resolveBrowserMaxPayload } = await import('../dist/browser-adapter.js');
    const context = { maxBufferedBytes: 1024, linger: 1000 };
    expect(resolveBrowserMaxPayload(Object.create({ headers: {}, ca: 'pem', heartbeatInterval: 5, maxPayload: 7 }) as WsConnectOptions, context)).toBe(
      DEFAULT_MAX_PAYLOAD,
    );
    expect(() => resolveBrowserMaxPayload({ ca: 'pem' }, context)).toThrow(InvalidOptionError);
  });

  it('takes maxMessageSize, the name every transport uses, and maxPayload as its alias; both only if they agree', async () => {
    const server = node();
    const { addr } = await server.handler.network().listen(Ws, '127.0.0.1:0', { maxMessageSize: 1000 });
    const client = node();
    const named = await client.handler.network().connectAndWait(Ws, addr, { maxMessageSize: 100 });
    expect(client.handler.network().send(named, new Uint8Array(101))).toBe(SendStatus.MaxPacketSizeExceeded);
    expect(client.handler.network().send(named, new Uint8Array(100))).toBe(SendStatus.Sent);
    const aliased = await client.handler.network().connectAndWait(Ws, addr, { maxPayload: 50, maxMessageSize: 50 });
    expect(client.handler.network().send(aliased, new Uint8Array(51))).toBe(SendStatus.MaxPacketSizeExceeded);
    expect(() => client.handler.network().connect(Ws, addr, { maxPayload: 50, maxMessageSize: 60 })).toThrow(/one limit under two names/);
    expect(() => client.handler.network().connect(Ws, addr, { maxMessageSize: 0 })).toThrow(InvalidOptionError);
    // The listener's limit holds under its new name: a 1,001-byte message from a client allowed to send it is refused (Close 1009).
    const big = await client.handler.network().connectAndWait(Ws, addr);
    expect(client.handler.network().send(big, new Uint8Array(1001))).toBe(SendStatus.Sent);
    await client.waitFor((e) => e.type === 'disconnected' && e.endpoint.resourceId.id === big.resourceId.id);
  });

  it('connect and listen refuse unknown options, naming the key and the options of that side', async () => {
    const n = node();
    const net = n.handler.network();
    const connectError = (options: object): Error => {
      try {
        net.connect(Ws, '127.0.0.1:1', options as WsConnectOptions);
      } catch (error) {
        return error as Error;
      }
      throw new Error('connect took the options');
    };
    const bogus = connectError({ bogus: true });
    expect(bogus).toBeInstanceOf(InvalidOptionError);
    expect(bogus.message).toMatch(
      /^unknown option bogus for Ws connect; Ws connect takes maxBufferedBytes, .*rejectUnauthorized, cert, key, passphrase, protocols$/,
    );
    // Listen options on connect, and a typo.
    expect(connectError({ requestCert: true }).message).toContain('unknown option requestCert for Ws connect');
    expect(connectError({ path: '/chat' }).message).toContain('unknown option path for Ws connect');
    expect(connectError({ maxPaylod: 10 }).message).toContain('(did you mean maxPayload?)');
    const listen = await rejection(net.listen(Ws, '127.0.0.1:0', { bogus: true } as WsListenOptions));
    expect(listen).toBeInstanceOf(InvalidOptionError);
    expect(listen.message).toMatch(/^unknown option bogus for Ws listen; .*authenticate/);
    const headers = await rejection(net.listen(Ws, '127.0.0.1:0', { headers: {} } as WsListenOptions));
    expect(headers.message).toContain('unknown option headers for Ws listen');
    // Keys set to undefined are taken.
    const { addr } = await net.listen(Ws, '127.0.0.1:0', { bogus: undefined } as WsListenOptions);
    await net.connectAndWait(Ws, addr, { path: undefined } as WsConnectOptions);
  });

  it('the browser build refuses unknown options too, before it looks for a WebSocket', async () => {
    const { Ws: BrowserWs } = await import('../dist/browser.js');
    const net = node().handler.network();
    expect(() => net.connect(BrowserWs, '127.0.0.1:1', { bogus: true } as WsConnectOptions)).toThrow(
      /^unknown option bogus for Ws connect; Ws connect takes maxBufferedBytes, /,
    );
    await expect(net.listen(BrowserWs, '127.0.0.1:0', { cert: 'pem', bogus: true } as WsListenOptions)).rejects.toThrow('unknown option bogus for Ws listen');
    await expect(net.listen(BrowserWs, '127.0.0.1:0')).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
  });

  it('works with permessage-deflate on both sides (off by default)', async () => {
    const server = testNode((event, handler) => {
      if (event.type === 'message') handler.network().send(event.endpoint, event.data);
    });
    nodes.push(server);
    const { addr } = await server.handler.network().listen(Ws, '127.0.0.1:0', { perMessageDeflate: true });
    const client = node();
    const ep = await client.handler.network().connectAndWait(Ws, addr, { perMessageDeflate: true });
    const big = Buffer.alloc(200_000, 'a');
    expect(client.handler.network().send(ep, Buffer.from('small'))).toBe(SendStatus.Sent);
    expect(client.handler.network().send(ep, big)).toBe(SendStatus.Sent);
    const echoes = await client.waitCount((e) => e.type === 'message', 2, 5000);
    expect(Buffer.from((echoes[0] as { data: Uint8Array }).data).toString()).toBe('small');
    expect(Buffer.compare((echoes[1] as { data: Uint8Array }).data, big)).toBe(0);
  });
});

describe('addresses (LC-09) and listen errors (LC-08)', () => {
  it.each(['ftp://127.0.0.1:1', 'http://127.0.0.1:1/', 'ws://127.0.0.1:1/#fragment'])('connect refuses %s with InvalidAddressError', (url) => {
    expect(() => node().handler.network().connect(Ws, url)).toThrow(InvalidAddressError);
  });

  it.each(['not a url', '127.0.0.1', 'host:port', '[::1]'])('connect refuses %s with InvalidAddressError', (addr) => {
    expect(() => node().handler.network().connect(Ws, addr)).toThrow(InvalidAddressError);
  });

  it('dials localhost by name', async () => {
    const server = node();
    const { addr } = await server.handler.network().listen(Ws, '127.0.0.1:0');
    const client = node();
    await expect(client.handler.network().connectAndWait(Ws, `localhost:${addr.split(':')[1]}`)).resolves.toBeDefined();
  });

  it('rejects a port in use and an address not on this host with ListenError; a later listen works', async () => {
    const n = node();
    const net = n.handler.network();
    const { addr } = await net.listen(Ws, '127.0.0.1:0');
    await expect(net.listen(Ws, addr)).rejects.toBeInstanceOf(ListenError);
    await expect(net.listen(Ws, '203.0.113.1:0')).rejects.toBeInstanceOf(ListenError);
    await expect(net.listen(Ws, '[::1]:0')).resolves.toMatchObject({ addr: expect.stringMatching(/^\[::1\]:\d+$/) });
  });
});

describe('backlog', () => {
  it('is checked: an integer from 0 to 65535, and not with server (the application listened with its own)', async () => {
    const net = node().handler.network();
    for (const backlog of [-1, 65_536, 1.5, '8']) {
      await expect(net.listen(Ws, '127.0.0.1:0', { backlog } as WsListenOptions), String(backlog)).rejects.toBeInstanceOf(InvalidOptionError);
    }
    const app = createServer();
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    try {
      await expect(net.listen(Ws, '127.0.0.1:0', { server: app, backlog: 8 })).rejects.toThrow('option backlog cannot go with server');
    } finally {
      app.close();
    }
  });

  it.skipIf(skipWithout('ss'))('reaches the listening socket: ss shows it as the queue limit (Send-Q) of the listener', async () => {
    const net = node().handler.network();
    const queueLimit = (addr: string): number => {
      const port = addr.slice(addr.lastIndexOf(':') + 1);
      const line = execFileSync('ss', ['-l', '-t', '-n', '-H', `sport = :${port}`], { encoding: 'utf8', timeout: 3000 }).trim();
      return Number(line.split(/\s+/)[2]);
    };
    const small = await net.listen(Ws, '127.0.0.1:0', { backlog: 7 });
    const byDefault = await net.listen(Ws, '127.0.0.1:0');
    expect(queueLimit(small.addr)).toBe(7);
    // 511 unless the system caps it lower (net.core.somaxconn).
    expect(queueLimit(byDefault.addr)).toBeGreaterThan(7);
  });
});
