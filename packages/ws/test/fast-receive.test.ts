// receive.ts: final binary frames are split and unmasked by us, fragmented messages joined by us,
// everything else handled by `ws`. A raw peer sends mixed frames cut at random boundaries (down to
// single bytes), on both sides of a connection; every message must arrive whole and in order, and
// `ws` must still answer Pings, Close and protocol errors as before, also in the middle of a
// fragmented message.
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Ws, type WsListenOptions } from '@message-io/ws';
import { closePayload, frame, parseFrames, rawPeer, upgradeRequest, type Frame, type RawPeer } from './raw.js';
import { randomBytes, rng, testNode, until, type TestNode } from './support.js';

const nodes: TestNode[] = [];
const peers: RawPeer[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.handler.stop();
  for (const p of peers.splice(0)) p.socket.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** A mix of frames: binary of every length class, Pings and text between them. */
function mixedStream(seed: number, mask: boolean): { bytes: Buffer; messages: Buffer[]; pings: number } {
  const random = rng(seed);
  const sizes = [0, 1, 3, 4, 5, 64, 125, 126, 127, 1000, 65_535, 65_536, 70_000, 200_000];
  const parts: Buffer[] = [];
  const messages: Buffer[] = [];
  let pings = 0;
  for (let i = 0; i < 60; i++) {
    const size = sizes[i % sizes.length]!;
    const data = Buffer.from(randomBytes(random, size));
    data[0] = i; // an index, when there is room for one
    if (i % 7 === 3) {
      const text = Buffer.from(`text ${i} ✓`);
      parts.push(frame(1, text, { mask }));
      messages.push(text);
    }
    if (i % 5 === 2) {
      parts.push(frame(9, Buffer.from(`ping ${i}`), { mask }));
      pings++;
    }
    parts.push(frame(2, data, { mask }));
    messages.push(data);
  }
  return { bytes: Buffer.concat(parts), messages, pings };
}

/**
 * Fragmented messages, binary and text, in fragments of 0 to 300 bytes (some of one byte), with
 * Pings between fragments and whole binary messages between the fragmented ones.
 */
function fragmentedStream(seed: number, mask: boolean): { bytes: Buffer; messages: Buffer[]; pings: number } {
  const random = rng(seed);
  const parts: Buffer[] = [];
  const messages: Buffer[] = [];
  let pings = 0;
  for (let i = 0; i < 12; i++) {
    const text = i % 3 === 1;
    // Text: ASCII and a 3-byte character, which fragments may cut in the middle.
    const data = text
      ? Buffer.from(`message ${i} ✓ `.repeat(1 + Math.floor(random() * 40)))
      : Buffer.from(randomBytes(random, 1 + Math.floor(random() * 3000)));
    let at = 0;
    let first = true;
    while (at < data.length || first) {
      const size = random() < 0.3 ? 1 : random() < 0.1 ? 0 : Math.floor(random() * 300);
      const piece = data.subarray(at, at + size);
      at += piece.length;
      parts.push(frame(first ? (text ? 1 : 2) : 0, piece, { fin: at >= data.length, mask }));
      first = false;
      if (random() < 0.2 && at < data.length) {
        parts.push(frame(9, Buffer.from(`ping ${i}`), { mask }));
        pings++;
      }
    }
    messages.push(data);
    const whole = Buffer.from(randomBytes(random, Math.floor(random() * 100)));
    parts.push(frame(2, whole, { mask }));
    messages.push(whole);
  }
  return { bytes: Buffer.concat(parts), messages, pings };
}

/** Writes `bytes` in pieces of seeded random sizes: many of 1 to 3 bytes, some up to 20 KiB. */
async function writeCut(socket: Socket, bytes: Buffer, seed: number): Promise<void> {
  const random = rng(seed);
  let at = 0;
  let pieces = 0;
  while (at < bytes.length) {
    const roll = random();
    const size = roll < 0.5 ? 1 + Math.floor(random() * 3) : roll < 0.8 ? 1 + Math.floor(random() * 200) : 1 + Math.floor(random() * 20_000);
    socket.write(bytes.subarray(at, at + size));
    at += size;
    // Let some pieces arrive on their own.
    if (++pieces % 16 === 0) await new Promise((r) => setTimeout(r, 1));
  }
}

const messagesOf = (n: TestNode): Buffer[] => n.events.flatMap((e) => (e.type === 'message' ? [Buffer.from(e.data)] : []));

/** A Ws listener, and a raw client that has completed its upgrade to it. */
async function upgradedPeer(options?: WsListenOptions): Promise<{ server: TestNode; peer: RawPeer }> {
  const server = testNode();
  nodes.push(server);
  const { addr } = await server.handler.network().listen(Ws, '127.0.0.1:0', options);
  const peer = rawPeer('127.0.0.1', Number(addr.split(':')[1]), upgradeRequest('/'));
  peers.push(peer);
  await until(() => peer.head !== undefined, { timeout: 5000, what: 'the upgrade response' });
  return { server, peer };
}

describe('Ws fast receive path', () => {
  it.each([1, 2, 3])('server side: masked frames cut anywhere, mixed with Pings and text, arrive whole and in order (seed %i)', async (seed) => {
    const { server, peer } = await upgradedPeer();
    const { bytes, messages, pings } = mixedStream(seed, true);
    await writeCut(peer.socket, bytes, seed);
    await until(() => messagesOf(server).length >= messages.length, { timeout: 10_000, what: 'every message' });
    const received = messagesOf(server);
    expect(received.length).toBe(messages.length);
    received.forEach((m, i) => expect(Buffer.compare(m, messages[i]!), `message ${i}`).toBe(0));
    await until(() => peer.frames.filter((f) => f.opcode === 10).length === pings, { timeout: 5000, what: 'a Pong per Ping' });
    expect(server.events.filter((e) => e.type === 'disconnected')).toHaveLength(0);
  });

  it.each([
    [1, false],
    [2, false],
    [3, true],
    [4, true],
  ])(
    'server side: fragmented messages cut anywhere, Pings between fragments, arrive whole and in order (seed %i, reuseReceiveBuffer %s)',
    async (seed, lend) => {
      const { server, peer } = await upgradedPeer({ reuseReceiveBuffer: lend });
      const { bytes, messages, pings } = fragmentedStream(seed, true);
      await writeCut(peer.socket, bytes, seed);
      await until(() => messagesOf(server).length >= messages.length, { timeout: 10_000, what: 'every message' });
      const received = messagesOf(server);
      expect(received.length).toBe(messages.length);
      received.forEach((m, i) => expect(Buffer.compare(m, messages[i]!), `message ${i}`).toBe(0));
      await until(() => peer.frames.filter((f) => f.opcode === 10).length === pings, { timeout: 5000, what: 'a Pong per Ping' });
      expect(server.events.filter((e) => e.type === 'disconnected')).toHaveLength(0);
    },
  );

  it('a message in 200,000 one-byte fragments (past the 16,384 that ws alone keeps) arrives whole', async () => {
    const { server, peer } = await upgradedPeer();
    const fragment = frame(0, Buffer.from('b'), { fin: false });
    const middle = Buffer.alloc(fragment.length * 199_998);
    for (let at = 0; at < middle.length; at += fragment.length) fragment.copy(middle, at);
    peer.socket.write(Buffer.concat([frame(2, Buffer.from('a'), { fin: false }), middle, frame(0, Buffer.from('c'))]));
    await until(() => messagesOf(server).length >= 1, { timeout: 10_000, what: 'the message' });
    const [message] = messagesOf(server);
    expect(message!.length).toBe(200_000);
    expect(message!.toString('latin1', 0, 3)).toBe('abb');
    expect(message!.toString('latin1', 199_998)).toBe('bc');
    expect(server.events.filter((e) => e.type === 'disconnected')).toHaveLength(0);
  });

  it.each([
    ['a new binary frame', frame(2, Buffer.from('x')), 1002],
    ['a new first fragment', frame(1, Buffer.from('x'), { fin: false }), 1002],
    ['a continuation over maxPayload in all', frame(0, Buffer.alloc(1000)), 1009],
    ['a reserved bit on a continuation', frame(0, Buffer.from('x'), { rsv: 4 }), 1002],
    ['an unmasked continuation', frame(0, Buffer.from('x'), { mask: false }), 1002],
    ['a Ping over 125 bytes', frame(9, Buffer.alloc(126)), 1002],
    ['an opcode that does not exist', frame(3, Buffer.from('x')), 1002],
  ])('in the middle of a fragmented message, %s gets its close code from ws (%#)', async (_name, bad, code) => {
    const { server, peer } = await upgradedPeer({ maxPayload: 1024 });
    const start = Buffer.concat([
      frame(2, Buffer.from('good')),
      frame(2, Buffer.alloc(100, 1), { fin: false }),
      frame(0, Buffer.alloc(100, 2), { fin: false }),
    ]);
    await writeCut(peer.socket, Buffer.concat([start, bad, frame(0, Buffer.from('never'))]), code);
    await until(() => peer.closeCode() !== undefined, { timeout: 5000, what: 'the Close' });
    expect(peer.closeCode()).toBe(code);
    await until(() => server.events.some((e) => e.type === 'disconnected'), { timeout: 5000, what: 'disconnected' });
    expect(messagesOf(server).map(String)).toEqual(['good']);
  });

  it.each([
    ['a continuation with no message begun', [frame(0, Buffer.from('x'))], 1002],
    ['invalid UTF-8 cut between two text fragments', [frame(1, Buffer.from([0x61, 0xe2, 0x9c]), { fin: false }), frame(0, Buffer.from([0x28]))], 1007],
    ['a text message over maxPayload in all', [frame(1, Buffer.alloc(600, 0x61), { fin: false }), frame(0, Buffer.alloc(600, 0x61))], 1009],
  ])('%s gets its close code from ws (%#)', async (_name, bad, code) => {
    const { server, peer } = await upgradedPeer({ maxPayload: 1024 });
    await writeCut(peer.socket, Buffer.concat([frame(2, Buffer.from('good')), ...bad, frame(2, Buffer.from('never'))]), code);
    await until(() => peer.closeCode() !== undefined, { timeout: 5000, what: 'the Close' });
    expect(peer.closeCode()).toBe(code);
    await until(() => server.events.some((e) => e.type === 'disconnected'), { timeout: 5000, what: 'disconnected' });
    expect(messagesOf(server).map(String)).toEqual(['good']);
  });

  it('a fragmented text message is checked and delivered by ws, in order with binary messages around it', async () => {
    const { server, peer } = await upgradedPeer();
    const text = Buffer.from('fragmented ✓ text');
    await writeCut(
      peer.socket,
      Buffer.concat([
        frame(2, Buffer.from('before')),
        frame(1, text.subarray(0, 12), { fin: false }),
        frame(0, text.subarray(12, 13), { fin: false }),
        frame(0, text.subarray(13)),
        frame(2, Buffer.from('after')),
      ]),
      5,
    );
    await until(() => messagesOf(server).length >= 3, { timeout: 5000, what: 'three messages' });
    expect(messagesOf(server).map(String)).toEqual(['before', 'fragmented ✓ text', 'after']);
  });

  it('a fragmented message, then every later message, arrive in order', async () => {
    const { server, peer } = await upgradedPeer();
    const stream = Buffer.concat([
      frame(2, Buffer.from('before')),
      frame(2, Buffer.from('frag-'), { fin: false }),
      frame(9, Buffer.from('p')),
      frame(0, Buffer.from('mented'), { fin: true }),
      frame(2, Buffer.from('after')),
    ]);
    await writeCut(peer.socket, stream, 9);
    await until(() => messagesOf(server).length >= 3, { timeout: 5000, what: 'three messages' });
    expect(messagesOf(server).map(String)).toEqual(['before', 'frag-mented', 'after']);
    await until(() => peer.frames.some((f) => f.opcode === 10), { timeout: 5000, what: 'the Pong' });
  });

  it('Close in the middle of a chunk: messages before it arrive, the frame after it does not, the peer gets Close 1000', async () => {
    const { server, peer } = await upgradedPeer();
    peer.socket.write(Buffer.concat([frame(2, Buffer.from('one')), frame(2, Buffer.from('two')), frame(8, closePayload(1000)), frame(2, Buffer.from('late'))]));
    await until(() => server.events.some((e) => e.type === 'disconnected'), { timeout: 5000, what: 'disconnected' });
    expect(messagesOf(server).map(String)).toEqual(['one', 'two']);
    await until(() => peer.closeCode() !== undefined, { timeout: 5000, what: 'the Close' });
    expect(peer.closeCode()).toBe(1000);
  });

  it.each([
    ['an unmasked frame from a client', frame(2, Buffer.from('x'), { mask: false }), 1002],
    ['a reserved bit', frame(2, Buffer.from('x'), { rsv: 2 }), 1002],
    ['invalid UTF-8 in text', frame(1, Buffer.from([0xc3, 0x28])), 1007],
    ['a length over maxPayload', frame(2, Buffer.alloc(2000)), 1009],
  ])('after good frames, %s still gets its close code from ws (%#)', async (_name, bad, code) => {
    const { server, peer } = await upgradedPeer({ maxPayload: 1024 });
    peer.socket.write(Buffer.concat([frame(2, Buffer.from('good')), bad, frame(2, Buffer.from('never'))]));
    await until(() => peer.closeCode() !== undefined, { timeout: 5000, what: 'the Close' });
    expect(peer.closeCode()).toBe(code);
    await until(() => server.events.some((e) => e.type === 'disconnected'), { timeout: 5000, what: 'disconnected' });
    expect(messagesOf(server).map(String)).toEqual(['good']);
  });

  it.each([
    ['mixed frames', 4, mixedStream],
    ['fragmented messages', 5, fragmentedStream],
  ] as const)('client side: %s from a raw server, unmasked, cut anywhere, arrive whole and in order', async (_name, seed, stream) => {
    const { bytes, messages, pings } = stream(seed, false);
    const fromClient: Frame[] = [];
    const server = createServer((socket) => {
      let head = Buffer.alloc(0);
      let upgraded = false;
      let rest: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        if (upgraded) {
          const parsed = parseFrames(Buffer.concat([rest, chunk]));
          fromClient.push(...parsed.frames);
          rest = parsed.rest;
          return;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = true;
        const key = /sec-websocket-key: *(\S+)/i.exec(head.subarray(0, end).toString('latin1'))![1]!;
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        void writeCut(socket, bytes, seed);
      });
      socket.on('error', () => undefined);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = testNode();
    nodes.push(client);
    await client.handler.network().connectAndWait(Ws, `127.0.0.1:${(server.address() as { port: number }).port}`);
    await until(() => messagesOf(client).length >= messages.length, { timeout: 10_000, what: 'every message' });
    const received = messagesOf(client);
    expect(received.length).toBe(messages.length);
    received.forEach((m, i) => expect(Buffer.compare(m, messages[i]!), `message ${i}`).toBe(0));
    await until(() => fromClient.filter((f) => f.opcode === 10).length === pings, { timeout: 5000, what: 'a Pong per Ping' });
    expect(fromClient.every((f) => f.masked)).toBe(true);
  });
});
