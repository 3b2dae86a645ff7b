// Size limits: docs/reliability.md UDP-01 (oversize send refused, EMSGSIZE mapped) and UDP-02
// (maximum-size receive, IPv6 included, never truncated), and the address helpers behind them.
import { createSocket, type Socket } from 'node:dgram';
import { constants } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Endpoint, SendStatus } from '@message-io/core';
import { MAX_INTERNET_PAYLOAD, MAX_UDP_PAYLOAD_IPV4, MAX_UDP_PAYLOAD_IPV6, Udp } from '@message-io/udp';
import { ipFamily, isIPv4Multicast, isIPv6Multicast, isMappedIPv4, payloadLimit } from '../src/limits.js';
import { skipWithout } from '../../../test/support/peers.js';
import { messages, portOf, runPython, sleep, stopNodes, testNode } from './support.js';

const T = 15_000;
afterEach(() => {
  vi.restoreAllMocks();
  stopNodes();
});

describe('limits.ts', () => {
  it('names the limits of the Rust message-io and of IPv6', () => {
    expect([MAX_UDP_PAYLOAD_IPV4, MAX_UDP_PAYLOAD_IPV6, MAX_INTERNET_PAYLOAD]).toEqual([65_507, 65_527, 1_472]);
    expect(Udp.maxMessageSize).toBe(65_507);
    expect([Udp.connectionOriented, Udp.packetBased]).toEqual([false, true]);
  });

  it('classifies addresses', () => {
    expect(['224.0.0.0', '239.255.255.255', '239.255.0.1'].map(isIPv4Multicast)).toEqual([true, true, true]);
    expect(['223.255.255.255', '240.0.0.0', '127.0.0.1', 'ff02::1', 'localhost'].map(isIPv4Multicast)).toEqual([false, false, false, false, false]);
    expect(['ff02::1', 'FF15::1234', 'ff02::1%lo'].map(isIPv6Multicast)).toEqual([true, true, true]);
    expect(['fe80::1', '::1', '239.0.0.1'].map(isIPv6Multicast)).toEqual([false, false, false]);
    expect(['::ffff:127.0.0.1', '0:0:0:0:0:ffff:127.0.0.1', '::ffff:7f00:1'].map(isMappedIPv4)).toEqual([true, true, true]);
    expect(['::1', 'fe80::ffff:1.2.3.4', '127.0.0.1'].map(isMappedIPv4)).toEqual([false, false, false]);
    expect(['127.0.0.1', '::1', 'localhost'].map(ipFamily)).toEqual([4, 6, 0]);
  });

  it('gives the limit of the path: IPv4 and IPv4-mapped 65,507, IPv6 65,527', () => {
    expect(payloadLimit('127.0.0.1', 4)).toBe(65_507);
    expect(payloadLimit('localhost', 4)).toBe(65_507);
    expect(payloadLimit('::1', 6)).toBe(65_527);
    expect(payloadLimit('::ffff:127.0.0.1', 6)).toBe(65_507);
    expect(payloadLimit('localhost', 6)).toBe(65_527);
  });
});

describe('UDP-01 oversize datagrams are refused synchronously and send nothing', () => {
  it.each([
    { name: 'IPv4', bind: '127.0.0.1:0', max: 65_507 },
    { name: 'IPv6', bind: '[::1]:0', max: 65_527 },
  ])(
    '$name: through a connection and through the listener',
    async ({ bind, max }) => {
      const server = testNode();
      const { id, addr } = await server.handler.network().listen(Udp, bind);
      const client = testNode();
      const net = client.handler.network();
      const ep = await net.connectAndWait(Udp, addr);
      expect(net.send(ep, new Uint8Array(max + 1))).toBe(SendStatus.MaxPacketSizeExceeded);
      expect(net.send(ep, new Uint8Array(100).fill(1))).toBe(SendStatus.Sent);

      const back = await client.handler.network().listen(Udp, bind);
      const toClient = Endpoint.fromListener(id, back.addr);
      expect(server.handler.network().send(toClient, new Uint8Array(max + 1))).toBe(SendStatus.MaxPacketSizeExceeded);
      expect(server.handler.network().send(toClient, new Uint8Array(max))).toBe(SendStatus.Sent);

      await server.waitFor((e) => e.type === 'message');
      await client.waitFor((e) => e.type === 'message' && e.endpoint.resourceId === back.id);
      await sleep(100);
      expect(messages(server).map((m) => m.byteLength)).toEqual([100]);
      expect(messages(client).map((m) => m.byteLength)).toEqual([max]);
    },
    T,
  );

  it(
    'an IPv4-mapped peer of an IPv6 socket gets the IPv4 limit (the system would answer EMSGSIZE)',
    async () => {
      const server = testNode();
      const { addr } = await server.handler.network().listen(Udp, '127.0.0.1:0');
      const client = testNode();
      const errors: Error[] = [];
      const ep = await client.handler.network().connectAndWait(Udp, `[::ffff:127.0.0.1]:${portOf(addr)}`, { onError: (e) => errors.push(e) });
      expect(client.handler.network().send(ep, new Uint8Array(65_508))).toBe(SendStatus.MaxPacketSizeExceeded);
      expect(client.handler.network().send(ep, new Uint8Array(65_507))).toBe(SendStatus.Sent);
      await server.waitFor((e) => e.type === 'message');
      expect(messages(server).map((m) => m.byteLength)).toEqual([65_507]);
      expect(errors).toEqual([]);
    },
    T,
  );

  it(
    'the maxMessageSize option lowers the limit, on connect and on listen',
    async () => {
      const server = testNode();
      const { id, addr } = await server.handler.network().listen(Udp, '127.0.0.1:0', { maxMessageSize: 1000 });
      const client = testNode();
      const ep = await client.handler.network().connectAndWait(Udp, addr, { maxMessageSize: MAX_INTERNET_PAYLOAD });
      expect(client.handler.network().send(ep, new Uint8Array(1473))).toBe(SendStatus.MaxPacketSizeExceeded);
      expect(client.handler.network().send(ep, new Uint8Array(1472))).toBe(SendStatus.Sent);
      const received = await server.waitFor((e) => e.type === 'message');
      expect(received.type === 'message' && received.data.byteLength).toBe(1472);
      const reply = received.type === 'message' ? received.endpoint : Endpoint.fromListener(id, addr);
      expect(server.handler.network().send(reply, new Uint8Array(1001))).toBe(SendStatus.MaxPacketSizeExceeded);
      expect(server.handler.network().send(reply, new Uint8Array(1000))).toBe(SendStatus.Sent);
      await client.waitFor((e) => e.type === 'message');
      expect(messages(client).map((m) => m.byteLength)).toEqual([1000]);
    },
    T,
  );

  it(
    'an EMSGSIZE from the system (a path that takes less) is reported and lowers the limit of that connection',
    async () => {
      const server = testNode();
      const { addr } = await server.handler.network().listen(Udp, '127.0.0.1:0');
      const client = testNode();
      const errors: string[] = [];
      const ep = await client.handler.network().connectAndWait(Udp, addr, { onError: (e) => errors.push((e as NodeJS.ErrnoException).code ?? '') });
      // Fault injection: this socket's path takes at most 1,400 bytes. The system answers the send
      // itself with EMSGSIZE: injected at the libuv handle's `send`, under dgram (which the adapter
      // may or may not go through).
      const handleClass = Object.getPrototypeOf(udpHandleOf(createSocket('udp4'))) as { send: (...args: unknown[]) => number };
      const send = handleClass.send;
      vi.spyOn(handleClass, 'send').mockImplementation(function (this: unknown, ...args: unknown[]) {
        const buffers = args[1] as Uint8Array[];
        if (buffers.reduce((n, b) => n + b.byteLength, 0) > 1400) return -constants.errno.EMSGSIZE;
        return send.apply(this, args);
      });
      expect(client.handler.network().send(ep, new Uint8Array(2000))).toBe(SendStatus.Sent);
      await vi.waitFor(() => expect(errors).toEqual(['EMSGSIZE']), { timeout: 2000 });
      expect(client.handler.network().send(ep, new Uint8Array(2000))).toBe(SendStatus.MaxPacketSizeExceeded);
      expect(client.handler.network().send(ep, new Uint8Array(1999))).toBe(SendStatus.Sent);
      expect(client.handler.network().send(ep, new Uint8Array(1400))).toBe(SendStatus.Sent);
      await vi.waitFor(() => expect(errors).toEqual(['EMSGSIZE', 'EMSGSIZE']), { timeout: 2000 });
      expect(client.handler.network().send(ep, new Uint8Array(1999))).toBe(SendStatus.MaxPacketSizeExceeded);
      await server.waitFor((e) => e.type === 'message');
      expect(messages(server).map((m) => m.byteLength)).toEqual([1400]);
    },
    T,
  );
});

/** The libuv handle of a dgram socket (Node keeps it under a symbol of its own). */
function udpHandleOf(socket: Socket): object {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const handle = (socket as unknown as Record<symbol, { handle?: object }>)[state!]?.handle;
  socket.close();
  expect(handle, "dgram's handle on this Node").toBeTypeOf('object');
  return handle!;
}

const PY_SEND = `
import socket, sys
family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(bytes(i % 251 for i in range(int(sys.argv[3]))), (sys.argv[1], int(sys.argv[2])))
print('sent', flush=True)
`;

describe.skipIf(skipWithout('python3'))('UDP-02 the largest datagrams are received whole', () => {
  it.each([
    { name: 'IPv4', bind: '127.0.0.1:0', host: '127.0.0.1', size: 65_507 },
    { name: 'IPv6', bind: '[::1]:0', host: '::1', size: 65_527 },
  ])(
    '$name: $size bytes sent by Python arrive as one message of $size bytes',
    async ({ bind, host, size }) => {
      const server = testNode();
      const { addr } = await server.handler.network().listen(Udp, bind);
      const result = await runPython(PY_SEND, [host, String(portOf(addr)), String(size)]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const event = await server.waitFor((e) => e.type === 'message', 3000);
      const data = event.type === 'message' ? event.data : new Uint8Array();
      expect(data.byteLength).toBe(size);
      expect(data.every((b, i) => b === i % 251)).toBe(true);
    },
    T,
  );
});
