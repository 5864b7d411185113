import { describe, expect, test } from 'vitest';
import { type WorkerView, freeSlots, reconcile, scaleDownOrder } from '../../src/machines/reconcile.js';

const w = (id: number, generation = 1, status: WorkerView['status'] = 'ready', slot = id - 1): WorkerView => ({ id, slot, generation, status });
const base = { generation: 1, rollout: 'idle' as const, forkBudget: Infinity, concurrency: 1 };

describe('reconcile', () => {
  test('forks the missing workers into the lowest free slots', () => {
    expect(reconcile({ ...base, workers: [w(1, 1, 'ready', 1)], size: 3 })).toEqual({ fork: [0, 2], shutdown: [] });
  });

  test('a fork budget limits forks (danger)', () => {
    expect(reconcile({ ...base, workers: [], size: 3, forkBudget: 1 })).toEqual({ fork: [0], shutdown: [] });
    expect(reconcile({ ...base, workers: [], size: 3, forkBudget: 0 })).toEqual({ fork: [], shutdown: [] });
  });

  test('stopping workers do not count; failing ones do until they exit', () => {
    expect(reconcile({ ...base, workers: [w(1, 1, 'stopping'), w(2, 1, 'failing')], size: 2 })).toEqual({ fork: [0], shutdown: [] });
  });

  test('no size: nothing to do outside a rollout', () => {
    expect(reconcile({ ...base, workers: [w(1)], size: null })).toEqual({ fork: [], shutdown: [] });
  });

  test('canary: one replacement, no old worker shut down', () => {
    const workers = [w(1), w(2), w(3, 2, 'ready', 0)];
    expect(reconcile({ ...base, generation: 2, rollout: 'canary', workers, size: 2 })).toEqual({ fork: [], shutdown: [] });
    expect(reconcile({ ...base, generation: 2, rollout: 'canary', workers: [w(1), w(2)], size: 2 })).toEqual({ fork: [0], shutdown: [] });
  });

  test('rolling: an old worker goes only while the ready count stays at the size', () => {
    const workers = [w(1), w(2), w(3, 2, 'starting', 0)];
    expect(reconcile({ ...base, generation: 2, rollout: 'rolling', workers, size: 2 })).toEqual({ fork: [], shutdown: [] });
    const ready = [w(1), w(2), w(3, 2, 'ready', 0)];
    expect(reconcile({ ...base, generation: 2, rollout: 'rolling', workers: ready, size: 2 })).toEqual({ fork: [1], shutdown: [2] });
  });

  test('a rollout shrinks surplus new workers', () => {
    const workers = [w(1), w(2, 2), w(3, 2, 'ready', 1), w(4, 2, 'starting', 2)];
    expect(reconcile({ ...base, generation: 2, rollout: 'rolling', workers, size: 2 }).shutdown).toEqual([1, 4]);
  });

  test('a shrink under a rollout keeps the surge bound: booting replacements go, not old ready workers', () => {
    // Size 3 → 2 with two replacements booting: 4 live workers for a bound of 2 + 1.
    const workers = [w(1), w(2), w(3, 2, 'starting', 0), w(4, 2, 'starting', 1)];
    expect(reconcile({ ...base, generation: 2, rollout: 'rolling', workers, size: 2 })).toEqual({ fork: [], shutdown: [4] });
    // Within the bound, nothing goes.
    expect(reconcile({ ...base, generation: 2, rollout: 'rolling', workers: workers.slice(0, 3), size: 2 })).toEqual({ fork: [], shutdown: [] });
  });
});

test('scale-down order: older generation, not ready, newest', () => {
  const views = [w(1, 2), w(2, 1), w(3, 2, 'starting'), w(4, 2)];
  expect([...views].sort(scaleDownOrder).map((v) => v.id)).toEqual([2, 3, 4, 1]);
});

test('freeSlots skips the taken ones', () => {
  expect(freeSlots([w(1, 1, 'ready', 0), w(2, 1, 'ready', 2)], 3)).toEqual([1, 3, 4]);
});
