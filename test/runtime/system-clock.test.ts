/**
 * The system clock the machines' delays run on. Node fires a timer longer than 2^31−1 ms
 * after 1 ms; a startupTimeout of Infinity ("no timeout") or a shutdownTimeout of 30 days
 * must not turn into a kill after 1 ms.
 */
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { systemClock } from '../../src/runtime/clock.js';

const DAY = 24 * 3600 * 1000;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

test('a delay beyond Node\'s timer range fires when it is due, not after 1 ms', () => {
  const fired = vi.fn();
  systemClock.setTimeout(fired, 30 * DAY);
  vi.advanceTimersByTime(1000);
  expect(fired).not.toHaveBeenCalled();
  vi.advanceTimersByTime(30 * DAY - 1001);
  expect(fired).not.toHaveBeenCalled();
  vi.advanceTimersByTime(1);
  expect(fired).toHaveBeenCalledTimes(1);
});

test('Infinity never fires, and a long delay can be cleared', () => {
  const never = vi.fn();
  const cleared = vi.fn();
  systemClock.setTimeout(never, Infinity);
  const handle = systemClock.setTimeout(cleared, 40 * DAY);
  vi.advanceTimersByTime(25 * DAY);
  systemClock.clearTimeout(handle);
  vi.advanceTimersByTime(400 * DAY);
  expect(never).not.toHaveBeenCalled();
  expect(cleared).not.toHaveBeenCalled();
});

test('an ordinary delay is a plain timer', () => {
  const fired = vi.fn();
  const handle = systemClock.setTimeout(fired, 5000);
  vi.advanceTimersByTime(4999);
  expect(fired).not.toHaveBeenCalled();
  vi.advanceTimersByTime(1);
  expect(fired).toHaveBeenCalledTimes(1);
  systemClock.clearTimeout(handle);
});
