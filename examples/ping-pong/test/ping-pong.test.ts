// Runs the ping-pong server and client as a user would, and checks the bytes on the wire against
// the Rust example's bincode encoding (the README's "The messages") with raw socket peers on both sides.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { exitWithin, start, stopAll, tsBlocks } from '../../../test/support/child.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
afterEach(stopAll);

/** Starts the server on a free loopback port; resolves with it and its address. */
async function server(transport: string) {
  const program = start(`${dist}server.js`, [transport, '127.0.0.1:0']);
  const [, addr] = await program.waitFor(/on (127\.0\.0\.1:\d+)/);
  return { program, addr: addr! };
}

/** Collects what a raw peer receives, and waits for a given number of messages. */
function inbox() {
  const got: Uint8Array[] = [];
  return {
    got,
    push: (data: Uint8Array) => got.push(new Uint8Array(data)),
    async count(n: number, ms = 5000): Promise<void> {
      const deadline = Date.now() + ms;
      while (got.length < n) {
        if (Date.now() > deadline) throw new Error(`got ${got.length} of ${n} messages`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

describe('ping-pong example', () => {
  it('is what its README shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
    for (const file of ['protocol.ts', 'server.ts', 'client.ts']) {
      expect(blocks, `README.md shows src/${file}`).toContain(readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8'));
    }
  });

  it.each(['tcp', 'framed-tcp', 'ws'])('a client gets counted pongs over %s, and the server sees it come and go', async (transport) => {
    const { program, addr } = await server(transport);
    const client = start(`${dist}client.js`, [transport, transport === 'ws' ? `ws://${addr}/message-io-default` : addr]);
    await client.waitFor('pong: 2 pings so far', 10_000); // a ping a second; generous for a loaded machine
    await program.waitFor(/client .* connected \(1 connected\)/);
    client.child.kill('SIGINT');
    expect(await exitWithin(client, 3000)).toBe(0);
    await program.waitFor(/disconnected \(0 connected\)/);
    program.child.kill('SIGINT');
    expect(await exitWithin(program, 3000)).toBe(0);
  });

  it('a Udp client gets UnknownPong, as from the Rust server', async () => {
    const { program, addr } = await server('udp');
    const client = start(`${dist}client.js`, ['udp', addr]);
    await client.waitFor('pong: the server does not count connectionless clients');
    await program.waitFor(/ping from 127\.0\.0\.1:\d+/);
  });

  it('the client says so when there is no server, and exits', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const client = start(`${dist}client.js`, ['framed-tcp', `127.0.0.1:${port}`]);
    await client.waitFor('cannot connect to');
    expect(await exitWithin(client, 3000)).toBe(0);
  });

  it('FramedTcp server: answers the Rust client bytes with the Rust server bytes', async () => {
    const { addr } = await server('framed-tcp');
    const [host, port] = addr.split(':');
    const socket = connect(Number(port), host);
    const received = inbox();
    let stream = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      stream = Buffer.concat([stream, d]);
      while (stream.length >= 13) {
        received.push(stream.subarray(0, 13));
        stream = stream.subarray(13);
      }
    });
    try {
      socket.write(Buffer.from('0400000000', 'hex'));
      await received.count(1);
      socket.write(Buffer.from('0400000000', 'hex'));
      await received.count(2);
      expect(received.got.map(hex)).toEqual(['0c000000000100000000000000', '0c000000000200000000000000']);
    } finally {
      socket.destroy();
    }
  });

  it('Tcp, Udp and Ws servers: a ping is 00000000; Pong(1) is 12 bytes, UnknownPong is 01000000', async () => {
    const tcp = await server('tcp');
    const raw = connect(Number(tcp.addr.split(':')[1]), '127.0.0.1');
    const fromTcp = inbox();
    raw.on('data', (d: Buffer) => fromTcp.push(d));
    const udp = await server('udp');
    const datagrams = createSocket('udp4');
    const fromUdp = inbox();
    datagrams.on('message', (d) => fromUdp.push(d));
    const ws = await server('ws');
    const web = new WebSocket(`ws://${ws.addr}/message-io-default`);
    const fromWs = inbox();
    web.on('message', (d: Buffer) => fromWs.push(d));
    try {
      raw.write(Buffer.from('00000000', 'hex'));
      datagrams.send(Buffer.from('00000000', 'hex'), Number(udp.addr.split(':')[1]), '127.0.0.1');
      await new Promise((resolve, reject) => web.once('open', resolve).once('error', reject));
      web.send(Buffer.from('00000000', 'hex'), { binary: true });
      await Promise.all([fromTcp.count(1), fromUdp.count(1), fromWs.count(1)]);
      expect(hex(fromTcp.got[0]!)).toBe('000000000100000000000000');
      expect(hex(fromUdp.got[0]!)).toBe('01000000');
      expect(hex(fromWs.got[0]!)).toBe('000000000100000000000000');
    } finally {
      raw.destroy();
      datagrams.close();
      web.terminate();
    }
  });

  it('client: sends the Rust ping bytes and reads a Rust server Pong', async () => {
    const pings: string[] = [];
    const sockets: Socket[] = [];
    const fake: Server = createServer((socket) => {
      sockets.push(socket);
      socket.on('data', (d: Buffer) => {
        pings.push(hex(d));
        socket.write(Buffer.from('0c000000002a00000000000000', 'hex')); // Pong(42)
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const client = start(`${dist}client.js`, ['framed-tcp', `127.0.0.1:${(fake.address() as AddressInfo).port}`]);
      await client.waitFor('pong: 42 pings so far');
      expect(pings[0]).toBe('0400000000');
    } finally {
      for (const socket of sockets) socket.destroy();
      fake.close();
    }
  });
});
