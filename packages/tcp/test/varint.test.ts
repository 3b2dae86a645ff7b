import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { encodeVarint, varintLength } from '@message-io/tcp';
import { PYTHON, requirePeers, skipWithout } from '../../../test/support/peers.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('LEB128 length prefix', () => {
  it('matches the prefixes the Rust message-io puts on the wire', () => {
    const golden: [number, string][] = [
      [0, '00'],
      [1, '01'],
      [127, '7f'],
      [128, '8001'],
      [16383, 'ff7f'],
      [16384, '808001'],
      [100000, 'a08d06'],
      [2000000, '80897a'],
    ];
    for (const [length, prefix] of golden) expect(hex(encodeVarint(length)), `length ${length}`).toBe(prefix);
  });

  it.skipIf(skipWithout('python3'))('matches an independent encoder (Python) above 32 bits, where JS shifts would overflow', () => {
    requirePeers('python3');
    const lengths = [0, 1, 127, 128, 16383, 16384, 100000, 2000000, 2 ** 21, 2 ** 28, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 35, 2 ** 53 - 1];
    const script = [
      'import sys',
      'def enc(n):',
      '    out = bytearray()',
      '    while True:',
      '        b = n & 0x7f; n >>= 7',
      '        if n: out.append(b | 0x80)',
      '        else: out.append(b); return out.hex()',
      'print(" ".join(enc(int(a)) for a in sys.argv[1:]))',
    ].join('\n');
    const expected = execFileSync(PYTHON, ['-c', script, ...lengths.map(String)], { encoding: 'utf8' })
      .trim()
      .split(' ');
    lengths.forEach((length, i) => {
      expect(hex(encodeVarint(length)), `length ${length}`).toBe(expected[i]);
      expect(varintLength(length)).toBe(expected[i]!.length / 2);
    });
  });
});
