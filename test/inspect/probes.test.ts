/**
 * The liveness and readiness rules, as pure functions of a status.
 */
import { describe, expect, it } from 'vitest';
import { livenessOf, readinessOf } from '../../src/inspect/probes.js';
import type { ControlStatus, WorkerState, WorkerStatus } from '../../src/runtime/create-control.js';

const worker = (id: number, state: WorkerState): WorkerStatus => ({
  id, pid: 1000 + id, state, generation: 1, slot: id - 1, startTime: 0, uptime: 0, restarts: 0, connections: null, memory: null,
});
const status = (master: Partial<ControlStatus['master']>, states: WorkerState[]): ControlStatus => ({
  master: { pid: 1, state: 'running', size: 2, generation: 1, health: 'ok', restarting: false, startTime: 0, ...master },
  workers: states.map((s, i) => worker(i + 1, s)),
});

describe('readinessOf', () => {
  it('is ready when running, healthy and at size', () => {
    expect(readinessOf(status({}, ['online.ready', 'online.ready']))).toEqual({ ready: true, state: 'running', health: 'ok', size: 2, readyWorkers: 2 });
  });

  it('stays ready during a surge-first rolling restart', () => {
    expect(readinessOf(status({ restarting: true }, ['online.ready', 'online.ready', 'online.booting'])).ready).toBe(true);
  });

  it('is not ready below size, with no worker ready, or when not running, and says why', () => {
    expect(readinessOf(status({}, ['online.ready', 'starting']))).toMatchObject({ ready: false, reason: '1 of 2 workers ready' });
    expect(readinessOf(status({ size: 0 }, []))).toMatchObject({ ready: false, reason: 'no worker is ready' });
    expect(readinessOf(status({ health: 'danger' }, ['starting', 'starting']))).toMatchObject({ ready: false, reason: 'no worker is ready' });
    expect(readinessOf(status({ state: 'stopping' }, ['disconnecting']))).toMatchObject({ ready: false, reason: 'the control is stopping' });
    expect(readinessOf(status({ state: 'idle', size: 0 }, []))).toMatchObject({ ready: false, reason: 'the control is idle' });
  });

  it('in danger, stays ready while any worker serves (a bad deploy\'s old workers, one slot crash-looping)', () => {
    expect(readinessOf(status({ health: 'danger', restarting: true }, ['online.ready', 'online.ready', 'starting']))).toMatchObject({ ready: true, readyWorkers: 2 });
    expect(readinessOf(status({ health: 'danger' }, ['online.ready', 'starting']))).toMatchObject({ ready: true, health: 'danger', readyWorkers: 1, size: 2 });
  });

  it('without a size, wants every worker that is not on its way out', () => {
    expect(readinessOf(status({ size: null }, ['online.ready', 'disconnecting', 'exiting.terminating']))).toMatchObject({ ready: true, size: 1 });
    expect(readinessOf(status({ size: null }, ['online.ready', 'online.booting']))).toMatchObject({ ready: false, size: 2 });
  });
});

describe('livenessOf', () => {
  it('is alive while the actor runs and the control has not given up', () => {
    expect(livenessOf(status({}, []), true)).toEqual({ alive: true, state: 'running', health: 'ok' });
    expect(livenessOf(status({ state: 'stopped' }, []), true).alive).toBe(true);
    expect(livenessOf(status({ state: 'stopped', health: 'gaveUp' }, []), true).alive).toBe(false);
    expect(livenessOf(status({}, []), false).alive).toBe(false);
  });
});
