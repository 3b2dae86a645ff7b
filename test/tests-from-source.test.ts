// Tests run from source (vitest.config.ts): a package imported by name in a test is the module
// that its TypeScript source compiles to, so a change needs no build before its test. The same
// module object proves it: importing the entry by name and its source file by path gives one
// module, not a built copy and a source copy side by side.
import { describe, expect, it } from 'vitest';
import * as coreByName from '@message-io/core';
import * as adapterByName from '@message-io/core/adapter';
import * as nodeNetByName from '@message-io/node-net';
import * as tcpByName from '@message-io/tcp';
import * as adapterSource from '../packages/core/src/adapter/index.js';
import * as coreSource from '../packages/core/src/index.js';
import * as nodeNetSource from '../packages/node-net/src/index.js';
import * as tcpSource from '../packages/tcp/src/index.js';

describe('tests run from source', () => {
  it('a package entry imported by name is its source module', () => {
    expect(coreByName).toBe(coreSource);
    expect(adapterByName).toBe(adapterSource);
    expect(nodeNetByName).toBe(nodeNetSource);
    expect(tcpByName).toBe(tcpSource);
  });

  it('classes are shared across entries: one core, whichever way a test reaches it', () => {
    expect(coreByName.BorrowedBytes).toBe(adapterByName.BorrowedBytes);
    expect(coreByName.NodeHandler).toBe(coreSource.NodeHandler);
  });
});
