// The core's diagnostics channels on real FramedTcp sockets: a listener, a connection and its
// accept, and a peer that breaks the framing (its disconnect carries the error).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect as rawConnect } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DIAGNOSTICS_CHANNELS, MessageTooLargeError } from '@message-io/core';
import { FramedTcp } from '@message-io/tcp';
import { testNode, until, type TestNode } from './support.js';

const seen: { channel: string; message: Record<string, unknown> }[] = [];
const handlers = Object.values(DIAGNOSTICS_CHANNELS).map((name) => {
  const handler = (message: unknown): void => void seen.push({ channel: name, message: message as Record<string, unknown> });
  subscribe(name, handler);
  return { name, handler };
});
afterAll(() => {
  for (const { name, handler } of handlers) unsubscribe(name, handler);
});
const nodes: TestNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.stop();
  seen.splice(0);
});
const on = (name: string) => seen.filter((s) => s.channel === name).map((s) => s.message);

describe('diagnostics channels on FramedTcp', () => {
  it('listen, connect, accept, and the disconnect of a peer that announced too large a message', async () => {
    const server = testNode();
    nodes.push(server);
    const { id, addr } = await server.handler.network().listen(FramedTcp, '127.0.0.1:0', { maxMessageSize: 1024 });
    expect(on('message-io:listen')).toEqual([{ listenerId: id, transport: 'FramedTcp', addr }]);
    const client = testNode();
    nodes.push(client);
    const endpoint = await client.handler.network().connectAndWait(FramedTcp, addr);
    expect(on('message-io:connect')).toEqual([{ endpoint, transport: 'FramedTcp' }]);
    await until(() => on('message-io:accept').length === 1, { what: 'the accept' });

    // A raw peer announcing 1 MiB to a listener that takes 1 KiB.
    const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
    const raw = rawConnect({ host, port }, () => raw.write(Buffer.of(0x80, 0x80, 0x40)));
    raw.on('error', () => undefined);
    try {
      await until(() => on('message-io:disconnect').some((m) => m.reason === 'error'), { what: 'the disconnect of the raw peer' });
      const ended = on('message-io:disconnect').find((m) => m.reason === 'error')!;
      expect(ended.error).toBeInstanceOf(MessageTooLargeError);
      expect(on('message-io:accept')).toHaveLength(2);
      expect(ended.endpoint).toBe(on('message-io:accept')[1]!.endpoint);
    } finally {
      raw.destroy();
    }
  });
});
