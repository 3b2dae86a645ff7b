// The event queue on its own, without any network: the ordering of guarantee 4
// (docs/design/guarantees.md), timers, cancel, standalone receive, many pending timers, argument
// checks.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventQueue, InvalidArgumentError, type TimerId } from '@message-io/core';

const queues: EventQueue<unknown>[] = [];

/** A queue closed after the test, so that no OS timer outlives it. */
function makeQueue<E>(): EventQueue<E> {
  const queue = new EventQueue<E>();
  queues.push(queue as EventQueue<unknown>);
  return queue;
}

/** Takes every event ready now, in delivery order. */
function drain<E>(queue: EventQueue<E>, max = 1_000_000): E[] {
  const out: E[] = [];
  for (let event = queue.tryReceive(); event !== undefined && out.length < max; event = queue.tryReceive()) out.push(event);
  return out;
}

/** Replaces the queue's clock (performance.now) with one the test moves by hand. */
function manualClock(start = 1_000): { advance(ms: number): void } {
  let time = start;
  vi.spyOn(performance, 'now').mockImplementation(() => time);
  return { advance: (ms) => void (time += ms) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  vi.restoreAllMocks();
  for (const queue of queues.splice(0)) queue.close();
});

describe('EventQueue ordering (guarantee 4)', () => {
  it('delivers standard events in the order they were sent', () => {
    const queue = makeQueue<number>();
    for (let i = 0; i < 100; i++) queue.send(i);
    expect(drain(queue)).toEqual([...Array(100).keys()]);
    expect(queue.tryReceive()).toBeUndefined();
  });

  it('delivers priority events first, in the order they were sent', () => {
    const queue = makeQueue<string>();
    queue.send('s1');
    queue.sendWithPriority('p1');
    queue.send('s2');
    queue.sendWithPriority('p2');
    queue.sendWithPriority('p3');
    expect(drain(queue)).toEqual(['p1', 'p2', 'p3', 's1', 's2']);
  });

  it('delivers due timers after priority events and before standard events', () => {
    const clock = manualClock();
    const queue = makeQueue<string>();
    queue.send('standard');
    queue.sendWithTimer('timer', 10);
    queue.sendWithPriority('priority');
    expect(drain(queue)).toEqual(['priority', 'standard']); // the timer is not due yet
    queue.send('standard-2');
    queue.sendWithPriority('priority-2');
    clock.advance(10);
    expect(drain(queue)).toEqual(['priority-2', 'timer', 'standard-2']);
  });

  it('delivers due timers by due time, not by scheduling order', () => {
    const clock = manualClock();
    const queue = makeQueue<string>();
    queue.sendWithTimer('30', 30);
    queue.sendWithTimer('10', 10);
    queue.sendWithTimer('20', 20);
    queue.sendWithTimer('0', 0);
    expect(drain(queue)).toEqual(['0']);
    clock.advance(15);
    expect(drain(queue)).toEqual(['10']);
    clock.advance(100);
    expect(drain(queue)).toEqual(['20', '30']);
  });

  it('fires two timers due at the same instant, in scheduling order', () => {
    const clock = manualClock();
    const queue = makeQueue<string>();
    queue.sendWithTimer('first', 5);
    queue.sendWithTimer('second', 5);
    queue.sendWithTimer('later', 6);
    clock.advance(5);
    expect(drain(queue)).toEqual(['first', 'second']);
    clock.advance(1);
    expect(drain(queue)).toEqual(['later']);
  });

  it('fires timers due at the same instant with real time too', async () => {
    const queue = makeQueue<string>();
    vi.spyOn(performance, 'now').mockReturnValue(performance.now());
    queue.sendWithTimer('a', 20);
    queue.sendWithTimer('b', 20);
    vi.restoreAllMocks();
    const got = [await queue.receive(2_000), await queue.receive(2_000)];
    expect(got).toEqual(['a', 'b']);
  });

  it('lets a priority event sent while standard ones are queued jump ahead', () => {
    const queue = makeQueue<string>();
    for (let i = 0; i < 5; i++) queue.send(`s${i}`);
    expect(queue.tryReceive()).toBe('s0');
    queue.sendWithPriority('urgent');
    expect(drain(queue)).toEqual(['urgent', 's1', 's2', 's3', 's4']);
  });
});

describe('EventQueue.cancelTimer', () => {
  it('never fires a cancelled timer', async () => {
    const queue = makeQueue<string>();
    const id = queue.sendWithTimer('cancelled', 10);
    queue.sendWithTimer('kept', 30);
    expect(queue.cancelTimer(id)).toBe(true);
    expect(await queue.receive(2_000)).toBe('kept');
    await sleep(20);
    expect(queue.tryReceive()).toBeUndefined();
    expect(queue.size).toBe(0);
  });

  it('returns false the second time, after firing, and for an unknown id', () => {
    const clock = manualClock();
    const queue = makeQueue<string>();
    const a = queue.sendWithTimer('a', 5);
    const b = queue.sendWithTimer('b', 5);
    expect(queue.cancelTimer(a)).toBe(true);
    expect(queue.cancelTimer(a)).toBe(false);
    clock.advance(5);
    expect(queue.tryReceive()).toBe('b');
    expect(queue.cancelTimer(b)).toBe(false);
    expect(queue.cancelTimer(123_456 as TimerId)).toBe(false);
  });

  it('gives every timer its own id', () => {
    const queue = makeQueue<number>();
    const ids = new Set(Array.from({ length: 1000 }, (_, i) => queue.sendWithTimer(i, 60_000)));
    expect(ids.size).toBe(1000);
  });
});

describe('EventQueue standalone use', () => {
  it('tryReceive answers undefined when nothing is ready', () => {
    const queue = makeQueue<string>();
    expect(queue.tryReceive()).toBeUndefined();
    queue.sendWithTimer('later', 60_000);
    expect(queue.tryReceive()).toBeUndefined();
    expect(queue.size).toBe(1);
  });

  it('receive resolves at once with a ready event', async () => {
    const queue = makeQueue<string>();
    queue.send('x');
    await expect(queue.receive()).resolves.toBe('x');
  });

  it('receive waits for an event sent later', async () => {
    const queue = makeQueue<string>();
    const pending = queue.receive(5_000);
    setTimeout(() => queue.send('late'), 10);
    await expect(pending).resolves.toBe('late');
  });

  it('receive waits for a timer to become due', async () => {
    const queue = makeQueue<string>();
    queue.sendWithTimer('tick', 15);
    await expect(queue.receive(5_000)).resolves.toBe('tick');
  });

  it('receive resolves with undefined after its timeout', async () => {
    const queue = makeQueue<string>();
    await expect(queue.receive(10)).resolves.toBeUndefined();
    queue.send('after');
    expect(queue.tryReceive()).toBe('after');
  });

  it('serves waiting receivers in call order, one event each', async () => {
    const queue = makeQueue<string>();
    const first = queue.receive(5_000);
    const second = queue.receive(5_000);
    const third = queue.receive(5_000);
    queue.send('a');
    queue.send('b');
    expect(await Promise.all([first, second])).toEqual(['a', 'b']);
    queue.sendWithPriority('c');
    expect(await third).toBe('c');
  });

  it('serves two waiting receivers from two timers due at the same instant, losing neither', async () => {
    const queue = makeQueue<string>();
    vi.spyOn(performance, 'now').mockReturnValue(performance.now());
    queue.sendWithTimer('t1', 10);
    queue.sendWithTimer('t2', 10);
    queue.sendWithTimer('t3', 10);
    vi.restoreAllMocks();
    const got = await Promise.all([queue.receive(5_000), queue.receive(5_000)]);
    expect(got).toEqual(['t1', 't2']);
    expect(queue.tryReceive()).toBe('t3');
  });

  it('a receive that timed out leaves nothing behind (bounded memory when polling a quiet queue)', async () => {
    const queue = makeQueue<string>();
    for (let i = 0; i < 50; i++) expect(await queue.receive(1)).toBeUndefined();
    // White-box: the pending-receive set is private; a timed-out call must not stay in it.
    expect((queue as unknown as { waiters: { size: number } }).waiters.size).toBe(0);
    const next = queue.receive(5_000);
    queue.send('x');
    expect(await next).toBe('x');
    expect((queue as unknown as { waiters: { size: number } }).waiters.size).toBe(0);
  });

  it('close drops queued events and timers, resolves waiting receivers and ignores later sends', async () => {
    const queue = makeQueue<string>();
    queue.send('dropped');
    queue.sendWithPriority('dropped too');
    queue.sendWithTimer('timer dropped', 5);
    expect(queue.size).toBe(3);
    queue.close();
    expect(queue.closed).toBe(true);
    expect(queue.size).toBe(0);
    expect(queue.tryReceive()).toBeUndefined();

    const other = makeQueue<string>();
    const waiting = other.receive();
    other.close();
    await expect(waiting).resolves.toBeUndefined();
    other.send('ignored');
    other.sendWithPriority('ignored');
    other.sendWithTimer('ignored', 0);
    expect(other.tryReceive()).toBeUndefined();
    await expect(other.receive(1_000)).resolves.toBeUndefined();
    await sleep(15);
    expect(queue.tryReceive()).toBeUndefined();
  });

  it('calls the wake listener when an event may be ready, and at once when one already is', async () => {
    const queue = makeQueue<string>();
    queue.send('queued');
    const wake = vi.fn();
    queue.onWake(wake);
    expect(wake).toHaveBeenCalledTimes(1);
    queue.sendWithTimer('t', 5);
    for (let i = 0; i < 100 && wake.mock.calls.length < 2; i++) await sleep(5);
    expect(wake.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(drain(queue)).toEqual(['t', 'queued']);
  });
});

describe('EventQueue with many pending timers', () => {
  it('fires the 50,000 timers left of 100,000 after cancelling 50,000, all in due order', () => {
    const clock = manualClock();
    const queue = makeQueue<number>();
    const total = 100_000;
    const delayOf = (i: number): number => (i * 7919) % 1000; // a permutation of delays with many ties
    const ids: TimerId[] = [];
    for (let i = 0; i < total; i++) ids.push(queue.sendWithTimer(i, delayOf(i)));
    let cancelled = 0;
    for (let i = 0; i < total; i += 2) if (queue.cancelTimer(ids[i]!)) cancelled++;
    expect(cancelled).toBe(total / 2);
    expect(queue.size).toBe(total / 2);

    clock.advance(500);
    const early = drain(queue);
    clock.advance(1000);
    const fired = [...early, ...drain(queue)];

    const expected = [...Array(total).keys()].filter((i) => i % 2 === 1).sort((a, b) => delayOf(a) - delayOf(b) || a - b);
    expect(early.every((i) => delayOf(i) <= 500)).toBe(true);
    expect(fired).toEqual(expected);
    expect(queue.size).toBe(0);
  });

  it('fires many real timers in due order', async () => {
    const queue = makeQueue<number>();
    vi.spyOn(performance, 'now').mockReturnValue(performance.now());
    for (let i = 0; i < 2_000; i++) queue.sendWithTimer(i, (i * 37) % 40);
    vi.restoreAllMocks();
    const got: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const event = await queue.receive(5_000);
      if (event === undefined) break;
      got.push(event);
    }
    const expected = [...Array(2_000).keys()].sort((a, b) => ((a * 37) % 40) - ((b * 37) % 40) || a - b);
    expect(got).toEqual(expected);
  });
});

describe('EventQueue argument checks', () => {
  it.each([-1, -0.5, NaN, Infinity, -Infinity, '5', undefined, null, {}])('sendWithTimer throws InvalidArgumentError for delay %s', (delay) => {
    const queue = makeQueue<string>();
    let error: unknown;
    try {
      queue.sendWithTimer('x', delay as number);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
    expect(queue.size).toBe(0);
  });

  it('accepts a delay of 0 and fractional delays', () => {
    const clock = manualClock();
    const queue = makeQueue<string>();
    queue.sendWithTimer('zero', 0);
    queue.sendWithTimer('half', 0.5);
    expect(drain(queue)).toEqual(['zero']);
    clock.advance(0.5);
    expect(drain(queue)).toEqual(['half']);
  });
});

describe('receive() argument', () => {
  it('throws InvalidArgumentError for a timeout that is not a finite number >= 0', () => {
    const queue = new EventQueue<number>();
    for (const bad of [-1, NaN, Infinity, '5' as unknown as number]) {
      expect(() => queue.receive(bad), String(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
    queue.close();
  });
});
