// Property tests of the ring-buffer FIFO against a plain array.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Fifo } from '../src/node/fifo.js';

type Op = { kind: 'push'; value: number } | { kind: 'shift' } | { kind: 'clear' } | { kind: 'burst'; count: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.integer().map((value) => ({ kind: 'push' as const, value })) },
  { weight: 4, arbitrary: fc.constant({ kind: 'shift' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 100 }).map((count) => ({ kind: 'burst' as const, count })) },
);

describe('Fifo (property tests against an array)', () => {
  it('matches an array on random push/shift/clear sequences', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        let counter = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            fifo.push(o.value);
            model.push(o.value);
          } else if (o.kind === 'burst') {
            for (let i = 0; i < o.count; i++) {
              fifo.push(counter);
              model.push(counter++);
            }
          } else if (o.kind === 'shift') {
            expect(fifo.shift()).toBe(model.shift());
          } else {
            fifo.clear();
            model.length = 0;
          }
          expect(fifo.size).toBe(model.length);
        }
        const rest: number[] = [];
        for (let v = fifo.shift(); v !== undefined; v = fifo.shift()) rest.push(v);
        expect(rest).toEqual(model);
        expect(fifo.size).toBe(0);
      }),
      { seed: 424242, numRuns: 500 },
    );
  });

  it('keeps order across growth while the ring has wrapped around', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 10; i++) fifo.push(i);
    for (let i = 0; i < 8; i++) expect(fifo.shift()).toBe(i);
    for (let i = 10; i < 100; i++) fifo.push(i); // wraps, then grows several times
    const out: number[] = [];
    for (let v = fifo.shift(); v !== undefined; v = fifo.shift()) out.push(v);
    expect(out).toEqual([...Array(92).keys()].map((i) => i + 8));
  });

  it('answers undefined when empty and stays usable after clear', () => {
    const fifo = new Fifo<string>();
    expect(fifo.shift()).toBeUndefined();
    fifo.push('a');
    fifo.clear();
    expect(fifo.shift()).toBeUndefined();
    fifo.push('b');
    expect(fifo.size).toBe(1);
    expect(fifo.shift()).toBe('b');
  });
});

describe('Fifo.removeWhere', () => {
  it('drops the matching items, keeps the others in order across the ring wrap, and returns the dropped', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 20; i++) fifo.push(i);
    for (let i = 0; i < 10; i++) fifo.shift(); // head moved: the items wrap around the ring
    for (let i = 20; i < 30; i++) fifo.push(i);
    expect(fifo.removeWhere((n) => n % 3 === 0)).toEqual([12, 15, 18, 21, 24, 27]);
    expect(fifo.size).toBe(14);
    const rest: number[] = [];
    for (let n = fifo.shift(); n !== undefined; n = fifo.shift()) rest.push(n);
    expect(rest).toEqual([10, 11, 13, 14, 16, 17, 19, 20, 22, 23, 25, 26, 28, 29]);
    fifo.push(1);
    expect(fifo.removeWhere(() => false)).toEqual([]);
    expect(fifo.shift()).toBe(1);
  });
});
