// heartbeat.ts: ping on every interval, one outstanding ping at a time, dead after the timeout.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat } from '../src/heartbeat.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Heartbeat', () => {
  it('pings every interval while the peer answers, and never declares it dead', () => {
    vi.useFakeTimers();
    let pings = 0;
    const dead = vi.fn();
    const beat = new Heartbeat(100, 50, () => pings++, dead);
    beat.start();
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(100);
      beat.alive();
    }
    expect(pings).toBe(10);
    expect(dead).not.toHaveBeenCalled();
    beat.stop();
    vi.advanceTimersByTime(1000);
    expect(pings).toBe(10);
  });

  it('declares a silent peer dead once, timeout ms after the ping, and stops', () => {
    vi.useFakeTimers();
    let pings = 0;
    const dead = vi.fn();
    const beat = new Heartbeat(100, 250, () => pings++, dead);
    beat.start();
    vi.advanceTimersByTime(100);
    expect(pings).toBe(1);
    vi.advanceTimersByTime(249);
    expect(pings).toBe(1);
    expect(dead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(dead).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(dead).toHaveBeenCalledTimes(1);
    expect(pings).toBe(1);
  });

  it('does not keep the process alive (its timers are unref-ed)', () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const beat = new Heartbeat(
      10_000,
      10_000,
      () => undefined,
      () => undefined,
    );
    beat.start();
    expect(timers()).toBe(before);
    beat.stop();
  });
});
