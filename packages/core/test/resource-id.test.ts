// ResourceId: kind and printing as message-io does.
import { describe, expect, it } from 'vitest';
import { ResourceId } from '@message-io/core';

describe('ResourceId', () => {
  it('prints a listener as [adapter.L.n]', () => {
    const id = new ResourceId(0, 'local', 3);
    expect(id.toString()).toBe('[0.L.3]');
    expect(`${id}`).toBe('[0.L.3]');
    expect(id.isLocal).toBe(true);
    expect(id.isRemote).toBe(false);
  });

  it('prints a connection as [adapter.R.n]', () => {
    const id = new ResourceId(2, 'remote', 17);
    expect(String(id)).toBe('[2.R.17]');
    expect(id.isRemote).toBe(true);
    expect(id.isLocal).toBe(false);
    expect(id.kind).toBe('remote');
    expect(id.adapterId).toBe(2);
    expect(id.id).toBe(17);
  });

  it('compares by identity, so it works as a Map key', () => {
    const a = new ResourceId(0, 'remote', 1);
    const map = new Map([[a, 'a']]);
    expect(map.get(a)).toBe('a');
    expect(map.get(new ResourceId(0, 'remote', 1))).toBeUndefined();
  });
});
