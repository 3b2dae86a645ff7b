// The node without any network: split, signal delivery, forEach and async iteration, stop.
import { afterEach, describe, expect, it } from 'vitest';
import { ListenerInUseError, NodeStoppedError, split, type NodeEvent, type NodeHandler } from '@message-io/core';
import { until } from '@message-io/adapter-testkit';

const handlers: NodeHandler<unknown>[] = [];

function node<S>(): ReturnType<typeof split<S>> {
  const pair = split<S>();
  handlers.push(pair[0] as NodeHandler<unknown>);
  return pair;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const signalsOf = <S>(events: NodeEvent<S>[]): S[] => events.flatMap((e) => (e.type === 'signal' ? [e.signal] : []));

afterEach(() => {
  for (const handler of handlers.splice(0)) handler.stop();
});

describe('split and signals', () => {
  it('gives a running handler and a listener', () => {
    const [handler, listener] = node<string>();
    expect(handler.isRunning()).toBe(true);
    expect(typeof listener.forEach).toBe('function');
    expect(typeof listener[Symbol.asyncIterator]).toBe('function');
    expect(handler.signals()).toBe(handler.signals());
    expect(handler.network()).toBe(handler.network());
  });

  it('delivers signals to forEach: priority first, standard ones in order, a timer once due', async () => {
    const [handler, listener] = node<string>();
    const got: string[] = [];
    void listener.forEach((event) => {
      if (event.type === 'signal') got.push(event.signal);
    });
    handler.signals().send('a');
    handler.signals().send('b');
    handler.signals().sendWithPriority('p');
    handler.signals().sendWithTimer('t', 5);
    await until(() => got.length === 4);
    // The priority signal comes first and the standard ones keep their order. The timer is due
    // 5 ms after it was sent: on a loaded machine that can be before the first delivery, and a due
    // timer comes before standard signals, so where 't' lands depends on time, not on the rules.
    expect(got[0]).toBe('p');
    expect(got.filter((signal) => signal !== 't')).toEqual(['p', 'a', 'b']);
    expect(got).toContain('t');
  });

  it('keeps signals sent before forEach and delivers them first, in order', async () => {
    const [handler, listener] = node<number>();
    for (let i = 0; i < 5; i++) handler.signals().send(i);
    handler.signals().sendWithPriority(-1);
    await sleep(10);
    const got: number[] = [];
    void listener.forEach((event) => {
      if (event.type === 'signal') got.push(event.signal);
      if (event.type === 'signal' && event.signal === 0) handler.signals().send(100);
    });
    for (let i = 5; i < 8; i++) handler.signals().send(i);
    await until(() => got.length === 10);
    expect(got).toEqual([-1, 0, 1, 2, 3, 4, 5, 6, 7, 100]);
  });

  it('delivers timers through forEach and never a cancelled one', async () => {
    const [handler, listener] = node<string>();
    const got: string[] = [];
    void listener.forEach((event) => {
      if (event.type === 'signal') got.push(event.signal);
    });
    const cancelled = handler.signals().sendWithTimer('cancelled', 5);
    handler.signals().sendWithTimer('kept', 20);
    expect(handler.signals().cancelTimer(cancelled)).toBe(true);
    await until(() => got.length === 1);
    await sleep(20);
    expect(got).toEqual(['kept']);
  });

  it('delivers a long burst of signals completely and in order', async () => {
    const [handler, listener] = node<number>();
    const got: number[] = [];
    void listener.forEach((event) => {
      if (event.type === 'signal') got.push(event.signal);
    });
    const count = 20_000;
    for (let i = 0; i < count; i++) handler.signals().send(i);
    await until(() => got.length === count, { timeout: 10_000, what: `${count} events` });
    expect(got.every((v, i) => v === i)).toBe(true);
  });
});

describe('forEach', () => {
  it('throws ListenerInUseError when called twice', () => {
    const [, listener] = node<string>();
    void listener.forEach(() => undefined);
    let error: unknown;
    try {
      void listener.forEach(() => undefined);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ListenerInUseError);
    expect((error as ListenerInUseError).code).toBe('ERR_LISTENER_IN_USE');
    expect(() => listener[Symbol.asyncIterator]()).toThrow(ListenerInUseError);
  });

  it('never re-enters the callback for a signal sent inside it', async () => {
    const [handler, listener] = node<number>();
    let depth = 0;
    let maxDepth = 0;
    let seen = 0;
    void listener.forEach((event) => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      if (event.type === 'signal') {
        seen++;
        if (event.signal >= 0 && event.signal < 200) {
          handler.signals().send(event.signal + 1);
          handler.signals().sendWithPriority(event.signal + 1000);
          handler.signals().sendWithTimer(-1, 0);
        }
      }
      depth--;
    });
    handler.signals().send(0);
    await until(() => seen >= 200 * 3 + 1);
    expect(maxDepth).toBe(1);
  });

  it('stop() settles the forEach promise and nothing is delivered after it returns', async () => {
    const [handler, listener] = node<number>();
    let stopped = false;
    let afterStop = 0;
    let seen = 0;
    const done = listener.forEach((event) => {
      if (stopped) afterStop++;
      if (event.type === 'signal') seen++;
    });
    for (let i = 0; i < 100; i++) handler.signals().send(i);
    handler.signals().sendWithTimer(-1, 10);
    await until(() => seen > 0);
    for (let i = 0; i < 100; i++) handler.signals().send(i);
    handler.stop();
    stopped = true;
    expect(handler.isRunning()).toBe(false);
    handler.signals().send(999);
    handler.signals().sendWithPriority(999);
    handler.signals().sendWithTimer(999, 0);
    await expect(done).resolves.toBeUndefined();
    await sleep(30);
    expect(afterStop).toBe(0);
    handler.stop(); // again: nothing happens
    expect(handler.isRunning()).toBe(false);
  });

  it('stop() inside the callback ends delivery at once, even with events queued', async () => {
    const [handler, listener] = node<number>();
    const got: number[] = [];
    for (let i = 0; i < 50; i++) handler.signals().send(i);
    const done = listener.forEach((event) => {
      if (event.type !== 'signal') return;
      got.push(event.signal);
      if (event.signal === 3) handler.stop();
    });
    await expect(done).resolves.toBeUndefined();
    await sleep(20);
    expect(got).toEqual([0, 1, 2, 3]);
  });

  it('a callback that throws stops the node and rejects the forEach promise with that error', async () => {
    const [handler, listener] = node<string>();
    const failure = new Error('boom');
    const got: string[] = [];
    const done = listener.forEach((event) => {
      if (event.type !== 'signal') return;
      got.push(event.signal);
      if (event.signal === 'throw') throw failure;
    });
    handler.signals().send('throw');
    handler.signals().send('never');
    await expect(done).rejects.toBe(failure);
    expect(handler.isRunning()).toBe(false);
    await sleep(20);
    expect(got).toEqual(['throw']);
  });

  it('a callback that throws a non-Error value still rejects the forEach promise', async () => {
    const [handler, listener] = node<string>();
    const done = listener.forEach(() => {
      throw undefined; // eslint-disable-line no-throw-literal
    });
    handler.signals().send('x');
    let outcome = 'pending';
    done.then(
      () => (outcome = 'resolved'),
      () => (outcome = 'rejected'),
    );
    await until(() => outcome !== 'pending');
    expect(outcome).toBe('rejected');
    expect(handler.isRunning()).toBe(false);
  });
});

describe('forEach with an async callback', () => {
  it('runs one callback at a time: the next event waits until the returned promise settles, in order', async () => {
    const [handler, listener] = node<number>();
    for (let i = 0; i < 20; i++) handler.signals().send(i);
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    void listener.forEach(async (event) => {
      running++;
      most = Math.max(most, running);
      await sleep(1);
      if (event.type === 'signal') seen.push(event.signal);
      running--;
    });
    for (let i = 20; i < 40; i++) handler.signals().send(i); // while callbacks are pending
    await until(() => seen.length === 40);
    expect(most).toBe(1);
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('a rejected promise stops the node and rejects the forEach promise with that error', async () => {
    const [handler, listener] = node<string>();
    handler.signals().send('boom');
    handler.signals().send('after');
    const seen: string[] = [];
    const failure = new Error('async failure');
    const done = listener.forEach(async (event) => {
      if (event.type === 'signal') seen.push(event.signal);
      await sleep(1);
      throw failure;
    });
    await expect(done).rejects.toBe(failure);
    expect(handler.isRunning()).toBe(false);
    expect(seen).toEqual(['boom']);
  });

  it('stop() while a promise is pending: nothing is delivered after it, and a later rejection is ignored', async () => {
    const [handler, listener] = node<number>();
    for (let i = 0; i < 5; i++) handler.signals().send(i);
    const seen: number[] = [];
    const done = listener.forEach(async (event) => {
      if (event.type === 'signal') seen.push(event.signal);
      handler.stop();
      await sleep(1);
      throw new Error('after stop');
    });
    await expect(done).resolves.toBeUndefined();
    await sleep(20);
    expect(seen).toEqual([0]);
  });

  it('accepts callbacks returning any thenable, and plain values as no wait', async () => {
    const [handler, listener] = node<number>();
    for (let i = 0; i < 3; i++) handler.signals().send(i);
    const seen: number[] = [];
    // Not a Promise: an object whose `then` settles 5 ms after it is called.
    const thenable: PromiseLike<void> = {
      // biome-ignore lint/suspicious/noThenProperty: the point of the test is an object with a `then`
      then(onFulfilled, onRejected) {
        return new Promise<void>((resolve) => setTimeout(resolve, 5)).then(onFulfilled, onRejected);
      },
    };
    void listener.forEach((event) => {
      if (event.type === 'signal') seen.push(event.signal);
      return event.type === 'signal' && event.signal === 1 ? thenable : undefined;
    });
    await until(() => seen.length === 3);
    expect(seen).toEqual([0, 1, 2]);
  });
});

describe('split options', () => {
  it('refuses an unknown option, naming it and the options split takes', () => {
    expect(() => split({ maxStoredByte: 10 } as never)).toThrow(/unknown option maxStoredByte for split: it takes maxStoredBytes, checkBorrowed/);
    expect(() => split({ checkBorrowed: 'yes' } as never)).toThrow(/checkBorrowed must be a boolean/);
  });
});

describe('async iteration', () => {
  it('yields signals in delivery order and ends when the node stops', async () => {
    const [handler, listener] = node<number>();
    handler.signals().send(1);
    handler.signals().sendWithPriority(0);
    setTimeout(() => handler.signals().send(2), 5);
    setTimeout(() => handler.signals().sendWithTimer(3, 1), 10);
    const got: number[] = [];
    const guard = setTimeout(() => handler.stop(), 5_000);
    for await (const event of listener) {
      if (event.type === 'signal') got.push(event.signal);
      if (got.length === 4) setTimeout(() => handler.stop(), 5);
    }
    clearTimeout(guard);
    expect(got).toEqual([0, 1, 2, 3]);
    expect(handler.isRunning()).toBe(false);
  });

  it('break stops the node', async () => {
    const [handler, listener] = node<number>();
    for (let i = 0; i < 10; i++) handler.signals().send(i);
    const got: number[] = [];
    for await (const event of listener) {
      if (event.type === 'signal') got.push(event.signal);
      if (got.length === 3) break;
    }
    expect(got).toEqual([0, 1, 2]);
    expect(handler.isRunning()).toBe(false);
  });

  it('a waiting next() ends with done when stop() is called', async () => {
    const [handler, listener] = node<number>();
    const iterator = listener[Symbol.asyncIterator]();
    const next = iterator.next();
    setTimeout(() => handler.stop(), 5);
    await expect(next).resolves.toEqual({ done: true, value: undefined });
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined });
    expect(() => listener.forEach(() => undefined)).toThrow(ListenerInUseError);
  });

  it('never delivers a cancelled timer and delivers due ones in due order', async () => {
    const [handler, listener] = node<string>();
    const signals = handler.signals();
    signals.sendWithTimer('late', 30);
    const id = signals.sendWithTimer('cancelled', 10);
    signals.sendWithTimer('early', 15);
    signals.cancelTimer(id);
    const events: NodeEvent<string>[] = [];
    const guard = setTimeout(() => handler.stop(), 5_000);
    for await (const event of listener) {
      events.push(event);
      if (events.length === 2) break;
    }
    clearTimeout(guard);
    expect(signalsOf(events)).toEqual(['early', 'late']);
  });
});

describe('after stop', () => {
  it('connect throws and listen rejects with NodeStoppedError', async () => {
    const [handler] = node<never>();
    handler.stop();
    const fakeTransport = {} as never;
    let error: unknown;
    try {
      handler.network().connect(fakeTransport, '127.0.0.1:1');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NodeStoppedError);
    expect((error as NodeStoppedError).code).toBe('ERR_NODE_STOPPED');
    await expect(handler.network().listen(fakeTransport, '127.0.0.1:0')).rejects.toBeInstanceOf(NodeStoppedError);
    await expect(handler.network().connectAndWait(fakeTransport, '127.0.0.1:1')).rejects.toBeInstanceOf(NodeStoppedError);
  });

  it('forEach on a stopped node settles at once and delivers nothing', async () => {
    const [handler, listener] = node<string>();
    handler.signals().send('dropped');
    handler.stop();
    const got: unknown[] = [];
    await expect(listener.forEach((event) => void got.push(event))).resolves.toBeUndefined();
    await sleep(10);
    expect(got).toEqual([]);
  });

  it('async iteration of a stopped node ends at once', async () => {
    const [handler, listener] = node<string>();
    handler.signals().send('dropped');
    handler.stop();
    const got: unknown[] = [];
    for await (const event of listener) got.push(event);
    expect(got).toEqual([]);
  });
});
