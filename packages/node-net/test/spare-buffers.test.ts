// The spare buffers of large writes: given back, a buffer serves the next message of its length;
// the pool keeps at most 8 MiB, and no buffer over 4 MiB. (Identity is compared as a boolean: vitest
// would format megabytes of bytes for a message.)
import { describe, expect, it } from 'vitest';
import { giveBackBuffer, takeBuffer } from '@message-io/node-net';

describe('takeBuffer and giveBackBuffer', () => {
  it('hands back a buffer given back for the same length, and a new one for another length', () => {
    const first = takeBuffer(70_001);
    expect(first.byteLength).toBe(70_001);
    giveBackBuffer(first);
    expect(takeBuffer(70_002) === first).toBe(false);
    expect(takeBuffer(70_001) === first).toBe(true);
    expect(takeBuffer(70_001) === first).toBe(false); // taken once only
  });

  it('keeps no buffer over 4 MiB, and at most 8 MiB in all', () => {
    const huge = takeBuffer(5 * 1024 * 1024);
    giveBackBuffer(huge);
    expect(takeBuffer(5 * 1024 * 1024) === huge).toBe(false);
    const size = 1024 * 1024 + 3;
    const given = Array.from({ length: 10 }, () => takeBuffer(size));
    for (const buffer of given) giveBackBuffer(buffer);
    const again = new Set(Array.from({ length: 10 }, () => takeBuffer(size)));
    const reused = given.filter((buffer) => again.has(buffer)).length;
    expect(reused).toBeGreaterThan(0);
    expect(reused).toBeLessThanOrEqual(7); // 8 MiB / (1 MiB + 3 bytes)
  });
});
