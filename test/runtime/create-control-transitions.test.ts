/**
 * `transition` events come from XState inspection, which createControl turns on only while
 * someone listens: a listener added late still gets each worker's true `from`, and one
 * removed and added again picks up where the workers are.
 */
import { expect, test } from 'vitest';
import type { TransitionEvent } from '../../src/runtime/create-control.js';
import { simulate } from '../helpers/simulation.js';

const line = (t: TransitionEvent) => `#${t.worker.id} ${t.from ?? 'new'} -> ${t.to}`;

test('a listener from the start sees every worker from its first state', () => {
  const s = simulate({ size: 1 });
  const seen: string[] = [];
  s.control.on('transition', (t) => seen.push(line(t)));
  s.start(100);
  expect(seen).toEqual(['#1 new -> starting', '#1 starting -> online.booting', '#1 online.booting -> online.ready']);
});

test('a late listener, or one that comes back, gets the state each worker is in as `from`', () => {
  const s = simulate({ size: 2 });
  s.start(100);
  const seen: string[] = [];
  const listener = (t: TransitionEvent) => seen.push(line(t));
  s.control.on('transition', listener);
  void s.control.shutdown(1).catch(() => {});
  s.advance(1);
  expect(seen).toEqual(['#1 online.ready -> disconnecting', '#3 new -> starting']);

  s.control.off('transition', listener);
  s.advance(100);
  seen.length = 0;
  s.control.once('transition', listener);
  void s.control.shutdown(2).catch(() => {});
  s.advance(1);
  expect(seen).toEqual(['#2 online.ready -> disconnecting']);
  s.control.on('transition', listener);
  s.advance(100);
  expect(seen.slice(1)).toEqual(['#2 disconnecting -> exited', '#4 starting -> online.booting', '#4 online.booting -> online.ready']);
});

test('off() removes a listener added with once() before it fired, as EventEmitter does', () => {
  const s = simulate({ size: 1 });
  const seen: string[] = [];
  const listener = (t: TransitionEvent) => seen.push(line(t));
  s.control.once('transition', listener);
  s.control.off('transition', listener);
  s.start(100);
  expect(seen).toEqual([]);
  // off() with another function leaves a once() listener in place.
  s.control.once('ready', () => seen.push('ready'));
  s.control.off('ready', () => {});
  void s.control.shutdown(1).catch(() => {});
  s.advance(100);
  expect(seen).toEqual(['ready']);
});
