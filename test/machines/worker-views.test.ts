/**
 * The control's views of its workers (worker-views.ts): read from the state value and built
 * once per change, they must equal what `matches` says at every instant, and a shared array
 * must never be handed out where a caller may keep it.
 */
import { expect, test } from 'vitest';
import type { WorkerRef } from '../../src/machines/control.machine.js';
import type { WorkerView } from '../../src/machines/reconcile.js';
import { activeTally, hasOlderThan, liveViews, statusOf, viewsOf } from '../../src/machines/worker-views.js';
import { simulate } from '../helpers/simulation.js';

/** The status by `matches`, as the control read it before the views were cached. */
function statusByMatches(ref: WorkerRef): ReturnType<typeof statusOf> {
  const snapshot = ref.getSnapshot();
  if (snapshot.status === 'done' || snapshot.matches('exited')) return 'exited';
  if (snapshot.matches({ online: 'ready' })) return 'ready';
  if (snapshot.matches('starting') || snapshot.matches({ online: 'booting' })) return 'starting';
  const reason = snapshot.context.stopReason;
  return reason === 'shutdown' || reason === 'terminate' ? 'stopping' : 'failing';
}

function expectedViews(workers: Record<number, WorkerRef>): WorkerView[] {
  return Object.values(workers)
    .map((ref) => ({ ref, status: statusByMatches(ref) }))
    .filter((w) => w.status !== 'exited')
    .map(({ ref, status }) => {
      const { id, slot, generation } = ref.getSnapshot().context;
      return { id, slot, generation, status: status as WorkerView['status'] };
    })
    .sort((a, b) => a.id - b.id);
}

test('the views equal what matches says at every instant of restarts, failures, a shutdown and a stop', () => {
  const s = simulate({ size: 3, restartProbation: 50 }, ({ id }) => (id === 4 ? { disconnectAfter: 30 } : id === 5 ? { exitAtStart: true } : id === 2 ? { ignoreDisconnect: true } : {}));
  const seen = new Set<string>();
  const check = () => {
    const { workers, generation } = s.snapshot().context;
    const expected = expectedViews(workers);
    expect(liveViews(workers)).toEqual(expected);
    for (const ref of Object.values(workers)) expect(statusOf(ref)).toBe(statusByMatches(ref));
    const active = expected.filter((w) => w.status !== 'stopping');
    expect(activeTally(workers, generation)).toEqual({
      generation,
      active: active.length,
      ready: active.filter((w) => w.status === 'ready').length,
      old: active.some((w) => w.generation < generation),
    });
    expect(hasOlderThan(workers, generation)).toBe(Object.values(workers).some((ref) => ref.getSnapshot().context.generation < generation));
    for (const w of expected) seen.add(w.status);
  };
  void s.control.start().catch(() => {});
  s.advance(3000, check);
  void s.control.restart().catch(() => {});
  s.advance(8000, check);
  void s.control.shutdown(Number(Object.keys(s.snapshot().context.workers)[0])).catch(() => {});
  s.advance(6000, check);
  void s.control.stop().catch(() => {});
  s.advance(12_000, check);
  expect([...seen].sort()).toEqual(['failing', 'ready', 'starting', 'stopping']);
});

test('the same array comes back until a worker changes; viewsOf hands out a copy', () => {
  const s = simulate({ size: 2 });
  s.start(100);
  const { workers } = s.snapshot().context;
  const views = liveViews(workers);
  expect(liveViews(workers)).toBe(views);
  expect(Object.isFrozen(views[0])).toBe(true);
  const copy = viewsOf(workers);
  expect(copy).not.toBe(views);
  expect(copy).toEqual(views);
  copy.pop();
  expect(liveViews(workers)).toHaveLength(2);

  // A worker's change shows through the same record.
  void s.control.shutdown(1).catch(() => {});
  const after = liveViews(workers);
  expect(after).not.toBe(views);
  expect(after.find((w) => w.id === 1)?.status).toBe('stopping');
});
