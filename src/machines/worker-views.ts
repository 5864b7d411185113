/**
 * The control's workers as the reconciler sees them: one plain view per live worker, read
 * from its actor's snapshot. The control's guards and actions ask for these several times per
 * event (every eventless guard runs after every microstep), so the views are built once per
 * change: snapshots are immutable, and so is the `workers` record of a control context (an
 * `assign` replaces it), so both serve as cache keys.
 */
import type { WorkerRef } from './control.machine.js';
import type { WorkerView, WorkerViewStatus } from './reconcile.js';
import { isRequested } from './worker.machine.js';

type WorkerSnapshot = ReturnType<WorkerRef['getSnapshot']>;
type Workers = Readonly<Record<number, WorkerRef>>;

/** A worker's status from its snapshot: the state value itself, no `matches` parsing. */
function statusOfSnapshot(snapshot: WorkerSnapshot): WorkerViewStatus | 'exited' {
  const value = snapshot.value;
  if (snapshot.status === 'done' || value === 'exited') return 'exited';
  if (value === 'starting') return 'starting';
  if (typeof value === 'object' && 'online' in value) return value.online === 'ready' ? 'ready' : 'starting';
  // On its way out without the control asking (it disconnected itself, or missed its startup
  // timeout): it still counts until its exit is classified, so a crash loop backs off.
  return isRequested(snapshot.context.stopReason) ? 'stopping' : 'failing';
}

/** A worker's status as the reconciler sees it, read from its actor's state. */
export const statusOf = (ref: WorkerRef): WorkerViewStatus | 'exited' => statusOfSnapshot(ref.getSnapshot());

interface Entry {
  /** In id order: the keys are integers, which JavaScript enumerates in ascending order. */
  readonly refs: readonly WorkerRef[];
  /** The lowest generation of any worker in the record (a worker's generation never changes). */
  readonly minGeneration: number;
  /** The snapshot each view below was read from, by index in `refs`. */
  readonly snapshots: Array<WorkerSnapshot | undefined>;
  readonly byRef: Array<WorkerView | null>;
  /** The live views; null when a snapshot changed since they were built. */
  views: readonly WorkerView[] | null;
  /** `activeTally` of `views` for one generation; null with them. */
  tally: Tally | null;
}

const entries = new WeakMap<Workers, Entry>();

function entryOf(workers: Workers): Entry {
  let entry = entries.get(workers);
  if (entry === undefined) {
    const refs = Object.values(workers);
    let minGeneration = Infinity;
    for (const ref of refs) minGeneration = Math.min(minGeneration, ref.getSnapshot().context.generation);
    entry = { refs, minGeneration, snapshots: new Array(refs.length), byRef: new Array(refs.length).fill(null), views: null, tally: null };
    entries.set(workers, entry);
  }
  return entry;
}

/** The entry's views, rebuilt where a worker's snapshot changed since they were read. */
function viewsIn(entry: Entry): readonly WorkerView[] {
  const { refs, snapshots, byRef } = entry;
  for (let i = 0; i < refs.length; i++) {
    const snapshot = refs[i]!.getSnapshot();
    if (snapshot === snapshots[i]) continue;
    snapshots[i] = snapshot;
    const status = statusOfSnapshot(snapshot);
    const view = byRef[i] ?? null;
    if (status === 'exited') byRef[i] = null;
    else if (view === null || view.status !== status) {
      const { id, slot, generation } = snapshot.context;
      byRef[i] = Object.freeze({ id, slot, generation, status });
    } else continue;
    entry.views = null;
  }
  if (entry.views === null) {
    entry.views = byRef.filter((view) => view !== null);
    entry.tally = null;
  }
  return entry.views;
}

/**
 * The live workers, as plain frozen views, sorted by id. Shared: the same array comes back
 * until a worker's snapshot or the record changes, so callers must not mutate it.
 */
export const liveViews = (workers: Workers): readonly WorkerView[] => viewsIn(entryOf(workers));

/** The live workers, as plain views, sorted by id (a copy, the caller's to keep). */
export const viewsOf = (workers: Workers): WorkerView[] => [...liveViews(workers)];

/** Whether any worker in the record, live or not, is older than `generation`. */
export const hasOlderThan = (workers: Workers, generation: number): boolean => entryOf(workers).minGeneration < generation;

export const workerCount = (workers: Workers): number => entryOf(workers).refs.length;

/**
 * The live workers not shutting down at the control's request: how many, how many of them
 * ready, and whether any is older than `generation`.
 */
export interface Tally {
  readonly generation: number;
  readonly active: number;
  readonly ready: number;
  readonly old: boolean;
}

export function activeTally(workers: Workers, generation: number): Tally {
  const entry = entryOf(workers);
  const views = viewsIn(entry);
  if (entry.tally !== null && entry.tally.generation === generation) return entry.tally;
  let active = 0;
  let ready = 0;
  let old = false;
  for (const w of views) {
    if (w.status === 'stopping') continue;
    active++;
    if (w.status === 'ready') ready++;
    if (w.generation < generation) old = true;
  }
  return (entry.tally = { generation, active, ready, old });
}
