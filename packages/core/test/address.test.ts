// Address parsing and formatting: every accepted form, and every bad input gives InvalidAddressError.
import { describe, expect, it } from 'vitest';
import { formatRemoteAddr, formatSocketAddr, InvalidAddressError, isUrlAddr, parseRemoteAddr, parseSocketAddr } from '@message-io/core';

function addressError(run: () => unknown): InvalidAddressError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidAddressError);
    expect((error as InvalidAddressError).code).toBe('ERR_INVALID_ADDRESS');
    return error as InvalidAddressError;
  }
  throw new Error('expected InvalidAddressError, nothing was thrown');
}

describe('parseSocketAddr: accepted forms', () => {
  it.each([
    ['127.0.0.1:3042', '127.0.0.1', 3042],
    ['0.0.0.0:0', '0.0.0.0', 0],
    ['255.255.255.255:65535', '255.255.255.255', 65535],
    ['[::1]:3042', '::1', 3042],
    ['[::]:0', '::', 0],
    ['[fe80::1%lo]:80', 'fe80::1%lo', 80],
    ['[2001:db8::8a2e:370:7334]:443', '2001:db8::8a2e:370:7334', 443],
    ['localhost:3042', 'localhost', 3042],
    ['example.com:80', 'example.com', 80],
    ['my-host.local:1', 'my-host.local', 1],
  ])('%s', (input, host, port) => {
    expect(parseSocketAddr(input)).toEqual({ host, port });
  });

  it('takes { host, port }, with or without brackets around IPv6', () => {
    expect(parseSocketAddr({ host: '127.0.0.1', port: 80 })).toEqual({ host: '127.0.0.1', port: 80 });
    expect(parseSocketAddr({ host: '::1', port: 80 })).toEqual({ host: '::1', port: 80 });
    expect(parseSocketAddr({ host: '[::1]', port: 80 })).toEqual({ host: '::1', port: 80 });
    expect(parseSocketAddr({ host: 'localhost', port: 0 })).toEqual({ host: 'localhost', port: 0 });
  });
});

describe('parseSocketAddr: bad input is InvalidAddressError', () => {
  it.each([
    ['no port', '127.0.0.1'],
    ['host name without port', 'localhost'],
    ['empty port', '127.0.0.1:'],
    ['port -1', '127.0.0.1:-1'],
    ['port 65536', '127.0.0.1:65536'],
    ['port 70000', '127.0.0.1:70000'],
    ['huge port', '127.0.0.1:99999999999'],
    ['non-numeric port', '127.0.0.1:abc'],
    ['port with a sign', '127.0.0.1:+80'],
    ['fractional port', '127.0.0.1:80.5'],
    ['port in hex', '127.0.0.1:0x50'],
    ['bare word', 'abc'],
    ['empty string', ''],
    ['only a colon', ':'],
    ['empty host', ':80'],
    ['unbracketed IPv6', '::1:80'],
    ['unbracketed IPv6, long', '2001:db8::1:443'],
    ['IPv6 brackets without port', '[::1]'],
    ['IPv6 brackets without colon', '[::1]80'],
    ['unclosed bracket', '[::1:80'],
    ['not IPv6 in brackets', '[localhost]:80'],
    ['space in host', 'local host:80'],
    ['url', 'ws://127.0.0.1:80'],
    ['trailing garbage', '127.0.0.1:80/path'],
  ])('%s: %j', (_name, input) => {
    addressError(() => parseSocketAddr(input));
  });

  it.each([
    ['a number', 3042],
    ['undefined', undefined],
    ['null', null],
    ['a boolean', true],
    ['an array', ['127.0.0.1', 80]],
    ['a function', () => '127.0.0.1:80'],
    ['an object without port', { host: '127.0.0.1' }],
    ['an object without host', { port: 80 }],
    ['an object with port -1', { host: '127.0.0.1', port: -1 }],
    ['an object with port 70000', { host: '127.0.0.1', port: 70000 }],
    ['an object with a string port', { host: '127.0.0.1', port: '80' }],
    ['an object with a fractional port', { host: '127.0.0.1', port: 1.5 }],
    ['an object with NaN port', { host: '127.0.0.1', port: NaN }],
    ['an object with a number host', { host: 127, port: 80 }],
    ['an object with an empty host', { host: '', port: 80 }],
  ])('%s', (_name, input) => {
    addressError(() => parseSocketAddr(input as never));
  });

  it('names the input in the message', () => {
    expect(addressError(() => parseSocketAddr('127.0.0.1:70000')).message).toContain('127.0.0.1:70000');
  });
});

describe('parseRemoteAddr', () => {
  it('keeps URLs as URLs, normalised', () => {
    const addr = parseRemoteAddr('ws://127.0.0.1:3042/chat');
    expect(isUrlAddr(addr)).toBe(true);
    expect(addr).toEqual({ url: 'ws://127.0.0.1:3042/chat' });
    expect(parseRemoteAddr('WSS://Example.COM:443/x')).toEqual({ url: 'wss://example.com/x' });
  });

  it('parses socket addresses like parseSocketAddr', () => {
    expect(parseRemoteAddr('127.0.0.1:1')).toEqual({ host: '127.0.0.1', port: 1 });
    expect(parseRemoteAddr('[::1]:2')).toEqual({ host: '::1', port: 2 });
    expect(parseRemoteAddr({ host: 'localhost', port: 3 })).toEqual({ host: 'localhost', port: 3 });
  });

  it.each([['not a url'], ['http://'], ['ws://:80'], ['localhost'], [''], ['127.0.0.1:-1']])('rejects %j', (input) => {
    addressError(() => parseRemoteAddr(input));
  });

  it.each([[5], [undefined], [null]])('rejects %s', (input) => {
    addressError(() => parseRemoteAddr(input as never));
  });
});

describe('formatSocketAddr / formatRemoteAddr', () => {
  it('formats IPv4 and names as host:port and IPv6 in brackets', () => {
    expect(formatSocketAddr({ host: '127.0.0.1', port: 3042 })).toBe('127.0.0.1:3042');
    expect(formatSocketAddr({ host: 'localhost', port: 0 })).toBe('localhost:0');
    expect(formatSocketAddr({ host: '::1', port: 3042 })).toBe('[::1]:3042');
    expect(formatRemoteAddr({ url: 'ws://h:1/p' })).toBe('ws://h:1/p');
    expect(formatRemoteAddr({ host: '::', port: 1 })).toBe('[::]:1');
  });

  it.each(['127.0.0.1:3042', '[::1]:3042', 'localhost:80', '[fe80::1%lo]:9'])('round-trips %s', (text) => {
    expect(formatSocketAddr(parseSocketAddr(text))).toBe(text);
  });
});
