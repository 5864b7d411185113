/**
 * `transition` events come from XState inspection, which createControl turns on only while
 * someone listens: a listener added late still gets each worker's true `from`, and one
 * removed and added again picks up where the workers are.
 */
import { expect, test } from 'vitest';
import type { TransitionEvent } from '../../src/runtime/create-control.js';
import type { ClusterFact, ClusterPort } from '../../src/runtime/cluster-port.js';
import { createControl } from '../../src/runtime/create-control.js';
import { createSimulatedCluster } from '../../src/runtime/simulated-cluster.js';
import { simulate } from '../helpers/simulation.js';

const line = (t: TransitionEvent) => `#${t.worker.id} ${t.from ?? 'new'} -> ${t.to}`;

test('a listener from the start sees every worker from its first state', () => {
  const s = simulate({ size: 1 });
  const seen: string[] = [];
  s.control.on('transition', (t) => seen.push(line(t)));
  s.start(100);
  expect(seen).toEqual(['#1 new -> starting', '#1 starting -> online.booting', '#1 online.booting -> online.ready']);
});

test('`starting` is announced with the pid: after the fork fact, which follows the step that forked', () => {
  const s = simulate({ size: 2 });
  const seen: string[] = [];
  s.control.on('transition', (t) => seen.push(`#${t.worker.id}[${t.worker.pid}] ${t.to}`));
  s.start(100);
  const pids = Object.values(s.snapshot().context.workers).map((ref) => ref.getSnapshot().context.pid);
  expect(pids.every((pid) => typeof pid === 'number')).toBe(true);
  expect(seen.filter((line) => line.endsWith(' starting'))).toEqual([`#1[${pids[0]}] starting`, `#2[${pids[1]}] starting`]);
});

test('a fork that fails announces `starting` without a pid, then the exit', async () => {
  // A port whose forks all fail as node-cluster.ts reports it: no fork fact, an exit after the step.
  const sim = createSimulatedCluster();
  let report: (fact: ClusterFact) => void = () => {};
  const port: ClusterPort = {
    ...sim,
    fork: ({ id }) => queueMicrotask(() => report({ type: 'cluster.exit', id, code: null, signal: null })),
    subscribe: (listener) => ((report = listener), sim.subscribe(listener)),
  };
  const control = createControl({ size: 1, maxRestarts: 0, port, clock: sim.clock, signals: false });
  const seen: string[] = [];
  control.on('transition', (t) => seen.push(`#${t.worker.id}[${t.worker.pid}] ${t.from ?? 'new'} -> ${t.to}`));
  await expect(control.start()).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_GAVE_UP' });
  expect(seen).toEqual(['#1[null] new -> starting', '#1[null] starting -> exited']);
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
