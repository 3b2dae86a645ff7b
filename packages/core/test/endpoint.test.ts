// Endpoint.fromListener: one object per listener and address while it is held, and argument checks.
import { describe, expect, it } from 'vitest';
import { Endpoint, InvalidAddressError, InvalidArgumentError, ResourceId } from '@message-io/core';

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('Endpoint.fromListener', () => {
  it('gives the same object for the same listener and address', () => {
    const listener = new ResourceId(0, 'local', 1);
    const a = Endpoint.fromListener(listener, '127.0.0.1:5000');
    expect(Endpoint.fromListener(listener, '127.0.0.1:5000')).toBe(a);
    expect(Endpoint.fromListener(listener, { host: '127.0.0.1', port: 5000 })).toBe(a);
    expect(a.resourceId).toBe(listener);
    expect(a.addr).toBe('127.0.0.1:5000');
    const set = new Set([a, Endpoint.fromListener(listener, '127.0.0.1:5000')]);
    expect(set.size).toBe(1);
  });

  it('normalises IPv6 forms to one endpoint', () => {
    const listener = new ResourceId(0, 'local', 2);
    const a = Endpoint.fromListener(listener, '[::1]:7');
    expect(Endpoint.fromListener(listener, { host: '::1', port: 7 })).toBe(a);
    expect(Endpoint.fromListener(listener, { host: '[::1]', port: 7 })).toBe(a);
    expect(a.addr).toBe('[::1]:7');
  });

  it('gives different objects for different addresses or listeners', () => {
    const l1 = new ResourceId(0, 'local', 3);
    const l2 = new ResourceId(0, 'local', 4);
    const a = Endpoint.fromListener(l1, '127.0.0.1:1');
    expect(Endpoint.fromListener(l1, '127.0.0.1:2')).not.toBe(a);
    expect(Endpoint.fromListener(l2, '127.0.0.1:1')).not.toBe(a);
    expect(Endpoint.fromListener(l2, '127.0.0.1:1').resourceId).toBe(l2);
  });

  it('throws InvalidArgumentError for the id of a connection', () => {
    const error = errorOf(() => Endpoint.fromListener(new ResourceId(0, 'remote', 5), '127.0.0.1:1'));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it.each([
    ['a number', 1],
    ['undefined', undefined],
    ['null', null],
    ['a look-alike object', { adapterId: 0, kind: 'local', id: 1 }],
    ['a string', '[0.L.1]'],
  ])('throws InvalidArgumentError for %s', (_name, id) => {
    const error = errorOf(() => Endpoint.fromListener(id as never, '127.0.0.1:1'));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it.each([['127.0.0.1'], ['127.0.0.1:70000'], [''], [5], [null]])('throws InvalidAddressError for address %j', (addr) => {
    const error = errorOf(() => Endpoint.fromListener(new ResourceId(0, 'local', 6), addr as never));
    expect(error).toBeInstanceOf(InvalidAddressError);
    expect((error as InvalidAddressError).code).toBe('ERR_INVALID_ADDRESS');
  });

  it('answers runs from one sender, alternating senders and mixed strings and objects alike', () => {
    const listener = new ResourceId(0, 'local', 8);
    const a = Endpoint.fromListener(listener, { host: '127.0.0.1', port: 1 });
    const b = Endpoint.fromListener(listener, { host: '127.0.0.1', port: 2 });
    const v6 = Endpoint.fromListener(listener, { host: '::1', port: 1 });
    expect(new Set([a, b, v6]).size).toBe(3);
    const asked = [1, 1, 2, 1, 2, 2, 1].map((port) => Endpoint.fromListener(listener, { host: '127.0.0.1', port }));
    expect(asked).toEqual([a, a, b, a, b, b, a]);
    expect(Endpoint.fromListener(listener, { host: '::1', port: 1 })).toBe(v6);
    expect(Endpoint.fromListener(listener, '127.0.0.1:2')).toBe(b);
    expect(Endpoint.fromListener(listener, { host: '127.0.0.1', port: 1 })).toBe(a);
    // After a valid sender, an invalid one is still refused, not taken for the last one.
    expect(errorOf(() => Endpoint.fromListener(listener, { host: '127.0.0.1' } as never))).toBeInstanceOf(InvalidAddressError);
    expect(errorOf(() => Endpoint.fromListener(listener, { port: 1 } as never))).toBeInstanceOf(InvalidAddressError);
    expect(Endpoint.fromListener(listener, { host: '127.0.0.1', port: 1 })).toBe(a);
    expect(a.addr).toBe('127.0.0.1:1');
    expect(v6.addr).toBe('[::1]:1');
  });

  it('gives the same object for each of 3,000 addresses while they are held, asked for as objects or strings', () => {
    const listener = new ResourceId(0, 'local', 7);
    const held = new Map<Endpoint, number>();
    for (let port = 1; port <= 3000; port++) held.set(Endpoint.fromListener(listener, { host: '10.0.0.1', port }), port);
    expect(held.size).toBe(3000);
    for (let port = 1; port <= 3000; port++) {
      expect(held.get(Endpoint.fromListener(listener, { host: '10.0.0.1', port }))).toBe(port);
      expect(held.get(Endpoint.fromListener(listener, `10.0.0.1:${port}`))).toBe(port);
    }
    const first = [...held.keys()][0]!;
    expect(first.addr).toBe('10.0.0.1:1');
    expect(first.resourceId).toBe(listener);
  });

  it('refuses an invalid port for a known host', () => {
    const listener = new ResourceId(0, 'local', 10);
    Endpoint.fromListener(listener, { host: '127.0.0.1', port: 1 });
    Endpoint.fromListener(listener, { host: '127.0.0.1', port: 2 });
    expect(errorOf(() => Endpoint.fromListener(listener, { host: '127.0.0.1', port: '1' } as never))).toBeInstanceOf(InvalidAddressError);
    expect(errorOf(() => Endpoint.fromListener(listener, { host: '127.0.0.1', port: 1.5 }))).toBeInstanceOf(InvalidAddressError);
    expect(errorOf(() => Endpoint.fromListener(listener, '127.0.0.1:01x'))).toBeInstanceOf(InvalidAddressError);
  });

  it('takes URLs (a broker reply subject): one object per canonical URL, asked for as a string or { url }', () => {
    const listener = new ResourceId(0, 'local', 11);
    const a = Endpoint.fromListener(listener, { url: 'nats://127.0.0.1:4222/_INBOX.abc' });
    expect(a.addr).toBe('nats://127.0.0.1:4222/_INBOX.abc');
    expect(Endpoint.fromListener(listener, 'nats://127.0.0.1:4222/_INBOX.abc')).toBe(a);
    expect(Endpoint.fromListener(listener, { url: 'nats://127.0.0.1:4222/_INBOX.abc' })).toBe(a);
    // Not canonical (upper-case scheme): parsed, then the same endpoint.
    expect(Endpoint.fromListener(listener, 'NATS://127.0.0.1:4222/_INBOX.abc')).toBe(a);
    expect(Endpoint.fromListener(listener, { url: 'nats://127.0.0.1:4222/_INBOX.abd' })).not.toBe(a);
    // A socket address after a URL, and a URL after a socket address, are told apart.
    const socket = Endpoint.fromListener(listener, { host: '127.0.0.1', port: 4222 });
    expect(Endpoint.fromListener(listener, { url: 'nats://127.0.0.1:4222/_INBOX.abc' })).toBe(a);
    expect(Endpoint.fromListener(listener, { host: '127.0.0.1', port: 4222 })).toBe(socket);
    expect(errorOf(() => Endpoint.fromListener(listener, { url: 'nats://[zz' }))).toBeInstanceOf(InvalidAddressError);
    expect(errorOf(() => Endpoint.fromListener(listener, { url: 5 } as never))).toBeInstanceOf(InvalidAddressError);
  });

  it('prints as the resource id and the address', () => {
    const endpoint = Endpoint.fromListener(new ResourceId(2, 'local', 9), '[::1]:80');
    expect(endpoint.toString()).toBe('[2.L.9] [::1]:80');
    expect(String(new Endpoint(new ResourceId(1, 'remote', 3), '127.0.0.1:5'))).toBe('[1.R.3] 127.0.0.1:5');
  });
});
