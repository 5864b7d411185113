/**
 * maxMemory on the simulated cluster and clock: the memory watch reads the ready workers'
 * agents every memoryCheckInterval; a worker over the limit is replaced, and shut down once
 * its replacement is ready (at once when no size is kept); without maxMemory, or once the
 * control stopped, nothing is read. (The real processes: node-cluster.test.ts, "maxMemory".)
 */
import { expect, test } from 'vitest';
import { createControl } from '../../src/runtime/create-control.js';
import type { WorkerStats } from '../../src/runtime/cluster-port.js';
import { type SimulatedCluster, createSimulatedCluster } from '../../src/runtime/simulated-cluster.js';
import { settled, simulate } from '../helpers/simulation.js';

const MiB = 1024 ** 2;

/**
 * Moves the clock on by `ms`, 50 ms at a time, letting the watch's readings (promises) come
 * back after each step, as a real process runs them before its next timer.
 */
async function advance(clock: { advance(ms: number): void }, ms: number) {
  for (let t = 0; t < ms; t += 50) {
    clock.advance(Math.min(50, ms - t));
    await settled();
  }
}

test('a ready worker over maxMemory is replaced first, in its slot, and shut down once the replacement is ready', async () => {
  // Worker #2 holds 150 MiB; every other, the replacement included, 30 MiB.
  const s = simulate({ size: 2, maxMemory: 100 * MiB, memoryCheckInterval: 1000 }, ({ id }) => ({
    stats: { connections: 0, memory: (id === 2 ? 150 : 30) * MiB },
  }));
  s.start();
  await advance(s.clock, 850);
  expect(s.of('memoryLimit')).toEqual([]);

  // Never fewer ready workers than the size, from the reading to the end.
  let fewest = Infinity;
  for (let t = 0; t < 200; t += 5) {
    await advance(s.clock, 5);
    fewest = Math.min(fewest, s.ready());
  }
  expect(fewest).toBe(2);
  expect(s.of('memoryLimit')).toEqual([{ type: 'memoryLimit', worker: { id: 2, pid: expect.any(Number), slot: 1, generation: 1 }, memory: 150 * MiB, limit: 100 * MiB, at: 1000 }]);
  const readyAt = s.of('ready').find((e) => e.worker.id === 3)!.at;
  const [shutdown] = s.of('shutdown');
  expect(shutdown!.worker.id).toBe(2);
  expect(shutdown!.at).toBeGreaterThanOrEqual(readyAt);
  expect(s.of('exit')[0]).toMatchObject({ worker: { id: 2 }, exit: { expected: true, code: 0 } });
  expect(s.of('fork').at(-1)!.worker).toMatchObject({ id: 3, slot: 1 });
  expect(s.states()).toEqual({ 1: 'ready', 3: 'ready' });

  // The replacement is under the limit: nothing more goes.
  await advance(s.clock, 5000);
  expect(s.of('memoryLimit')).toHaveLength(1);
  s.control.close();
});

test('at size 1 the worker keeps serving until its replacement is ready; without a size it goes at once', async () => {
  const over = () => ({ stats: { connections: 0, memory: 150 * MiB } });
  const sized = simulate({ size: 1, maxMemory: 100 * MiB, memoryCheckInterval: 1000 }, ({ id }) => (id === 1 ? over() : {}));
  sized.start();
  let fewest = Infinity;
  for (let t = 0; t < 1200; t += 5) {
    await advance(sized.clock, 5);
    fewest = Math.min(fewest, sized.ready());
  }
  expect(fewest).toBe(1);
  expect(sized.states()).toEqual({ 2: 'ready' });
  sized.control.close();

  // Unsized: the control keeps what runs, and a worker over the limit is not replaced.
  const unsized = simulate({ maxMemory: 100 * MiB, memoryCheckInterval: 1000 }, over);
  // Workers the app forked itself, adopted.
  unsized.sim.forkExternal(over());
  unsized.sim.forkExternal(over());
  unsized.start();
  await advance(unsized.clock, 1200);
  expect(unsized.of('memoryLimit').map((e) => e.worker.id).sort()).toEqual([1, 2]);
  expect(unsized.of('shutdown').map((e) => e.worker.id).sort()).toEqual([1, 2]);
  expect(unsized.forks()).toEqual([]);
  expect(unsized.states()).toEqual({});
  unsized.control.close();
});

/** A simulated port that counts the stats() calls. */
function countingPort(): { port: SimulatedCluster; reads: () => number } {
  const sim = createSimulatedCluster();
  let reads = 0;
  const port: SimulatedCluster = Object.assign(Object.create(sim) as SimulatedCluster, {
    stats: (id: number, timeout: number): Promise<WorkerStats | null> => {
      reads++;
      return sim.stats(id, timeout);
    },
  });
  return { port, reads: () => reads };
}

test('without maxMemory no agent is asked; with it, only while the control runs', async () => {
  for (const maxMemory of [undefined, 100 * MiB]) {
    const { port, reads } = countingPort();
    const control = createControl({ size: 2, port, clock: port.clock, signals: false, ...(maxMemory === undefined ? {} : { maxMemory, memoryCheckInterval: 1000 }) });
    void control.start();
    await advance(port.clock, 10_050);
    // Every second, both ready workers.
    expect(reads()).toBe(maxMemory === undefined ? 0 : 20);
    const stopped = control.stop();
    await advance(port.clock, 100);
    await stopped;
    const before = reads();
    await advance(port.clock, 10_000);
    expect(reads()).toBe(before);
    control.close();
  }
});

test('a worker that does not answer in time, or is still booting, is left alone', async () => {
  const s = simulate({ size: 2, maxMemory: 100 * MiB, memoryCheckInterval: 1000 }, ({ id }) =>
    // #1 has no agent (its stats time out); #2 takes 2 s to boot, over the limit.
    id === 1 ? { stats: null } : { readyAfter: 2000, stats: { connections: 0, memory: 150 * MiB } },
  );
  s.start();
  await advance(s.clock, 1950);
  expect(s.of('memoryLimit')).toEqual([]);
  // Ready at 2010 ms; read at the next reading, 3000 ms.
  await advance(s.clock, 1100);
  expect(s.of('memoryLimit').map((e) => [e.worker.id, e.at])).toEqual([[2, 3000]]);
  s.control.close();
});

test('maxMemory and memoryCheckInterval are checked', () => {
  expect(() => createControl({ maxMemory: -1 })).toThrow(/maxMemory.*expected a number of bytes > 0/);
  expect(() => createControl({ maxMemory: '512M' as never })).toThrow(/maxMemory.*got "512M"/);
  expect(() => createControl({ memoryCheckInterval: 10 })).toThrow(/memoryCheckInterval.*at least 100 ms, got 10/);
});
