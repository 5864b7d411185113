/**
 * Regressions: bugs the model-based tests found in the machines (and one in the simulated
 * cluster), each kept as its smallest test now that it is fixed.
 */
import { expect, test } from 'vitest';
import { createControl } from '../../src/runtime/create-control.js';
import { createSimulatedCluster } from '../../src/runtime/simulated-cluster.js';
import { simulate } from '../helpers/simulation.js';

test('an adopted worker that exits while the control is idle is forgotten, so a later stop() completes', async () => {
  // Found by path "control lifecycle": forkExternal → delay.startupTimeout → obeySigterm → start → stop().
  const s = simulate({ size: 1, startupTimeout: 100 });
  s.sim.forkExternal({ onlineAfter: 1e9 });
  // Idle: the adopted worker never comes online, misses its startup timeout, is SIGTERMed, exits.
  s.advance(101);
  expect(s.sim.alive()).toEqual([]);
  expect(s.of('exit').map((e) => e.worker.id)).toEqual([1]);
  expect(Object.keys(s.snapshot().context.workers)).toEqual([]);
  const stopped = s.control.stop();
  s.advance(10);
  await stopped;
});

test('a stop during a rollout with no size set does not leave the rollout size behind', async () => {
  const s = simulate({ restartProbation: 100 });
  s.sim.forkExternal();
  s.sim.forkExternal();
  s.start(100);
  void s.control.restart().catch(() => {});
  // The canary (worker 3) is forked; stop before the rollout ends.
  const stopped = s.control.stop();
  s.advance(100);
  await stopped;
  void s.control.start().catch(() => {});
  s.advance(100);
  // No size and nothing running: nothing to fork. The runtime forks 2 (the old rollout size).
  expect(s.forks()).toHaveLength(1);
});

test('add(n) with no size set counts the live workers, not the ones shutting down', () => {
  const s = simulate({});
  for (let i = 0; i < 3; i++) s.sim.forkExternal({ drainTime: 1000 });
  s.start(100);
  void s.control.shutdown(1).catch(() => {});
  void s.control.add(1).catch(() => {});
  // 2 live + 1 = 3; the runtime counts the draining worker too and sets 4.
  expect(s.snapshot().context.size).toBe(3);
});

test('simulated cluster: a process that crashes while online stays dead (the disconnect the worker sends back does not revive it)', () => {
  // Found by the random walks: setSize(1), advance 10 ms (online), crash.
  const sim = createSimulatedCluster({ scriptFor: () => ({ ignoreDisconnect: true }) });
  const control = createControl({ size: 1, port: sim, clock: sim.clock, signals: false });
  // close() below rejects it (CC_ERR_CONTROL_CLOSED) if it is still waiting.
  void control.start().catch(() => {});
  sim.clock.advance(10);
  // exit() reports `cluster.disconnect` before it marks the process exited; the worker answers
  // with port.disconnect(), which arms a drain timer after exit() cleared the timers.
  sim.crash(1, 1, null);
  sim.clock.advance(100);
  control.close();
  expect(sim.alive()).not.toContain(1000);
});

test('a rollout goes on when a new-generation worker other than the canary exits during probation', async () => {
  // Found by the random walks (an adopted worker exiting during probation).
  const s = simulate({ size: 2, restartProbation: 1000 });
  s.start(3000);
  const restarted = s.control.restart();
  s.advance(20);
  // The canary (#3) is ready: probation. The app forks a worker (adopted into generation 2), it crashes.
  s.sim.forkExternal({ readyAfter: null });
  s.advance(15);
  s.sim.crash(4);
  // probation --workerExit [isNewGenerationExit]--> canary, with the canary still ready: canary
  // waits for a workerReady that never comes. Expected: the rollout finishes.
  s.advance(10_000);
  expect(s.snapshot().matches({ running: { rollout: 'idle' } })).toBe(true);
  await restarted;
});

test('setSize(0) during a restart stops every worker and ends the restart', async () => {
  // Found by the deep random walks (restartConcurrency 2: setSize(1), restart, remove(1)).
  const s = simulate({ size: 1, restartConcurrency: 2 });
  s.start(3000);
  const restarted = s.control.restart();
  void s.control.setSize(0).catch(() => {});
  // reconcile(), rollout branch: wanted = min(0, 1) = 0, so no canary; the old worker stays
  // because room (0 + 2 - 1) >= needed (0). Nothing ever moves: the restart never ends.
  s.advance(10_000);
  expect(s.workers()).toEqual([]);
  await restarted;
});

test('a shrink during a rollout keeps the surge bound by stopping a booting replacement', async () => {
  // Found by the deep random walks (restartConcurrency 1: add 2, add 1, restart, remove 1).
  const s = simulate({ size: 2, restartConcurrency: 1, restartProbation: 0 });
  s.start(100);
  void s.control.setSize(3).catch(() => {});
  // Worker 3 is still booting when the restart begins: it goes at once, which leaves room for
  // two replacements (size 3 + 1 surge).
  const restarted = s.control.restart();
  expect(s.forks()).toHaveLength(5);
  void s.control.setSize(2).catch(() => {});
  // Workers 1 and 2 stay ready (the ready count may not drop below the size); of the two
  // booting replacements, the newest goes, so 3 stay live for size 2 + restartConcurrency 1.
  expect(s.states()).toMatchObject({ 1: 'ready', 2: 'ready', 4: 'starting', 5: 'stopping' });
  s.advance(1000);
  await restarted;
  expect(s.workers().map((w) => [w.generation, w.status])).toEqual([
    [2, 'ready'],
    [2, 'ready'],
  ]);
});
