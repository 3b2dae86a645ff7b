// The server side of the handshake: docs/reliability.md WS-05 (header abuse) and WS-06 (silent or slow
// clients), the path filter and the authenticate hook. Raw clients over node:net, on 127.0.0.1 and ::1.
import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { WebSocket } from 'ws';
import { InvalidOptionError, SendStatus, type NodeEvent, type NodeHandler } from '@message-io/core';
import { DEFAULT_MAX_PENDING_HANDSHAKES, Ws, type WsConnectOptions, type WsHandshake, type WsListenOptions } from '@message-io/ws';
import { rejection } from '../../../test/support/rejection.js';
import { rawPeer, status, upgradeRequest, type RawPeer } from './raw.js';
import { sleep, testNode, until, type TestNode } from './support.js';

/**
 * How early a timer may seem to fire, measured with performance.now() from just before it was set:
 * Node times it from the event loop's clock, read when the loop last woke up.
 */
const TIMER_SLACK = 25;

const nodes: TestNode[] = [];
const peers: RawPeer[] = [];
const clients: WebSocket[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.terminate();
  for (const p of peers.splice(0)) p.socket.destroy();
  for (const n of nodes.splice(0)) n.handler.stop();
});

/**
 * Opens a `ws` client to `url` with the given Origin header (none when undefined) and resolves
 * with the HTTP status of the answer: 101 once open, else the refusal's status. Bounded: 3 s.
 */
function statusWithOrigin(url: string, origin: string | undefined): Promise<number> {
  const client = new WebSocket(url, origin === undefined ? {} : { origin });
  clients.push(client);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to the upgrade with Origin ${String(origin)}`)), 3000);
    const settle = (code: number): void => {
      clearTimeout(timer);
      client.terminate();
      resolve(code);
    };
    client.once('open', () => settle(101));
    client.once('unexpected-response', (_request, response) => settle(response.statusCode ?? 0));
    client.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const echo = (event: NodeEvent<never>, handler: NodeHandler<never>): void => {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
};

async function server(options: WsListenOptions = {}, bind = '127.0.0.1:0') {
  const n = testNode(echo);
  nodes.push(n);
  const { addr } = await n.handler.network().listen(Ws, bind, options);
  return { n, addr, port: Number(addr.slice(addr.lastIndexOf(':') + 1)) };
}

function peer(port: number, request?: string | Buffer, host = '127.0.0.1'): RawPeer {
  const p = rawPeer(host, port, request);
  peers.push(p);
  return p;
}

/** Connects with our own client; resolves with the `connected` event. */
async function dial(url: string, options = {}) {
  const client = testNode();
  nodes.push(client);
  client.handler.network().connect(Ws, url, options);
  return client.waitFor((e) => e.type === 'connected', 5000) as Promise<NodeEvent<never> & { ok: boolean }>;
}

describe('WS-05 handshake header abuse', () => {
  it('runs on ws 8.21 or later', () => {
    const version = (createRequire(import.meta.url)('ws/package.json') as { version: string }).version;
    const [major, minor] = version.split('.').map(Number);
    expect(major! > 8 || (major === 8 && minor! >= 21)).toBe(true);
  });

  const manyHeadersFirst = (): string =>
    ['GET / HTTP/1.1', 'Host: x', ...Array.from({ length: 2100 }, (_, i) => `X-H${i}: v`), upgradeRequest('/').split('\r\n').slice(2).join('\r\n')].join(
      '\r\n',
    );
  // [case, status from a listener that reads its own requests, status from Node's HTTP server, request]
  const cases: [string, number, number, () => string][] = [
    ['a plain GET', 426, 426, () => 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a malformed Sec-WebSocket-Key', 400, 400, () => upgradeRequest('/', [], 'not-a-key')],
    ['Sec-WebSocket-Version: 9', 400, 400, () => upgradeRequest('/').replace('Version: 13', 'Version: 9')],
    ['Upgrade: foo', 400, 400, () => upgradeRequest('/').replace('Upgrade: websocket', 'Upgrade: foo')],
    ['POST', 405, 405, () => upgradeRequest('/').replace('GET', 'POST')],
    ['one 64 KiB header', 431, 431, () => upgradeRequest('/', [`X-Big: ${'a'.repeat(64 * 1024)}`])],
    // The CVE-2024-37890 shape: the WebSocket headers come after more than maxHeadersCount (2,000) others.
    // Node counts only names and values against its 16 KiB (14.7 KB here) and drops the headers past
    // 2,000, so `ws` finds no Upgrade header: 400. Our reader counts every byte (25 KB): 431.
    ['2,100 headers before the WebSocket ones', 431, 400, manyHeadersFirst],
  ];
  // A listener offering compression has Node's HTTP server read its requests; others read them
  // themselves (with or without hooks).
  const readers: [string, WsListenOptions, 0 | 1][] = [
    ['read by the listener', {}, 0],
    ['read by a listener with authenticate', { authenticate: () => true }, 0],
    ["read by Node's HTTP server", { perMessageDeflate: true }, 1],
  ];
  describe.each(readers)('%s', (_reader, options, which) => {
    it.each(cases)('%s gets its HTTP status and no accepted event; the server keeps working', async (_name, own, node, request) => {
      const { n, port } = await server(options);
      const p = peer(port, request());
      await until(() => p.head !== undefined || p.closed, { timeout: 3000, what: 'an answer' });
      expect(status(p.head)).toBe(which === 0 ? own : node);
      await until(() => p.closed || p.ended, { timeout: 3000, what: 'the server to close' });
      const ok = peer(port, upgradeRequest('/'));
      await until(() => ok.head !== undefined, { timeout: 3000, what: 'a later upgrade' });
      expect(status(ok.head)).toBe(101);
      await n.waitCount((e) => e.type === 'accepted', 1);
      expect(n.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
    });
  });

  it.each([
    // Over Node's 16 KiB header limit: its HTTP parser refuses the request before `ws` reads it.
    [32_000, 431],
    // Under that limit: `ws` parses the header itself and finds no valid subprotocol.
    [15_000, 400],
  ])('answers Sec-WebSocket-Protocol: b + %i spaces + x with %i, and serves the next client', async (spaces, code) => {
    const { n, port } = await server();
    const p = peer(port, upgradeRequest('/', [`Sec-WebSocket-Protocol: b${' '.repeat(spaces)}x`]));
    await until(() => p.head !== undefined || p.closed, { timeout: 3000, what: 'an answer' });
    expect(status(p.head)).toBe(code);
    const ok = peer(port, upgradeRequest('/'));
    await until(() => ok.head !== undefined, { timeout: 3000, what: 'a later upgrade' });
    expect(status(ok.head)).toBe(101);
    await n.waitCount((e) => e.type === 'accepted', 1);
    expect(n.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
  });
});

describe('WS-06 handshake timeout (slow-loris)', () => {
  it.each([
    ['IPv4', '127.0.0.1:0', '127.0.0.1'],
    ['IPv6', '[::1]:0', '::1'],
  ])('over %s: silent, partial and dribbling clients are closed; a real client is served meanwhile', async (_n, bind, host) => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const baseline = fds();
    const handshakeTimeout = 500;
    const { n, port, addr } = await server({ handshakeTimeout }, bind);
    const started = performance.now();
    const silent = Array.from({ length: 20 }, () => peer(port, undefined, host));
    const partial = Array.from({ length: 20 }, () => peer(port, 'GET / HTTP/1.1\r\nHost: x\r\nUpgr', host));
    const dribble = peer(port, 'G', host);
    const closedAfter: number[] = [];
    for (const p of [...silent, ...partial, dribble]) p.socket.once('close', () => closedAfter.push(performance.now() - started));
    const request = upgradeRequest('/');
    let at = 1;
    const dripper = setInterval(() => dribble.socket.write(request[at++ % request.length]!), 100);
    try {
      const connected = await dial(`ws://${addr}/`);
      expect(connected.ok).toBe(true);
      // They close at handshakeTimeout (500 ms). The bound tells that apart from the alternatives: a
      // dribbling client that resets the timer with each byte is never closed, and the default
      // handshakeTimeout would close them at 10 s. 5 s is ten times the option and half the default.
      await until(() => [...silent, ...partial, dribble].every((p) => p.closed), { timeout: 5000, what: 'every attacker to be closed' });
      // Each closed by the timeout, not before it: the clock started before they connected.
      expect(closedAfter).toHaveLength(41);
      expect(Math.min(...closedAfter)).toBeGreaterThanOrEqual(handshakeTimeout - TIMER_SLACK);
    } finally {
      clearInterval(dripper);
    }
    expect([...silent, ...partial, dribble].every((p) => p.head === undefined)).toBe(true);
    expect(n.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
    // 41 attacking connections came and went (82 descriptors in this process): what is left is the
    // listener and the legitimate connection's two ends.
    expect(fds() - baseline).toBeLessThanOrEqual(6);
  });

  it('bounds an authenticate hook that never answers by the handshake timeout', async () => {
    const { n, port } = await server({ handshakeTimeout: 300, authenticate: () => new Promise<boolean>(() => undefined) });
    const p = peer(port, upgradeRequest('/'));
    await until(() => p.closed, { timeout: 2000, what: 'the server to close the socket' });
    expect(p.head).toBeUndefined();
    expect(n.events.some((e) => e.type === 'accepted')).toBe(false);
  });
});

describe('path filter and authenticate hook', () => {
  it('accepts any path by default', async () => {
    const { addr } = await server();
    expect((await dial(`ws://${addr}/any/path?x=1`)).ok).toBe(true);
  });

  it('refuses other paths with 404 when path is set; a client dialling a socket address uses /message-io-default', async () => {
    const { n, port, addr } = await server({ path: '/message-io-default' });
    const p = peer(port, upgradeRequest('/other'));
    await until(() => p.head !== undefined, { timeout: 3000, what: 'an answer' });
    expect(status(p.head)).toBe(404);
    expect((await dial(addr)).ok).toBe(true);
    expect((await dial(`ws://${addr}/message-io-default?q=1`)).ok).toBe(true);
    expect(n.events.filter((e) => e.type === 'accepted')).toHaveLength(2);
  });

  it('matches a string path exactly: a longer path, another case, or another spelling of it gets 404', async () => {
    const { port } = await server({ path: '/chat' });
    const paths = ['/chat', '/chat?room=1', '/chatroom', '/chat/x', '/CHAT', '/chat/', '//chat', '/x/../chat', '/%63hat', '/chat;x'];
    const answers: (number | undefined)[] = [];
    for (const path of paths) {
      const p = peer(port, upgradeRequest(path));
      await until(() => p.head !== undefined, { timeout: 3000, what: `an answer to ${path}` });
      answers.push(status(p.head));
    }
    expect(answers).toEqual([101, 101, 404, 404, 404, 404, 404, 404, 404, 404]);
  });

  it('takes a predicate as path filter, and a throwing one refuses with 500', async () => {
    const { port } = await server({
      path: (p) =>
        p === '/boom'
          ? (() => {
              throw new Error('boom');
            })()
          : p.startsWith('/api/'),
    });
    const answers = await Promise.all(
      ['/api/x', '/x', '/boom'].map(async (path) => {
        const p = peer(port, upgradeRequest(path));
        await until(() => p.head !== undefined, { timeout: 3000, what: 'an answer' });
        return status(p.head);
      }),
    );
    expect(answers).toEqual([101, 404, 500]);
  });

  it('rejects a client the hook refuses (401, connected ok: false) and accepts one it approves', async () => {
    const seen: WsHandshake[] = [];
    const { n, addr } = await server({
      authenticate: async (handshake) => {
        seen.push(handshake);
        await sleep(5);
        return handshake.headers.authorization === 'Bearer good';
      },
    });
    const refused = await dial(addr, { headers: { authorization: 'Bearer bad' } });
    expect(refused.ok).toBe(false);
    expect(String((refused as { error?: Error }).error?.cause)).toMatch(/401/);
    const accepted = await dial(`ws://${addr}/chat?room=1`, { headers: { authorization: 'Bearer good' } });
    expect(accepted.ok).toBe(true);
    expect(seen.map((h) => [h.path, h.secure])).toEqual([
      ['/message-io-default', false],
      ['/chat?room=1', false],
    ]);
    expect(seen[1]!.addr).toMatch(/^127\.0\.0\.1:\d+$/);
    await n.waitFor((e) => e.type === 'accepted');
    expect(n.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
  });

  it('refuses with 500 when the hook returns anything but a boolean (never a status of its own, never a crash)', async () => {
    const answers: unknown[] = [1, 101, 200, 404, 'yes', {}, null, undefined, Promise.resolve(1), Promise.resolve('yes')];
    let call = 0;
    const { port, addr } = await server({ authenticate: (() => (call < answers.length ? answers[call++] : true)) as WsListenOptions['authenticate'] });
    const statuses: (number | undefined)[] = [];
    for (let i = 0; i < answers.length; i++) {
      const p = peer(port, upgradeRequest('/'));
      await until(() => p.head !== undefined, { timeout: 3000, what: 'an answer' });
      statuses.push(status(p.head));
    }
    expect(statuses).toEqual(answers.map(() => 500));
    expect((await dial(addr)).ok).toBe(true); // the process and the listener are still up
  });

  it('refuses with 500 when the hook throws or rejects; the server keeps working', async () => {
    let calls = 0;
    const { port, addr } = await server({
      authenticate: (): boolean | Promise<boolean> => {
        calls++;
        if (calls === 1) throw new Error('sync failure');
        if (calls === 2) return Promise.reject(new Error('async failure'));
        return true;
      },
    });
    for (let i = 0; i < 2; i++) {
      const p = peer(port, upgradeRequest('/'));
      await until(() => p.head !== undefined, { timeout: 3000, what: 'an answer' });
      expect(status(p.head)).toBe(500);
    }
    const client = testNode();
    nodes.push(client);
    const ep = await client.handler.network().connectAndWait(Ws, addr);
    expect(client.handler.network().send(ep, Buffer.from('hi'))).toBe(SendStatus.Sent);
    await client.waitFor((e) => e.type === 'message');
  });
});

// Issue 17, weakness 7: without `origins` a Ws listener accepts any Origin, so a page on another
// site can open a WebSocket to it (with the user's cookies). With it, the Origin header must name a
// listed origin, compared as the WHATWG URL origin; anything else is refused with 403 before the
// upgrade.
describe('WS-12 Origin policy (origins)', () => {
  const listed = ['https://app.example.com', 'http://localhost:8080', 'http://[::1]:3000'];

  it('accepts a listed Origin, in any spelling of the same origin, and refuses others, a missing one and garbage with 403', async () => {
    const { n, addr } = await server({ origins: listed });
    const url = `ws://${addr}/`;
    const cases: [string | undefined, number][] = [
      ['https://app.example.com', 101],
      ['HTTPS://APP.Example.COM', 101],
      ['https://app.example.com:443', 101],
      ['http://localhost:8080', 101],
      ['http://LOCALHOST:8080', 101],
      ['http://[::1]:3000', 101],
      [undefined, 403],
      ['http://localhost', 403],
      ['http://localhost:80', 403],
      ['https://app.example.com:8443', 403],
      ['http://app.example.com', 403],
      ['wss://app.example.com', 403],
      ['https://evil.example.com', 403],
      ['https://app.example.com.evil.test', 403],
      ['https://app.example.co', 403],
      ['https://xapp.example.com', 403],
      ['https://app.example.com/', 403],
      ['https://app.example.com/path', 403],
      ['https://app.example.com?x=1', 403],
      ['https://user@app.example.com', 403],
      ['null', 403],
      ['app.example.com', 403],
      ['not a url', 403],
      ['file:///etc/passwd', 403],
    ];
    const answers: [string | undefined, number][] = [];
    for (const [origin] of cases) answers.push([origin, await statusWithOrigin(url, origin)]);
    expect(answers).toEqual(cases);
    const opened = cases.filter(([, code]) => code === 101).length;
    await n.waitCount((e) => e.type === 'accepted', opened, 3000);
    await sleep(50);
    expect(n.events.filter((e) => e.type === 'accepted')).toHaveLength(opened);
  });

  it('normalises the listed origins too: upper case and a default port match what a browser sends', async () => {
    const { addr } = await server({ origins: ['HTTPS://App.Example.COM:443', 'http://Example.test:80'] });
    expect(await statusWithOrigin(`ws://${addr}/`, 'https://app.example.com')).toBe(101);
    expect(await statusWithOrigin(`ws://${addr}/`, 'http://example.test')).toBe(101);
    expect(await statusWithOrigin(`ws://${addr}/`, 'https://example.test')).toBe(403);
  });

  it('refuses two Origin headers, an empty one, one with spaces or tabs inside, or only Sec-WebSocket-Origin, with 403 (raw requests)', async () => {
    const { n, port } = await server({ origins: listed });
    const requests = [
      upgradeRequest('/', ['Origin: https://app.example.com', 'Origin: https://evil.example.com']),
      upgradeRequest('/', ['Origin: https://app.example.com', 'Origin: https://app.example.com']),
      upgradeRequest('/', ['Origin: ']),
      upgradeRequest('/', ['Origin: https://app.exa\tmple.com']),
      upgradeRequest('/', ['Origin: https://app.example.com https://evil.test']),
      upgradeRequest('/', ['Sec-WebSocket-Origin: https://app.example.com']),
    ];
    const answers: (number | undefined)[] = [];
    for (const request of requests) {
      const p = peer(port, request);
      await until(() => p.head !== undefined || p.closed, { timeout: 3000, what: 'an answer' });
      answers.push(status(p.head));
    }
    expect(answers).toEqual(requests.map(() => 403));
    const ok = peer(port, upgradeRequest('/', ['Origin: https://app.example.com']));
    await until(() => ok.head !== undefined, { timeout: 3000, what: 'the listed origin to be answered' });
    expect(status(ok.head)).toBe(101);
    await n.waitCount((e) => e.type === 'accepted', 1, 3000);
    expect(n.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
  });

  it('with authenticate as well, both apply: the Origin first (403, the hook is not called), then the hook (401)', async () => {
    const seen: (string | undefined)[] = [];
    const { n, addr } = await server({
      origins: ['https://app.example.com'],
      authenticate: ({ headers }) => {
        seen.push(headers.origin);
        return headers.authorization === 'Bearer good';
      },
    });
    const dialWith = (origin: string, token: string): Promise<number> => {
      const client = new WebSocket(`ws://${addr}/`, { origin, headers: { authorization: `Bearer ${token}` } });
      clients.push(client);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer')), 3000);
        client.once('open', () => {
          clearTimeout(timer);
          resolve(101);
        });
        client.once('unexpected-response', (_q, r) => {
          clearTimeout(timer);
          client.terminate();
          resolve(r.statusCode ?? 0);
        });
        client.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
    };
    expect(await dialWith('https://evil.example.com', 'good')).toBe(403);
    expect(await dialWith('https://app.example.com', 'bad')).toBe(401);
    expect(await dialWith('https://app.example.com', 'good')).toBe(101);
    expect(seen).toEqual(['https://app.example.com', 'https://app.example.com']);
    await n.waitCount((e) => e.type === 'accepted', 1, 3000);
    expect(n.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
  });

  it("message-io's own client (no Origin) is refused with 403 by a listener with origins, and sees ok: false", async () => {
    const { addr } = await server({ origins: listed });
    const refused = (await dial(addr)) as NodeEvent<never> & { ok: boolean; error?: Error };
    expect(refused.ok).toBe(false);
    expect(String(refused.error?.cause)).toMatch(/403/);
    expect((await dial(addr, { headers: { origin: 'https://app.example.com' } } satisfies WsConnectOptions)).ok).toBe(true);
  });

  it('without origins, any Origin and no Origin are accepted (the default: Origin is not checked)', async () => {
    const { addr } = await server();
    for (const origin of [undefined, 'https://evil.example.com', 'null', 'garbage']) {
      expect(await statusWithOrigin(`ws://${addr}/`, origin)).toBe(101);
    }
  });

  it('validates origins: an array of origins (scheme, host, port), never null, a path or a query', async () => {
    const n = testNode();
    nodes.push(n);
    const net = n.handler.network();
    const bad: unknown[] = [
      'https://app.example.com',
      [5],
      [undefined],
      ['not a url'],
      ['app.example.com'],
      ['null'],
      ['file:///tmp/x'],
      ['https://app.example.com/path'],
      ['https://app.example.com?x=1'],
      ['https://app.example.com#x'],
      ['https://user:pw@app.example.com'],
      ['custom-scheme://app'],
      {},
    ];
    for (const origins of bad) {
      const error = await rejection(net.listen(Ws, '127.0.0.1:0', { origins } as never));
      expect(error, JSON.stringify(origins)).toBeInstanceOf(InvalidOptionError);
      expect(error.message).toMatch(/origins/);
    }
    await expect(net.listen(Ws, '127.0.0.1:0', { origins: [] })).resolves.toMatchObject({ addr: expect.any(String) });
    expect(() => net.connect(Ws, '127.0.0.1:1', { origins: ['https://a.test'] } as never)).toThrow(/unknown option origins for Ws connect/);
  });

  it('an empty list refuses every client', async () => {
    const { addr } = await server({ origins: [] });
    expect(await statusWithOrigin(`ws://${addr}/`, 'https://app.example.com')).toBe(403);
    expect(await statusWithOrigin(`ws://${addr}/`, undefined)).toBe(403);
  });
});

// Issue 17, weakness 8: handshakeTimeout closes each silent socket, but nothing bounded how many
// may be waiting at once. maxPendingHandshakes caps the accepted sockets whose upgrade is not
// complete; past it a new socket is destroyed at once, and established connections do not count.
describe('WS-13 maxPendingHandshakes', () => {
  /** An established message-io client of `addr` and a check that it still gets its echo. */
  async function established(addr: string) {
    const client = testNode();
    nodes.push(client);
    const net = client.handler.network();
    const ep = await net.connectAndWait(Ws, addr, undefined, { signal: AbortSignal.timeout(3000) });
    let round = 0;
    return async (): Promise<void> => {
      const text = `ping ${++round}`;
      expect(net.send(ep, Buffer.from(text))).toBe(SendStatus.Sent);
      await client.waitFor((e) => e.type === 'message' && Buffer.from(e.data).toString() === text, 3000);
    };
  }

  it('defaults to 1024', () => {
    expect(DEFAULT_MAX_PENDING_HANDSHAKES).toBe(1024);
  });

  it.each([
    ['IPv4', '127.0.0.1:0', '127.0.0.1'],
    ['IPv6', '[::1]:0', '::1'],
  ])(
    'over %s: with 4 silent sockets pending, a 5th is closed at once; the 4 stay until closed or timed out; an established connection is unaffected',
    async (_n, bind, host) => {
      const handshakeTimeout = 3000;
      const { n, port, addr } = await server({ maxPendingHandshakes: 4, handshakeTimeout }, bind);
      const echo = await established(addr);
      const silent = Array.from({ length: 4 }, () => peer(port, undefined, host));
      await until(() => silent.every((p) => p.socket.readyState === 'open'), { timeout: 2000, what: 'the silent sockets to connect' });
      await sleep(100); // the listener has accepted them
      // "At once" against "by the handshake timeout": closing at once takes a few milliseconds, so the
      // 1.5 s bound is hundreds of times that, and still half the 3 s handshakeTimeout that would
      // otherwise close the socket. The 4 silent sockets, older and under the same timeout, still being
      // open afterwards says the same without a clock.
      const extra = peer(port, undefined, host);
      await until(() => extra.closed, { timeout: handshakeTimeout / 2, what: 'the extra socket to be closed' });
      expect(extra.head).toBeUndefined();
      expect(silent.some((p) => p.closed)).toBe(false);
      // A client with a complete request is refused too while the cap is reached.
      const refused = peer(port, upgradeRequest('/'), host);
      await until(() => refused.closed, { timeout: handshakeTimeout / 2, what: 'the refused upgrade to be closed' });
      expect(refused.head).toBeUndefined();
      expect(silent.some((p) => p.closed)).toBe(false);
      await echo();
      // One pending socket goes away: its slot is free for a real client at once.
      silent[0]!.socket.destroy();
      await until(() => silent[0]!.closed, { timeout: 1000, what: 'our socket to close' });
      await sleep(50);
      const served = peer(port, upgradeRequest('/'), host);
      await until(() => served.head !== undefined || served.closed, { timeout: 2000, what: 'an answer' });
      expect(status(served.head)).toBe(101);
      // The others time out; afterwards every slot is free again.
      await until(() => silent.every((p) => p.closed), { timeout: handshakeTimeout + 3000, what: 'the silent sockets to time out' });
      const again = Array.from({ length: 4 }, () => peer(port, upgradeRequest('/'), host));
      await until(() => again.every((p) => p.head !== undefined || p.closed), { timeout: 3000, what: 'answers' });
      expect(again.map((p) => status(p.head))).toEqual([101, 101, 101, 101]);
      await echo();
      await n.waitCount((e) => e.type === 'accepted', 6, 3000);
      expect(n.events.filter((e) => e.type === 'accepted')).toHaveLength(6);
    },
  );

  it('the count goes down when a handshake completes or fails: many in turn with a cap of 2', async () => {
    const { n, port, addr } = await server({ maxPendingHandshakes: 2, path: '/ok', authenticate: ({ headers }) => headers.authorization !== 'no' });
    const statuses: (number | undefined)[] = [];
    const requests = [
      ...Array.from({ length: 4 }, () => upgradeRequest('/other')), // 404
      ...Array.from({ length: 4 }, () => upgradeRequest('/ok', ['Authorization: no'])), // 401
      ...Array.from({ length: 4 }, () => upgradeRequest('/ok')), // 101, then kept open
      'GET /ok HTTP/1.1\r\nHost: x\r\n\r\n', // 426
      upgradeRequest('/ok', [], 'bad'), // 400
    ];
    for (const request of requests) {
      const p = peer(port, request);
      await until(() => p.head !== undefined || p.closed, { timeout: 2000, what: 'an answer' });
      statuses.push(status(p.head));
    }
    expect(statuses).toEqual([404, 404, 404, 404, 401, 401, 401, 401, 101, 101, 101, 101, 426, 400]);
    expect((await dial(`ws://${addr}/ok`)).ok).toBe(true);
    await n.waitCount((e) => e.type === 'accepted', 5, 3000);
  });

  it('validates maxPendingHandshakes: an integer of at least 1, on listen only', async () => {
    const n = testNode();
    nodes.push(n);
    const net = n.handler.network();
    for (const value of [0, -1, 1.5, '4', Infinity, null]) {
      const error = await rejection(net.listen(Ws, '127.0.0.1:0', { maxPendingHandshakes: value } as never));
      expect(error, String(value)).toBeInstanceOf(InvalidOptionError);
      expect(error.message).toMatch(/maxPendingHandshakes/);
    }
    await expect(net.listen(Ws, '127.0.0.1:0', { maxPendingHandshakes: 1 })).resolves.toMatchObject({ addr: expect.any(String) });
    expect(() => net.connect(Ws, '127.0.0.1:1', { maxPendingHandshakes: 4 } as never)).toThrow(/unknown option maxPendingHandshakes for Ws connect/);
  });
});
