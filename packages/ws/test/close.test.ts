// Closing: docs/reliability.md WS-09 (close handshake and remove()), LC-06 case 6 (send then remove),
// and the heartbeat (dead-peer detection), with raw peers that answer only what the test wants.
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { IdleTimeoutError, SendStatus, type NodeEvent, type NodeHandler } from '@message-io/core';
import { Ws, type WsListenOptions } from '@message-io/ws';
import { closePayload, frame, parseFrames, rawPeer, upgradeRequest, type Frame, type RawPeer } from './raw.js';
import { randomBytes, rng, sleep, testNode, until, type TestNode } from './support.js';

const MiB = 1024 * 1024;
/**
 * How early a timer may seem to fire, measured with performance.now() from just before it was set:
 * Node times it from the event loop's clock, read when the loop last woke up.
 */
const TIMER_SLACK = 25;
const nodes: TestNode[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  for (const n of nodes.splice(0)) n.handler.stop();
});

function node(onEvent?: (event: NodeEvent<never>, handler: NodeHandler<never>) => void): TestNode {
  const n = testNode(onEvent);
  nodes.push(n);
  return n;
}

async function listening(options: WsListenOptions = {}) {
  const n = node();
  const { addr } = await n.handler.network().listen(Ws, '127.0.0.1:0', options);
  return { n, addr, port: Number(addr.split(':')[1]) };
}

async function upgraded(port: number): Promise<RawPeer> {
  const peer = rawPeer('127.0.0.1', port, upgradeRequest('/'));
  cleanups.push(() => peer.socket.destroy());
  await until(() => peer.head !== undefined, { timeout: 3000, what: 'the 101 response' });
  return peer;
}

/** A raw server that completes the upgrade and then only records frames (no pong, no Close answer). */
async function mute(): Promise<{ port: number; frames: Frame[]; sockets: Socket[] }> {
  const frames: Frame[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    let pending: Buffer = Buffer.alloc(0);
    let upgradedYet = false;
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (!upgradedYet) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const key = /sec-websocket-key: *(\S+)/i.exec(pending.subarray(0, end).toString())![1];
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        pending = pending.subarray(end + 4);
        upgradedYet = true;
      }
      const parsed = parseFrames(pending);
      frames.push(...parsed.frames);
      pending = parsed.rest;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, frames, sockets };
}

describe('WS-09 close handshake and remove()', () => {
  it('remove() on the server: the peer sees Close 1000, then FIN once it answers; no local disconnected', async () => {
    const { n, port } = await listening();
    const peer = await upgraded(port);
    const accepted = await n.waitFor((e) => e.type === 'accepted');
    expect(n.handler.network().remove(accepted.endpoint.resourceId)).toBe(true);
    await until(() => peer.closeCode() !== undefined, { timeout: 2000, what: 'the Close frame' });
    expect(peer.closeCode()).toBe(1000);
    expect(peer.ended).toBe(false);
    peer.socket.write(frame(8, closePayload(1000)));
    await until(() => peer.ended, { timeout: 2000, what: 'the FIN' });
    await sleep(50);
    expect(n.events.some((e) => e.type === 'disconnected')).toBe(false);
    expect(n.handler.network().send(accepted.endpoint, Buffer.from('x'))).toBe(SendStatus.ResourceNotFound);
  });

  // The next two: closeTimeout is 500 ms and linger (which closeTimeout defaults to) 10 s, so waiting
  // up to 5 s, ten times the option and half that default, tells "destroyed by closeTimeout" from
  // "the option was ignored" or "never destroyed". The clock starts just before remove(), so the
  // socket must also last at least closeTimeout.
  it('remove() towards a peer that never answers the Close: the socket is destroyed by closeTimeout, not before', async () => {
    const closeTimeout = 500;
    const { n, port } = await listening({ closeTimeout, linger: 10_000 });
    const peer = await upgraded(port);
    const accepted = await n.waitFor((e) => e.type === 'accepted');
    let endedAfter = -1;
    const started = performance.now();
    const ended = (): void => {
      if (endedAfter < 0) endedAfter = performance.now() - started;
    };
    peer.socket.once('end', ended).once('close', ended);
    n.handler.network().remove(accepted.endpoint.resourceId);
    await until(() => peer.closeCode() !== undefined, { timeout: 2000, what: 'the Close frame' });
    await until(() => endedAfter >= 0, { timeout: 5000, what: 'the connection to end' });
    expect(endedAfter).toBeGreaterThanOrEqual(closeTimeout - TIMER_SLACK);
  });

  it('remove() on the client towards a mute server: Close 1000 (masked), then the socket is destroyed by closeTimeout, not before', async () => {
    const closeTimeout = 500;
    const server = await mute();
    const client = node();
    const ep = await client.handler.network().connectAndWait(Ws, `127.0.0.1:${server.port}`, { closeTimeout, linger: 10_000 });
    const socket = server.sockets[0]!;
    let goneAfter = -1;
    const started = performance.now();
    const gone = (): void => {
      if (goneAfter < 0) goneAfter = performance.now() - started;
    };
    socket.once('end', gone).once('close', gone);
    client.handler.network().remove(ep.resourceId);
    await until(() => server.frames.some((f) => f.opcode === 8), { timeout: 2000, what: 'the Close frame' });
    const close = server.frames.find((f) => f.opcode === 8)!;
    expect(close.masked).toBe(true);
    expect(close.payload.readUInt16BE(0)).toBe(1000);
    await until(() => goneAfter >= 0, { timeout: 5000, what: 'the client to go' });
    expect(goneAfter).toBeGreaterThanOrEqual(closeTimeout - TIMER_SLACK);
    expect(client.events.some((e) => e.type === 'disconnected')).toBe(false);
  });

  it('LC-06: send 1 MiB then remove() at once: the peer gets the whole message, then Close 1000', async () => {
    const payload = randomBytes(rng(6), MiB);
    const { n, port } = await listening();
    const peer = await upgraded(port);
    const accepted = await n.waitFor((e) => e.type === 'accepted');
    expect(n.handler.network().send(accepted.endpoint, payload)).toBe(SendStatus.Sent);
    n.handler.network().remove(accepted.endpoint.resourceId);
    await until(() => peer.closeCode() !== undefined, { timeout: 3000, what: 'the Close frame' });
    expect(peer.frames.map((f) => f.opcode)).toEqual([2, 8]);
    expect(Buffer.compare(peer.frames[0]!.payload, payload)).toBe(0);
    expect(peer.closeCode()).toBe(1000);
  });

  it('a peer closing with 1000: one disconnected without error, nothing after it', async () => {
    const { n, port } = await listening();
    const peer = await upgraded(port);
    await n.waitFor((e) => e.type === 'accepted');
    peer.socket.write(Buffer.concat([frame(2, Buffer.from('last')), frame(8, closePayload(1000, 'bye'))]));
    const event = await n.waitFor((e) => e.type === 'disconnected', 2000);
    expect((event as { error?: Error }).error).toBeUndefined();
    await until(() => peer.closeCode() === 1000, { timeout: 2000, what: 'the Close answer' });
    await until(() => peer.ended, { timeout: 2000, what: 'the FIN' });
    peer.socket.write(frame(2, Buffer.from('too late')));
    await sleep(50);
    expect(n.events.map((e) => e.type)).toEqual(['accepted', 'message', 'disconnected']);
  });
});

describe('heartbeat', () => {
  it('closes a peer that never answers pings, with an error, no earlier than interval + timeout', async () => {
    const heartbeatInterval = 100;
    const heartbeatTimeout = 150;
    const { n, port } = await listening({ heartbeatInterval, heartbeatTimeout });
    // The clock starts before the connection, so the close comes at least interval + timeout later.
    const started = performance.now();
    const peer = await upgraded(port);
    await n.waitFor((e) => e.type === 'accepted');
    // Without a working heartbeat the peer would never be closed: the bound only ends a broken run.
    const event = await n.waitFor((e) => e.type === 'disconnected', 5000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(heartbeatInterval + heartbeatTimeout - TIMER_SLACK);
    expect((event as { error?: Error }).error).toBeInstanceOf(IdleTimeoutError);
    expect(peer.frames.some((f) => f.opcode === 9)).toBe(true);
    await until(() => peer.closed, { timeout: 1000, what: 'the socket to be destroyed' });
  });

  it('keeps a live peer (ws answers pings) connected, on both sides', async () => {
    const options = { heartbeatInterval: 50, heartbeatTimeout: 100 };
    const { n, addr } = await listening(options);
    const client = node();
    const ep = await client.handler.network().connectAndWait(Ws, addr, options);
    await sleep(600);
    expect(n.events.some((e) => e.type === 'disconnected')).toBe(false);
    expect(client.events.some((e) => e.type === 'disconnected')).toBe(false);
    expect(client.handler.network().send(ep, Buffer.from('alive'))).toBe(SendStatus.Sent);
    await n.waitFor((e) => e.type === 'message');
  });

  it('detects a mute server from the client side', async () => {
    const server = await mute();
    const client = node();
    await client.handler.network().connectAndWait(Ws, `127.0.0.1:${server.port}`, { heartbeatInterval: 100, heartbeatTimeout: 100 });
    const event = await client.waitFor((e) => e.type === 'disconnected', 2000);
    expect((event as { error?: Error }).error).toBeInstanceOf(IdleTimeoutError);
    expect(server.frames.some((f) => f.opcode === 9 && f.masked)).toBe(true);
  });
});
