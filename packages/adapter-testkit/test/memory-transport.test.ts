// The testkit's memory transport, member by member, with a hand-made watch: readiness, refusal,
// backpressure and drain, the receive window, stop on `received` false, linger, sizes, options.
// The conformance suite runs against it too (conformance.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memoryTransport, MemoryConnectionRefusedError, until } from '@message-io/adapter-testkit';
import {
  InvalidAddressError,
  InvalidOptionError,
  ListenError,
  MessageTooLargeError,
  PendingStatus,
  SendStatus,
  type Acceptor,
  type Remote,
  type RemoteContext,
  type RemoteWatch,
} from '@message-io/core';

const context: RemoteContext = { maxBufferedBytes: 1024, linger: 1_000 };

/** A watch that records what the remote reports; `received` answers what `answer` says. */
function recordingWatch(answer: (count: number) => boolean = () => true) {
  const log = { notified: 0, closed: [] as (Error | undefined)[], received: [] as Uint8Array[] };
  const watch: RemoteWatch = {
    notify: () => void log.notified++,
    closed: (error) => void log.closed.push(error),
    received: (data) => {
      log.received.push(data);
      return answer(log.received.length);
    },
  };
  return { log, watch };
}

/** A listener and a connected pair of remotes, both receiving, wired to recording watches. */
async function pair(options: { client?: RemoteContext; server?: RemoteContext; answer?: (count: number) => boolean; window?: number } = {}) {
  const transport = memoryTransport({ receiveWindow: options.window ?? 4096 });
  const { local, addr } = await transport.adapter.listen({ host: '127.0.0.1', port: 0 }, undefined, options.server ?? context);
  const accepted: Remote[] = [];
  const acceptor: Acceptor = { remote: (remote) => void accepted.push(remote), data: () => undefined, refused: () => undefined };
  local.accept(acceptor);
  const client = transport.adapter.connect(addr, undefined, options.client ?? context);
  const c = recordingWatch();
  client.source(c.watch);
  expect(client.pending('writable')).toBe(PendingStatus.Incomplete);
  await until(() => accepted.length === 1 && c.log.notified === 1, { timeout: 1_000, what: 'the accepted connection' });
  expect(client.pending('writable')).toBe(PendingStatus.Ready);
  const server = accepted[0]!;
  const s = recordingWatch(options.answer);
  server.source(s.watch);
  expect(server.pending('readable')).toBe(PendingStatus.Ready);
  client.receive();
  server.receive();
  return { transport, local, addr, client, server, c, s };
}

describe('memoryTransport', () => {
  it('is connection-oriented and packet-based, and imports nothing from Node', () => {
    const transport = memoryTransport();
    expect(transport).toMatchObject({ name: 'Memory', connectionOriented: true, packetBased: true, maxMessageSize: 1024 * 1024 });
    const built = readFileSync(new URL('../dist/memory-transport.js', import.meta.url), 'utf8');
    expect(built).toContain('memoryTransport');
    expect(built).not.toMatch(/from ['"]node:|require\(/);
  });

  it('carries messages in order, as copies taken at send', async () => {
    const { client, s } = await pair();
    const buffer = Uint8Array.of(1, 2, 3);
    expect(client.send(buffer)).toBe(SendStatus.Sent);
    buffer.fill(0);
    expect(client.send(Uint8Array.of(4))).toBe(SendStatus.Sent);
    await until(() => s.log.received.length === 2, { timeout: 1_000, what: 'two messages' });
    expect(s.log.received.map((m) => [...m])).toEqual([[1, 2, 3], [4]]);
  });

  it('a connect to a port nobody listens on fails with ECONNREFUSED', async () => {
    const transport = memoryTransport();
    const client = transport.adapter.connect({ host: '127.0.0.1', port: 1 }, undefined, context);
    const c = recordingWatch();
    client.source(c.watch);
    expect(client.pending('writable')).toBe(PendingStatus.Incomplete);
    await until(() => c.log.closed.length === 1, { timeout: 1_000, what: 'the refusal' });
    expect(c.log.closed[0]).toBeInstanceOf(MemoryConnectionRefusedError);
    expect(c.log.closed[0]).toMatchObject({ code: 'ECONNREFUSED' });
    expect(client.pending('writable')).toBe(PendingStatus.Disconnected);
  });

  it('bufferedBytes grows while the peer does not read, and writable is notified once it falls under the cap', async () => {
    const { client, server, c, s } = await pair();
    server.pauseReceive!();
    const before = c.log.notified;
    for (let i = 0; i < 10; i++) expect(client.send(new Uint8Array(1000))).toBe(SendStatus.Sent);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The window (4 KiB) took what fitted before the pause took effect, or nothing: the rest waits at the sender.
    expect(client.bufferedBytes).toBeGreaterThanOrEqual(10_000 - 4096);
    expect(c.log.notified).toBe(before);
    server.resumeReceive!();
    await until(() => s.log.received.length === 10, { timeout: 1_000, what: 'every message after resume' });
    await until(() => client.bufferedBytes === 0, { timeout: 1_000, what: 'the sender to drain' });
    expect(c.log.notified).toBe(before + 1);
  });

  it('received answering false stops delivery until resumeReceive, on a later turn', async () => {
    const { client, server, s } = await pair({ answer: (count) => count !== 3 });
    for (let i = 0; i < 6; i++) client.send(Uint8Array.of(i));
    await until(() => s.log.received.length === 3, { timeout: 1_000, what: 'three messages' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(s.log.received).toHaveLength(3);
    server.pauseReceive!();
    server.resumeReceive!();
    expect(s.log.received).toHaveLength(3);
    await until(() => s.log.received.length === 6, { timeout: 1_000, what: 'the rest' });
    expect(s.log.received.map((m) => m[0])).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('close flushes what was sent, then the peer sees a clean end; a paused peer past linger sees a reset', async () => {
    const graceful = await pair();
    graceful.client.send(Uint8Array.of(7));
    graceful.client.close();
    await until(() => graceful.s.log.closed.length === 1, { timeout: 1_000, what: 'the end' });
    expect(graceful.s.log.received.map((m) => [...m])).toEqual([[7]]);
    expect(graceful.s.log.closed).toEqual([undefined]);

    const stuck = await pair({ client: { maxBufferedBytes: 1 << 20, linger: 50 }, window: 16 });
    stuck.server.pauseReceive!();
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (let i = 0; i < 10; i++) stuck.client.send(new Uint8Array(100));
    stuck.client.close();
    await until(() => stuck.s.log.closed.length === 1, { timeout: 1_000, what: 'the reset' });
    expect(stuck.s.log.closed[0]).toBeInstanceOf(Error);
  });

  it('takes a smaller maxMessageSize per connection, and closes a connection sent a message over its own', async () => {
    const transport = memoryTransport({ maxMessageSize: 100 });
    const { local, addr } = await transport.adapter.listen({ host: '127.0.0.1', port: 0 }, { maxMessageSize: 10 }, context);
    const accepted: Remote[] = [];
    local.accept({ remote: (remote) => void accepted.push(remote), data: () => undefined, refused: () => undefined });
    const client = transport.adapter.connect(addr, undefined, context);
    const c = recordingWatch();
    client.source(c.watch);
    await until(() => accepted.length === 1, { timeout: 1_000, what: 'the accepted connection' });
    const s = recordingWatch();
    accepted[0]!.source(s.watch);
    accepted[0]!.receive();
    expect(client.maxMessageSize).toBe(100);
    expect(accepted[0]!.maxMessageSize).toBe(10);
    expect(client.send(new Uint8Array(101))).toBe(SendStatus.MaxPacketSizeExceeded);
    expect(client.send(new Uint8Array(50))).toBe(SendStatus.Sent);
    await until(() => s.log.closed.length === 1, { timeout: 1_000, what: 'the oversize message to close the connection' });
    expect(s.log.closed[0]).toBeInstanceOf(MessageTooLargeError);
    expect(s.log.received).toEqual([]);
    expect(() => transport.adapter.connect(addr, { maxMessageSize: 101 }, context)).toThrow(InvalidOptionError);
  });

  it('refuses URLs, unknown options and a taken port', async () => {
    const transport = memoryTransport();
    expect(() => transport.adapter.connect({ url: 'ws://127.0.0.1:1' }, undefined, context)).toThrow(InvalidAddressError);
    expect(() => transport.adapter.connect({ host: '127.0.0.1', port: 1 }, { noDelay: true } as never, context)).toThrow(InvalidOptionError);
    const { addr } = await transport.adapter.listen({ host: '127.0.0.1', port: 0 }, undefined, context);
    await expect(transport.adapter.listen(addr, undefined, context)).rejects.toBeInstanceOf(ListenError);
    await expect(memoryTransport().adapter.listen(addr, undefined, context)).resolves.toBeDefined();
  });
});
