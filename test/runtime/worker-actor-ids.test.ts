/**
 * A control that replaces workers for ever must not grow with each one. XState keeps, on each
 * state node of the control, the transition candidates it found for each event type, for as
 * long as the machine lives; a worker actor's done event is typed
 * `xstate.done.actor.<actor id>`. With one actor id per worker, every replacement added an
 * entry per state node (about 1.5 KB retained per replacement on real processes). So actor
 * ids are reused: over 100 rolling restarts of 4 workers, the done events the control receives
 * have at most 2 × 4 types while worker ids keep counting.
 */
import type { InspectionEvent } from 'xstate';
import { expect, test } from 'vitest';
import { createControl } from '../../src/runtime/create-control.js';
import { createSimulatedCluster } from '../../src/runtime/simulated-cluster.js';

test('400 replacements: the done events of worker actors have at most 2 × size types', async () => {
  const sim = createSimulatedCluster();
  const doneTypes = new Set<string>();
  const inspect = (event: InspectionEvent) => {
    // Only the control has child actors: every done event of an actor is one of its workers'.
    if (event.type === '@xstate.event' && event.event.type.startsWith('xstate.done.actor.')) doneTypes.add(event.event.type);
  };
  const control = createControl({ size: 4, restartProbation: 0, restartConcurrency: 4, port: sim, clock: sim.clock, signals: false, inspect });
  const settle = async (promise: Promise<void>) => {
    let settled = false;
    const done = promise.then(() => (settled = true));
    while (!settled) {
      sim.clock.advance(10);
      await Promise.resolve();
    }
    await done;
  };
  await settle(control.start());
  for (let i = 0; i < 100; i++) await settle(control.restart());

  const ids = (await control.status()).workers.map((w) => w.id);
  expect(Math.min(...ids)).toBeGreaterThan(400);
  expect(doneTypes.size).toBeGreaterThanOrEqual(4);
  expect(doneTypes.size).toBeLessThanOrEqual(8);
  control.close();
});
