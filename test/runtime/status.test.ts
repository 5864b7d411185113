/**
 * status() asks every worker's agent for its stats (up to statsTimeout) and only then reads
 * the lifecycle, so what it returns is the control as it is when the answer is given.
 */
import { expect, test } from 'vitest';
import { createControl } from '../../src/runtime/create-control.js';
import { type SimulatedCluster, createSimulatedCluster } from '../../src/runtime/simulated-cluster.js';
import type { WorkerStats } from '../../src/runtime/cluster-port.js';

test('a worker that exits while status() awaits the stats is not listed; its replacement is', async () => {
  const sim = createSimulatedCluster();
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  // The agents answer only once the gate opens.
  const port: SimulatedCluster = Object.assign(Object.create(sim) as SimulatedCluster, {
    stats: async (id: number, timeout: number): Promise<WorkerStats | null> => {
      await gate;
      return sim.stats(id, timeout);
    },
  });
  const control = createControl({ size: 2, port, clock: sim.clock, signals: false });
  void control.start().catch(() => {});
  sim.clock.advance(100);

  const answer = control.status();
  sim.crash(1);
  // A crash this young puts health in danger: the replacement forks after the backoff.
  sim.clock.advance(5000);
  release();
  const { workers } = await answer;

  expect(workers.map((w) => [w.id, w.state])).toEqual([
    [2, 'online.ready'],
    [3, 'online.ready'],
  ]);
  // Worker 2 was asked and answered; worker 3 was forked after the question.
  expect(workers.map((w) => w.memory)).toEqual([30_000_000, null]);
  control.close();
});

test("a worker's restarts are the workers its slot had before it, not those after it", async () => {
  const sim = createSimulatedCluster();
  const control = createControl({ size: 2, port: sim, clock: sim.clock, signals: false, minRestartAge: 1000 });
  const restartsOf = async () => (await control.status()).workers.map((w) => [w.id, w.slot, w.state, w.restarts]);
  const started = control.start();
  sim.clock.advance(100);
  await started;
  sim.clock.advance(2000);
  sim.crash(1);
  sim.clock.advance(100);
  expect(await restartsOf()).toEqual([
    [2, 1, 'online.ready', 0],
    [3, 0, 'online.ready', 1],
  ]);
  // Mid-rollout the old workers keep their own count; their replacements count them.
  const restarted = control.restart();
  sim.clock.advance(1);
  const during = await restartsOf();
  expect(during.filter(([id]) => id === 2 || id === 3)).toEqual([
    [2, 1, expect.any(String), 0],
    [3, 0, expect.any(String), 1],
  ]);
  expect(during.filter(([id]) => (id as number) > 3).map(([, slot, , restarts]) => [slot, restarts]).sort()).toEqual([
    [0, 2],
    [1, 1],
  ]);
  sim.clock.advance(5000);
  await restarted;
  control.close();
});
