// The network registry of the core, whatever the transport: addresses and options it refuses,
// misuse of send/remove/isReady (docs/reliability.md LC-09), isReady and connectAndWait outcomes,
// and the bound on stored events (maxStoredBytes) with write backpressure. They run on the
// testkit's in-memory transport.
import { describe, expect, it } from 'vitest';
import {
  ConnectError,
  Endpoint,
  InvalidAddressError,
  InvalidArgumentError,
  InvalidOptionError,
  ResourceId,
  SendStatus,
  split,
  type NodeEvent,
} from '@message-io/core';
import { sleep, text, until, utf8 } from '@message-io/adapter-testkit';
import { Memory, newNode, portOf, recorder, thrown } from './support.js';

/** A port of the memory transport where nothing listens (listened on, then removed). */
async function closedPort(): Promise<number> {
  const [handler] = newNode();
  const { id, addr } = await handler.network().listen(Memory, '127.0.0.1:0');
  handler.network().remove(id);
  return portOf(addr);
}

describe('LC-09 invalid addresses and API misuse never crash', () => {
  it.each([
    ['host without port', 'localhost'],
    ['IPv4 without port', '127.0.0.1'],
    ['port not a number', 'localhost:http'],
    ['port not a number (IPv4)', '127.0.0.1:abc'],
    ['port -1', '127.0.0.1:-1'],
    ['port 70000', '127.0.0.1:70000'],
    ['a ws URL', 'ws://127.0.0.1:1'],
    ['an ftp URL', 'ftp://127.0.0.1:1'],
    ['not a url', 'not a url'],
    ['unbracketed IPv6', '::1:80'],
    ['empty', ''],
    ['a number', 80],
    ['undefined', undefined],
    ['null', null],
  ])('connect with %s throws InvalidAddressError', (_name, addr) => {
    const [handler] = newNode();
    const error = thrown(() => handler.network().connect(Memory, addr as never));
    expect(error).toBeInstanceOf(InvalidAddressError);
    expect((error as InvalidAddressError).code).toBe('ERR_INVALID_ADDRESS');
    expect(handler.isRunning()).toBe(true);
  });

  it('connectAndWait rejects (never throws synchronously) for a bad address', async () => {
    const [handler] = newNode();
    const pending = handler.network().connectAndWait(Memory, 'localhost');
    await expect(pending).rejects.toBeInstanceOf(InvalidAddressError);
  });

  it.each([['127.0.0.1:-1'], ['127.0.0.1:70000'], ['[::1]:70000'], [{ host: '127.0.0.1', port: -1 }], [{ host: '::1', port: 70000 }]])(
    'listen on a port out of range %j gives InvalidAddressError; a later listen works',
    async (addr) => {
      const [handler] = newNode();
      const error = await handler
        .network()
        .listen(Memory, addr)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(InvalidAddressError);
      expect((error as InvalidAddressError).code).toBe('ERR_INVALID_ADDRESS');
      await expect(handler.network().listen(Memory, '127.0.0.1:0')).resolves.toBeDefined();
    },
  );

  it('send with bad data, a fake endpoint or a listener endpoint throws InvalidArgumentError', async () => {
    const server = recorder();
    const { addr, id } = await server.handler.network().listen(Memory, '127.0.0.1:0');
    const client = recorder();
    const net = client.handler.network();
    const endpoint = await net.connectAndWait(Memory, addr);
    const detached = new ArrayBuffer(16);
    const view = new Uint8Array(detached);
    structuredClone(detached, { transfer: [detached] });
    const badData: unknown[] = ['a string', 42, undefined, null, [1, 2, 3], new ArrayBuffer(4), new Uint16Array(2), new DataView(new ArrayBuffer(2)), view];
    for (const data of badData) {
      const error = thrown(() => net.send(endpoint, data as Uint8Array));
      expect(error, Object.prototype.toString.call(data)).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(thrown(() => net.send({ resourceId: endpoint.resourceId, addr: endpoint.addr } as Endpoint, utf8('x')))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => net.send(undefined as never, utf8('x')))).toBeInstanceOf(InvalidArgumentError);
    // an endpoint built from a listener whose Local has no sendTo: the transport cannot send from it
    await server.waitFor((e) => e.type === 'accepted');
    expect(thrown(() => server.handler.network().send(Endpoint.fromListener(id, addr), utf8('x')))).toBeInstanceOf(InvalidArgumentError);
    // the connection still works afterwards, and a subclass of Uint8Array and an empty message are fine
    expect(net.send(endpoint, Buffer.from('buffer'))).toBe(SendStatus.Sent);
    expect(net.send(endpoint, new Uint8Array(0))).toBe(SendStatus.Sent);
    await until(() => server.events.filter((e) => e.type === 'message').length === 2, { what: 'both messages' });
    expect(server.events.flatMap((e) => (e.type === 'message' ? [text(e.data)] : []))).toEqual(['buffer', '']);
  });

  it('unknown or foreign resource ids answer false/undefined; non-ids throw InvalidArgumentError', async () => {
    const [handler] = newNode();
    const net = handler.network();
    const { id } = await net.listen(Memory, '127.0.0.1:0');
    const lookalike = new ResourceId(id.adapterId, id.kind, id.id); // same numbers, not this node's object
    expect(net.isReady(lookalike)).toBeUndefined();
    expect(net.remove(lookalike)).toBe(false);
    expect(net.isReady(new ResourceId(0, 'remote', 9999))).toBeUndefined();
    expect(net.send(new Endpoint(new ResourceId(0, 'remote', 9999), '127.0.0.1:1'), utf8('x'))).toBe(SendStatus.ResourceNotFound);
    for (const bad of [undefined, null, 5, '[0.L.0]', { adapterId: 0, kind: 'local', id: 0 }]) {
      expect(thrown(() => net.remove(bad as never))).toBeInstanceOf(InvalidArgumentError);
      expect(thrown(() => net.isReady(bad as never))).toBeInstanceOf(InvalidArgumentError);
    }
    expect(net.isReady(id)).toBe(true);
  });

  it.each([
    ['maxBufferedBytes -1', { maxBufferedBytes: -1 }],
    ['maxBufferedBytes as a string', { maxBufferedBytes: '10' }],
    ['connectTimeout 0', { connectTimeout: 0 }],
    ['linger NaN', { linger: NaN }],
    ['options a number', 5],
    ['options a string', 'fast'],
    ['options null', null],
    ['options an array', []],
  ])('connect with %s throws InvalidOptionError', async (_name, options) => {
    const [handler] = newNode();
    const port = await closedPort();
    const error = thrown(() => handler.network().connect(Memory, `127.0.0.1:${port}`, options as never));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).code).toBe('ERR_INVALID_OPTION');
  });

  it.each([
    ['maxBufferedBytes -1', { maxBufferedBytes: -1 }],
    ['linger as a string', { linger: '1s' }],
    ['options a number', 5],
  ])('listen with %s rejects with InvalidOptionError, and binds nothing', async (_name, options) => {
    const [handler] = newNode();
    const error = await handler
      .network()
      .listen(Memory, '127.0.0.1:49999', options as never)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(InvalidOptionError);
    // nothing was bound: the same port is free for a listen with good options
    await expect(handler.network().listen(Memory, '127.0.0.1:49999')).resolves.toMatchObject({ addr: '127.0.0.1:49999' });
  });

  it('a value that is not a transport throws InvalidArgumentError', async () => {
    const [handler] = newNode();
    expect(thrown(() => handler.network().connect({ name: 'Fake' } as never, '127.0.0.1:1'))).toBeInstanceOf(InvalidArgumentError);
    await expect(handler.network().listen(undefined as never, '127.0.0.1:0')).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('isReady and connection outcomes', () => {
  it('isReady is true for a listener and a ready connection, false while connecting, undefined when unknown', async () => {
    const server = recorder();
    const { addr, id } = await server.handler.network().listen(Memory, '127.0.0.1:0');
    const client = recorder();
    const net = client.handler.network();
    expect(server.handler.network().isReady(id)).toBe(true);
    const endpoint = net.connect(Memory, addr);
    expect(net.isReady(endpoint.resourceId)).toBe(false);
    await client.waitFor((e) => e.type === 'connected');
    expect(net.isReady(endpoint.resourceId)).toBe(true);
    net.remove(endpoint.resourceId);
    expect(net.isReady(endpoint.resourceId)).toBeUndefined();
    server.handler.network().remove(id);
    expect(server.handler.network().isReady(id)).toBeUndefined();
  });

  it('connectAndWait resolves with the endpoint of the connected event', async () => {
    const server = recorder();
    const { addr } = await server.handler.network().listen(Memory, '127.0.0.1:0');
    const client = recorder();
    const endpoint = await client.handler.network().connectAndWait(Memory, addr);
    expect(client.handler.network().isReady(endpoint.resourceId)).toBe(true);
    const connected = await client.waitFor((e) => e.type === 'connected');
    expect(connected).toMatchObject({ type: 'connected', ok: true });
    expect(connected.type === 'connected' && connected.endpoint).toBe(endpoint);
  });

  it('connectAndWait rejects with ConnectError on a closed port, after one connected with ok: false', async () => {
    const port = await closedPort();
    const client = recorder();
    const error = await client.handler
      .network()
      .connectAndWait(Memory, `127.0.0.1:${port}`)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe('ERR_CONNECT');
    expect((error as ConnectError).cause).toMatchObject({ code: 'ECONNREFUSED' });
    await until(() => client.events.length === 1, { what: 'the connected event' });
    await sleep(20);
    expect(client.events).toHaveLength(1);
    expect(client.events[0]).toMatchObject({ type: 'connected', ok: false });
  });
});

describe('a consumer behind the network (maxStoredBytes) and write backpressure', () => {
  const KiB = 1024;
  const MESSAGE = 16 * KiB;

  /** A sender that pushes `count` numbered messages as long as `send` says Sent, and again on each `writable`. */
  function sender(count: number, maxBufferedBytes: number) {
    let next = 0;
    let refused = 0;
    const node = recorder((event, handler) => {
      if (event.type !== 'connected' && event.type !== 'writable') return;
      while (next < count) {
        const message = new Uint8Array(MESSAGE);
        new DataView(message.buffer).setUint32(0, next);
        const status = handler.network().send(event.endpoint, message);
        if (status !== SendStatus.Sent) {
          expect(status).toBe(SendStatus.Backpressure);
          expect(handler.network().bufferedBytes(event.endpoint)).toBeGreaterThanOrEqual(maxBufferedBytes);
          refused++;
          break;
        }
        next++;
      }
    });
    return { node, sent: () => next, refused: () => refused };
  }

  it('the stored events stay within maxStoredBytes, the sender is held back by backpressure, and every message comes in order', async () => {
    const count = 512; // 8 MiB
    const maxStoredBytes = 256 * KiB;
    const maxBufferedBytes = 64 * KiB;
    const window = 64 * KiB; // the memory transport's receive window
    const [handler, listener] = newNode({ maxStoredBytes });
    const { addr } = await handler.network().listen(Memory, '127.0.0.1:0');
    const source = sender(count, maxBufferedBytes);
    source.node.handler.network().connect(Memory, addr, { maxBufferedBytes });
    await until(() => source.refused() > 0, { what: 'the sender to meet backpressure' });
    await sleep(100);
    // Out of the sender, with no consumer: what is stored (the bound, passed by at most one
    // message), what the receiving end holds in its window, and what the sender buffers.
    const bound = maxStoredBytes + MESSAGE + window + maxBufferedBytes + MESSAGE;
    expect(source.sent() * MESSAGE).toBeLessThanOrEqual(bound);
    expect(source.sent()).toBeLessThan(count);

    let seq = 0;
    let wrong: string | undefined;
    const done = listener.forEach((event: NodeEvent<never>) => {
      if (event.type !== 'message') return;
      const at = new DataView(event.data.buffer, event.data.byteOffset).getUint32(0);
      if (at !== seq && wrong === undefined) wrong = `message ${at} came as number ${seq}`;
      seq++;
    });
    await until(() => seq === count, { timeout: 10_000, what: `all ${count} messages` });
    expect(wrong).toBeUndefined();
    expect(source.refused()).toBeGreaterThan(0);
    handler.stop();
    await done;
  });

  it('rejects a bad maxStoredBytes', () => {
    expect(() => split({ maxStoredBytes: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => split({ maxStoredBytes: 'big' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
