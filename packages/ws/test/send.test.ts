// `send` takes the bytes it is given when it is called, on every path a Ws message can take: framed
// here (small, or a server's large one), masked here (a client's large one), or through `ws`
// (compression on, or a message over maxFrameSize, sent as several frames).
import { afterEach, describe, expect, it } from 'vitest';
import { split, type NodeHandler } from '@message-io/core';
import { Ws } from '@message-io/ws';
import { joinBytes, until } from '@message-io/adapter-testkit';

const handlers: NodeHandler<never>[] = [];
afterEach(() => {
  for (const handler of handlers.splice(0)) handler.stop();
});

/** Message `i`: a pattern that shows which message it is and where a byte sits in it. */
function patterned(i: number, size: number): Uint8Array {
  const message = new Uint8Array(size);
  for (let at = 0; at < size; at++) message[at] = (i * 13 + at) & 0xff;
  return message;
}

describe.each([
  ['compression on', { perMessageDeflate: true }, 200 * 1024],
  ['a message over maxFrameSize', { maxFrameSize: 64 * 1024 }, 200 * 1024],
  ['framed here', {}, 200 * 1024],
])('Ws send with %s', (_, options, size) => {
  for (const side of ['client', 'server'] as const) {
    it(`from the ${side}: a buffer changed right after each send arrives as it was when sent`, async () => {
      const [handler, listener] = split();
      handlers.push(handler);
      const net = handler.network();
      const received: Record<'client' | 'server', Uint8Array[]> = { client: [], server: [] };
      let serverSide: Parameters<typeof net.send>[0] | undefined;
      const { addr } = await net.listen(Ws, '127.0.0.1:0', options);
      const client = net.connect(Ws, addr, options);
      void listener.forEach((event) => {
        if (event.type === 'accepted') serverSide = event.endpoint;
        if (event.type === 'message') received[event.endpoint === client ? 'client' : 'server'].push(event.data);
      });
      await until(() => serverSide !== undefined && net.isReady(client.resourceId) === true, { timeout: 5_000, what: 'the connection' });
      const from = side === 'client' ? client : serverSide!;
      const sent: Uint8Array[] = [];
      const buffer = new Uint8Array(size);
      for (let i = 0; i < 8; i++) {
        const message = patterned(i, size);
        buffer.set(message);
        net.send(from, buffer);
        buffer.fill(0xee);
        sent.push(message);
      }
      const at = side === 'client' ? 'server' : 'client';
      await until(() => received[at].length === sent.length, { timeout: 10_000, what: 'every message' });
      expect(Buffer.compare(joinBytes(received[at]), joinBytes(sent))).toBe(0);
    });
  }
});
