// src/dgram-internals.ts sends through the libuv handle of a `dgram.Socket`, found under Node's
// state symbol, with the request class `dgram` uses (learnt from its first send). None of that is
// in Node's documented API: where Node changes it, the adapter goes back to `socket.send` quietly
// (slower, nothing else changes), so this test says so loudly, on real sockets, for the Node it
// runs on. The queued case (a datagram that waits in the socket's queue) needs a slow link:
// queue.test.ts.
import { createSocket, Socket } from 'node:dgram';
import { constants } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SendStatus } from '@message-io/core';
import { Udp } from '@message-io/udp';
import { directSender, sendError, type DirectSender } from '../src/dgram-internals.js';
import { stopNodes, testNode } from './support.js';

const sockets: Socket[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const socket of sockets.splice(0)) socket.close();
  stopNodes();
});

async function bound(type: 'udp4' | 'udp6', host: string): Promise<Socket> {
  const socket = createSocket(type);
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return socket;
}

function nextMessage(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => socket.once('message', (data: Buffer) => resolve(data)));
}

/** A direct sender for `socket`: the first ask teaches the request class through one `socket.send` (answered `undefined`). */
async function senderFor(socket: Socket, to: Socket, done: (status: number) => void = () => undefined): Promise<DirectSender> {
  let sender = directSender(socket, done);
  if (sender === undefined) {
    const arrived = nextMessage(to);
    socket.send(Buffer.from('learn'), to.address().port, to.address().address);
    expect((await arrived).toString()).toBe('learn');
    sender = directSender(socket, done);
  }
  expect(sender, "a direct sender on this Node (null: dgram's internals changed, Udp sends through socket.send)").toBeTruthy();
  return sender!;
}

describe("Node's dgram internals we depend on", () => {
  it.each([
    ['udp4', '127.0.0.1'],
    ['udp6', '::1'],
  ] as const)('%s: sends through the handle, to an address and on a connected socket; each datagram leaves within the call', async (type, host) => {
    const receiver = await bound(type, host);
    const sender = await bound(type, host);
    const direct = await senderFor(sender, receiver);
    const bytes = Buffer.from('to an address');
    const arrived = nextMessage(receiver);
    expect(direct.sendTo(bytes, receiver.address().port, host)).toBeGreaterThan(0);
    // It left within the call: changing the buffer now changes nothing that arrives.
    bytes.fill(0x21);
    expect((await arrived).toString()).toBe('to an address');

    const connected = await bound(type, host);
    await new Promise<void>((resolve) => connected.connect(receiver.address().port, host, () => resolve()));
    const onConnected = directSender(connected, () => undefined)!;
    const got: string[] = [];
    receiver.on('message', (data: Buffer) => got.push(data.toString()));
    for (let i = 0; i < 5; i++) expect(onConnected.send(Buffer.from(`datagram ${i}`))).toBeGreaterThan(0);
    await vi.waitFor(() => expect(got).toEqual([0, 1, 2, 3, 4].map((i) => `datagram ${i}`)), { timeout: 2000 });
    expect(connected.getSendQueueCount()).toBe(0);
  });

  it('a failed send answers the negative system error code, and sendError names it as dgram would', async () => {
    const receiver = await bound('udp4', '127.0.0.1');
    const sender = await bound('udp4', '127.0.0.1');
    const direct = await senderFor(sender, receiver);
    // Over the largest IPv4 datagram: the system refuses it in the call.
    const result = direct.sendTo(Buffer.alloc(65_508), receiver.address().port, '127.0.0.1');
    expect(result).toBe(-constants.errno.EMSGSIZE);
    const error = sendError(result, '127.0.0.1', 9);
    expect(error).toMatchObject({ code: 'EMSGSIZE', errno: result, syscall: 'send', message: 'send EMSGSIZE 127.0.0.1:9' });
    expect(sendError(-1_000_000).code).toMatch(/\S/);
  });

  it('a Udp connection and a listener send through the handle: socket.send is used once at most, to learn the request class', async () => {
    const server = testNode();
    const { id, addr } = await server.handler.network().listen(Udp, '127.0.0.1:0');
    const client = testNode();
    const net = client.handler.network();
    const ep = await net.connectAndWait(Udp, addr);
    const viaDgram = vi.spyOn(Socket.prototype, 'send');
    for (let i = 0; i < 20; i++) expect(net.send(ep, Uint8Array.of(i))).toBe(SendStatus.Sent);
    await server.waitCount((e) => e.type === 'message', 20);
    expect(viaDgram.mock.calls.length).toBeLessThanOrEqual(1);
    const first = server.events.find((e) => e.type === 'message')!;
    const reply = first.type === 'message' ? first.endpoint : undefined;
    viaDgram.mockClear();
    for (let i = 0; i < 20; i++) expect(server.handler.network().send(reply!, Uint8Array.of(i))).toBe(SendStatus.Sent);
    await client.waitCount((e) => e.type === 'message', 20);
    expect(viaDgram.mock.calls.length).toBeLessThanOrEqual(1);
    expect(client.events.filter((e) => e.type === 'message').map((e) => (e.type === 'message' ? e.data[0] : -1))).toEqual([...Array(20).keys()]);
    expect(reply!.resourceId).toBe(id);
  });
});
