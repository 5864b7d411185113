/**
 * A control whose actor fails (an effect of a custom port throws, or an inspector does):
 * the failure is reported once, every pending and later call rejects with
 * CC_ERR_CONTROL_FAILED, and no worker is left running unsupervised.
 */
import { expect, test } from 'vitest';
import { createControl } from '../../src/runtime/create-control.js';
import { createSimulatedCluster } from '../../src/runtime/simulated-cluster.js';

/** The simulated cluster, whose `fork` throws from its `failAt`-th call on. */
function failingPort(failAt: number) {
  const sim = createSimulatedCluster();
  const fork = sim.fork.bind(sim);
  let forks = 0;
  sim.fork = (request) => {
    if (++forks >= failAt) throw new Error('port fork failed');
    fork(request);
  };
  return sim;
}

test('a port that throws fails the control: reported once, calls reject with a code, workers killed', async () => {
  const sim = failingPort(2);
  const control = createControl({ port: sim, clock: sim.clock, size: 2, signals: false });
  const errors: Error[] = [];
  control.on('error', ({ error }) => errors.push(error));

  const started = control.start();
  sim.clock.advance(100);
  await expect(started).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_FAILED', cause: expect.objectContaining({ message: 'port fork failed' }) });
  expect(errors.map((e) => e.message)).toEqual(['port fork failed']);
  // The first worker was forked before the failure; nobody supervises it any more.
  expect(sim.alive()).toEqual([]);

  for (const call of [() => control.start(), () => control.stop(), () => control.setSize(1), () => control.restart(), () => control.shutdown()]) {
    await expect(call()).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_FAILED' });
  }
  await expect(control.status()).resolves.toMatchObject({ master: { state: 'running' } });
  control.close();
  expect(errors).toHaveLength(1);
});

test('an inspector that throws fails the control the same way', async () => {
  const sim = createSimulatedCluster();
  let seen = 0;
  const inspect = () => {
    if (++seen === 5) throw new Error('inspector broke');
  };
  const control = createControl({ port: sim, clock: sim.clock, size: 1, signals: false, inspect });
  const errors: string[] = [];
  control.on('error', ({ error }) => errors.push(error.message));
  const started = control.start();
  sim.clock.advance(100);
  await expect(started).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_FAILED' });
  expect(errors).toEqual(['inspector broke']);
  expect(sim.alive()).toEqual([]);
});

test('a port that throws again while the failed control kills its workers does not skip the rest', async () => {
  const sim = failingPort(2);
  const killAll = sim.killAll.bind(sim);
  sim.killAll = () => {
    killAll();
    throw new Error('killAll failed too');
  };
  let closed = false;
  const close = sim.close.bind(sim);
  sim.close = () => {
    closed = true;
    close();
  };
  const control = createControl({ port: sim, clock: sim.clock, size: 2, signals: false });
  const errors: string[] = [];
  control.on('error', ({ error }) => errors.push(error.message));
  const started = control.start();
  sim.clock.advance(100);
  await expect(started).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_FAILED' });
  expect(errors).toEqual(['port fork failed', 'killAll failed too']);
  expect(closed).toBe(true);
  expect(sim.alive()).toEqual([]);
});
