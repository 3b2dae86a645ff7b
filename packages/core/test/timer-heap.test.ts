// Property tests of the timer heap against a plain sorted-array model.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TimerHeap } from '../src/node/timer-heap.js';

type Op = { kind: 'schedule'; due: number } | { kind: 'cancel'; pick: number } | { kind: 'pop'; now: number } | { kind: 'peek' } | { kind: 'clear' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 50 }).map((due) => ({ kind: 'schedule' as const, due })) },
  { weight: 3, arbitrary: fc.nat(1000).map((pick) => ({ kind: 'cancel' as const, pick })) },
  { weight: 4, arbitrary: fc.integer({ min: -1, max: 55 }).map((now) => ({ kind: 'pop' as const, now })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'peek' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

/** The reference: live timers in an array, earliest (due, then scheduling order) found by a scan. */
class Model {
  live: { id: number; due: number; seq: number }[] = [];
  private seq = 0;
  schedule(id: number, due: number): void {
    this.live.push({ id, due, seq: this.seq++ });
  }
  cancel(id: number): boolean {
    const index = this.live.findIndex((t) => t.id === id);
    if (index < 0) return false;
    this.live.splice(index, 1);
    return true;
  }
  earliest(): { id: number; due: number; seq: number } | undefined {
    let best: { id: number; due: number; seq: number } | undefined;
    for (const t of this.live) if (best === undefined || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    return best;
  }
  pop(now: number): number | undefined {
    const best = this.earliest();
    if (best === undefined || best.due > now) return undefined;
    this.cancel(best.id);
    return best.id;
  }
}

function run(ops: Op[]): void {
  const heap = new TimerHeap<string>();
  const model = new Model();
  let nextId = 1;
  for (const o of ops) {
    switch (o.kind) {
      case 'schedule': {
        const id = nextId++;
        heap.schedule(id, o.due, `v${id}`);
        model.schedule(id, o.due);
        break;
      }
      case 'cancel': {
        // Any id handed out so far (live, fired, cancelled), or one never handed out.
        const id = nextId === 1 ? 1 : (o.pick % (nextId + 1)) + 1;
        expect(heap.cancel(id)).toBe(model.cancel(id));
        break;
      }
      case 'pop': {
        const expected = model.pop(o.now);
        const got = heap.popDue(o.now);
        expect(got?.id).toBe(expected);
        if (got !== undefined) expect(got.value).toBe(`v${got.id}`);
        break;
      }
      case 'peek':
        expect(heap.peekDue()).toBe(model.earliest()?.due);
        break;
      case 'clear':
        heap.clear();
        model.live = [];
        break;
    }
    expect(heap.size).toBe(model.live.length);
  }
  // Everything left comes out in (due, scheduling) order.
  const rest: number[] = [];
  for (let t = heap.popDue(Infinity); t !== undefined; t = heap.popDue(Infinity)) rest.push(t.id);
  const expected: number[] = [];
  for (let id = model.pop(Infinity); id !== undefined; id = model.pop(Infinity)) expected.push(id);
  expect(rest).toEqual(expected);
  expect(heap.size).toBe(0);
  expect(heap.peekDue()).toBeUndefined();
}

describe('TimerHeap (property tests against a model)', () => {
  it('matches the model on random operation sequences', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => run(ops)),
      { seed: 20240611, numRuns: 300 },
    );
  });

  it('matches the model on long sequences that trigger compaction', () => {
    // Mostly schedules and cancels, so that cancelled entries outnumber live ones (> 64 entries).
    const heavy = fc.array(
      fc.oneof(
        { weight: 5, arbitrary: fc.integer({ min: 0, max: 20 }).map((due) => ({ kind: 'schedule' as const, due })) },
        { weight: 4, arbitrary: fc.nat(5000).map((pick) => ({ kind: 'cancel' as const, pick })) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 20 }).map((now) => ({ kind: 'pop' as const, now })) },
      ),
      { minLength: 300, maxLength: 1500 },
    );
    fc.assert(
      fc.property(heavy, (ops) => run(ops)),
      { seed: 7, numRuns: 60 },
    );
  });

  it('compacts when most entries are cancelled and keeps the live ones in order', () => {
    const heap = new TimerHeap<number>();
    for (let id = 0; id < 1000; id++) heap.schedule(id, 1000 - id, id);
    for (let id = 0; id < 1000; id++) if (id % 10 !== 0) heap.cancel(id);
    expect(heap.size).toBe(100);
    const order: number[] = [];
    for (let t = heap.popDue(Infinity); t !== undefined; t = heap.popDue(Infinity)) order.push(t.id);
    expect(order).toEqual([...Array(100).keys()].map((i) => 990 - i * 10));
  });
});
