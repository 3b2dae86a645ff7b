// The Ws browser client in headless Chromium (Debian's chromium, driven by playwright-core) against
// Node listeners on 127.0.0.1: binary and text both ways, a timer signal, removal by the server,
// errors and statuses, and docs/reliability.md WS-07 with the browser's own WebSocket.
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { Endpoint, SendStatus } from '@message-io/core';
import { Ws } from '@message-io/ws';
import { skipWithout } from '../../../test/support/peers.js';
import { bundleForBrowser, servePage, withChromium, type StaticServer } from './browser-support.js';
import { sleep, testNode, type TestNode } from './support.js';

const pageFile = fileURLToPath(new URL('./browser-page.ts', import.meta.url));
const decoder = new TextDecoder();
let site: StaticServer;

beforeAll(async () => {
  const { code } = await bundleForBrowser({ file: pageFile });
  site = await servePage(code);
});

afterAll(async () => {
  await site?.close();
});

/** A Node message-io node with a Ws listener on 127.0.0.1 that echoes, and removes whoever sends `remove me`. */
async function echoServer(): Promise<{ node: TestNode; port: number }> {
  const node = testNode((event, handler) => {
    if (event.type !== 'message') return;
    if (decoder.decode(event.data) === 'remove me') handler.network().remove(event.endpoint.resourceId);
    else handler.network().send(event.endpoint, event.data);
  });
  const { addr } = await node.handler.network().listen(Ws, '127.0.0.1:0');
  return { node, port: Number(addr.split(':').pop()) };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `scenarios[name](...args)` in the page and returns its result. */
async function run<T>(name: string, ...args: unknown[]): Promise<T> {
  return withChromium(async (page) => {
    await page.goto(site.url, { timeout: 10_000 });
    return (await page.evaluate(`scenarios.${name}(...${JSON.stringify(args)})`)) as T;
  });
}

describe.skipIf(skipWithout('chromium'))('Ws in a browser (headless Chromium)', () => {
  it('connects to a Node listener, echoes binary and text both ways, fires a timer signal, and sees disconnected when removed', async () => {
    const { node, port } = await echoServer();
    try {
      const result = await run<Record<string, unknown>>('exchange', port);
      expect(result.log).toEqual(expect.arrayContaining(['connected:true', 'signal', 'disconnected']));
      expect((result.log as string[]).filter((type) => type === 'message')).toHaveLength(3);
      expect(result.sent).toEqual(['Sent', 'Sent', 'Sent', 'Sent']);
      expect(result.echoes).toEqual([true, true, 'hello']);
      expect(result.tickAfter).toBeGreaterThanOrEqual(49);
      expect(result.disconnectedError).toBeUndefined();
      expect(result.sendAfterStop).toBe(SendStatus.ResourceNotFound);
      const messages = node.events.flatMap((event) => (event.type === 'message' ? [event.data] : []));
      expect(messages.map((data) => data.byteLength)).toEqual([3, 1 << 20, 5, 9]);
      expect(node.events.filter((event) => event.type === 'accepted')).toHaveLength(1);
      expect(node.events.filter((event) => event.type === 'disconnected')).toHaveLength(0);
    } finally {
      node.handler.stop();
    }
  }, 30_000);

  it('rejects listen with UnsupportedError, refuses Node-only options, and keeps maxPayload, backpressure and refusals', async () => {
    const { node, port } = await echoServer();
    try {
      const result = await run<Record<string, unknown>>('limits', port, await closedPort());
      expect(result.listen).toBe('UnsupportedError:ERR_UNSUPPORTED');
      expect(result.headers).toBe('InvalidOptionError:ERR_INVALID_OPTION');
      expect(result.clientCert).toBe('InvalidOptionError:ERR_INVALID_OPTION');
      expect(result.heartbeat).toBe('InvalidOptionError:ERR_INVALID_OPTION');
      expect(result.http).toBe('InvalidAddressError:ERR_INVALID_ADDRESS');
      expect(result.capped).toEqual(['MaxPacketSizeExceeded', 'Sent']);
      expect(result.backpressure).toEqual(['Sent', 'Backpressure']);
      expect(result.writable).toBe('Sent');
      expect(result.refused).toBe('false:ConnectError:ERR_CONNECT');
    } finally {
      node.handler.stop();
    }
  }, 30_000);

  it('delivers text from a server as UTF-8 bytes flagged text, sends text with sendText, agrees a subprotocol, and remove() sends Close 1000', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (offered) => (offered.has('chat.v1') ? 'chat.v1' : false) });
    const closes: number[] = [];
    const heard: { data: string; binary: boolean }[] = [];
    wss.on('connection', (socket) => {
      socket.send('héllo ✓');
      socket.send(Uint8Array.of(9, 8, 7));
      socket.on('message', (data, binary) => heard.push({ data: String(data), binary }));
      socket.on('close', (code) => closes.push(code));
    });
    try {
      await new Promise((resolve) => wss.once('listening', resolve));
      const { port } = wss.address() as AddressInfo;
      const result = await run<{ received: number[][]; text: string; texts: boolean[]; protocol: string; sentText: string }>(
        'textIn',
        `ws://127.0.0.1:${port}/text`,
      );
      expect(result.text).toBe('héllo ✓');
      expect(result.received[1]).toEqual([9, 8, 7]);
      expect(result.texts).toEqual([true, false]);
      expect(result.protocol).toBe('chat.v1');
      expect(result.sentText).toBe('Sent');
      expect(heard).toEqual([{ data: 'from the page ✓', binary: false }]);
      for (let i = 0; i < 100 && closes.length === 0; i++) await sleep(20);
      expect(closes).toEqual([1000]);
    } finally {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    }
  }, 30_000);

  it('WS-07: the browser’s own WebSocket gets exact echoes, text arrives as bytes, no deflate, Close 1000 gives one disconnected', async () => {
    const { node, port } = await echoServer();
    try {
      const result = await run<Record<string, unknown>>('nativeClient', port);
      expect(result).toEqual({ echoed: ['hello', true, true], extensions: '', code: 1000, wasClean: true });
      await node.waitFor((event) => event.type === 'disconnected');
      await sleep(100);
      const messages = node.events.flatMap((event) => (event.type === 'message' ? [event.data] : []));
      expect(decoder.decode(messages[0])).toBe('hello');
      expect(messages.map((data) => data.byteLength)).toEqual([5, 3, 1 << 20]);
      const disconnected = node.events.filter((event) => event.type === 'disconnected');
      expect(disconnected).toHaveLength(1);
      expect(disconnected[0]!.type === 'disconnected' && disconnected[0]!.error).toBeFalsy();
      expect(disconnected[0]!.type === 'disconnected' && disconnected[0]!.endpoint).toBeInstanceOf(Endpoint);
    } finally {
      node.handler.stop();
    }
  }, 30_000);
});
