// Names of a new adapter: what is accepted, and what every template value becomes.
import { describe, expect, it } from 'vitest';
import { adapterName, checkDescription, checkName, checkPackageName, checkTransportName, pascalCase, templateData } from '../src/names.js';

const ranges = { coreRange: '^0.1.0', nodeNetRange: '^0.1.0', testkitRange: '^0.1.0' };

describe('checks', () => {
  it.each(['ipc', 'my-link', 'serial2', 'a-b-c'])('takes the name %s', (name) => expect(checkName(name)).toBeUndefined());
  it.each(['', 'My-link', 'my_link', '-link', 'link-', 'my--link', '2link', 'x'.repeat(51)])('refuses the name %j', (name) => {
    expect(checkName(name)).toBeTypeOf('string');
  });
  it('checks transport and package names', () => {
    expect(checkTransportName('MyLink')).toBeUndefined();
    expect(checkTransportName('myLink')).toBeTypeOf('string');
    expect(checkPackageName('@me/message-io-link')).toBeUndefined();
    expect(checkPackageName('message-io-link')).toBeUndefined();
    expect(checkPackageName('Message IO')).toBeTypeOf('string');
  });
  it.each(['a "quoted" text', "it's", 'a & b', 'x < y', 'two\nlines', '{{name}}', ' '])('refuses the description %j', (text) => {
    expect(checkDescription(text)).toBeTypeOf('string');
  });
});

describe('templateData', () => {
  it('derives every value from the name', () => {
    expect(templateData({ name: 'my-link' }, ranges, '@message-io/')).toEqual({
      name: 'my-link',
      directory: 'my-link',
      packageName: '@message-io/my-link',
      transportName: 'MyLink',
      adapterName: 'myLinkAdapter',
      description: 'length-prefixed messages over TCP',
      keyword: 'my-link',
      coreRange: '^0.1.0',
      nodeNetRange: '^0.1.0',
      testkitRange: '^0.1.0',
    });
  });

  it('takes chosen names, trims the description and drops its final period', () => {
    const data = templateData({ name: 'ipc', description: ' over Unix sockets. ', packageName: 'mio-ipc', transportName: 'Uds' }, ranges, 'x-');
    expect(data).toMatchObject({ packageName: 'mio-ipc', transportName: 'Uds', adapterName: 'udsAdapter', description: 'over Unix sockets' });
  });

  it('throws the first problem', () => {
    expect(() => templateData({ name: 'Bad' }, ranges, '')).toThrow(/kebab-case/);
    expect(() => templateData({ name: 'ok', transportName: 'bad' }, ranges, '')).toThrow(/PascalCase/);
  });

  it('makes PascalCase names', () => {
    expect(pascalCase('ipc')).toBe('Ipc');
    expect(pascalCase('web-rtc2-link')).toBe('WebRtc2Link');
  });

  it('names the adapter value after the transport, in camelCase', () => {
    expect(adapterName('Ipc')).toBe('ipcAdapter');
    expect(adapterName('MyTransport')).toBe('myTransportAdapter');
  });
});
