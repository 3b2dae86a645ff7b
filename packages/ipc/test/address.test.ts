// Ipc addresses: socket files and abstract names as ipc: URLs, and everything else refused.
import { describe, expect, it } from 'vitest';
import { InvalidAddressError, parseRemoteAddr } from '@message-io/core';
import { ipcUrl, MAX_PATH_BYTES } from '@message-io/ipc';
import { parseIpcAddr } from '../src/address.js';
import { onlyWhere } from '../../../test/support/skips.js';

const parse = (text: string) => parseIpcAddr(parseRemoteAddr(text));
const linux = onlyWhere(process.platform === 'linux', `abstract socket names exist on Linux only; this is ${process.platform}`);
const notLinux = onlyWhere(process.platform !== 'linux', 'on Linux abstract names are taken, as the case above shows');

describe('parseIpcAddr', () => {
  it('reads a socket file from ipc:///path, percent-decoded', () => {
    expect(parse('ipc:///tmp/app.sock')).toEqual({ path: '/tmp/app.sock', abstract: false, url: 'ipc:///tmp/app.sock' });
    expect(parse('ipc:///tmp/my%20app.sock').path).toBe('/tmp/my app.sock');
  });

  it.skipIf(linux.skip)(linux.title('reads an abstract name from ipc://@name or ipc://name'), () => {
    expect(parse('ipc://@my-app')).toEqual({ path: '\0my-app', abstract: true, url: 'ipc://my-app' });
    expect(parse('ipc://my-app').path).toBe('\0my-app');
    expect(parse('ipc://my%20app').path).toBe('\0my app');
    expect(ipcUrl('@name')).toBe('ipc://name');
  });

  it.skipIf(notLinux.skip)(notLinux.title('refuses an abstract name off Linux with InvalidAddressError'), () => {
    expect(() => parse('ipc://@my-app')).toThrow(InvalidAddressError);
    expect(() => parse('ipc://my-app')).toThrow(/Linux only/);
    expect(() => ipcUrl('@name')).toThrow(InvalidAddressError);
  });

  it.each([
    ['a host and a path', 'ipc://tmp/app.sock'],
    ['a query', 'ipc:///tmp/app.sock?mode=1'],
    ['a fragment', 'ipc:///tmp/app.sock#x'],
    ['a port', 'ipc://name:80'],
    ['another scheme', 'unix:///tmp/app.sock'],
    ['a path too long for a socket', `ipc:///tmp/${'x'.repeat(MAX_PATH_BYTES)}.sock`],
    ['no path', 'ipc:///'.slice(0, -1)],
    ['a malformed percent-encoding', 'ipc:///tmp/%zz.sock'],
  ])('refuses %s with InvalidAddressError', (_what, text) => {
    expect(() => parse(text)).toThrow(InvalidAddressError);
  });

  it('refuses host:port addresses', () => {
    expect(() => parseIpcAddr({ host: '127.0.0.1', port: 80 })).toThrow(InvalidAddressError);
  });
});

describe('ipcUrl', () => {
  it('makes the URL of an absolute or relative socket path', () => {
    expect(ipcUrl('/tmp/a b.sock')).toBe('ipc:///tmp/a%20b.sock');
    expect(ipcUrl('app.sock')).toBe(`ipc://${new URL(`file://${process.cwd()}/app.sock`).pathname}`);
  });

  it('round-trips through the parser', () => {
    expect(parse(ipcUrl('/tmp/x #%?.sock')).path).toBe('/tmp/x #%?.sock');
  });

  it('refuses a path longer than the system takes, and an empty name', () => {
    expect(() => ipcUrl(`/tmp/${'y'.repeat(200)}`)).toThrow(InvalidAddressError);
    expect(() => ipcUrl('@')).toThrow(InvalidAddressError);
  });
});
