/**
 * The control's one decision, as a pure function: given the workers as they are and the
 * target (size, generation), which workers to fork and which to shut down so the world
 * moves one step closer. Called after every event that can change the plan; overlapping requests are well defined
 * because only the latest target matters (a Kubernetes controller works the same way).
 */

/**
 * `starting`: forked, not ready yet; `failing`: leaving on its own (not asked to), still
 * counted until its exit is classified; `stopping`: leaving because the control asked.
 */
export type WorkerViewStatus = 'starting' | 'ready' | 'failing' | 'stopping';

export interface WorkerView {
  id: number;
  slot: number;
  generation: number;
  status: WorkerViewStatus;
}

/** Where the rolling restart stands; `canary` covers both waiting for and probing the canary. */
export type RolloutStep = 'idle' | 'canary' | 'rolling';

export interface ReconcileInput {
  workers: readonly WorkerView[];
  /** Target size; `null` = unmanaged (keep what runs). */
  size: number | null;
  generation: number;
  rollout: RolloutStep;
  /** How many forks health allows now (Infinity when healthy). */
  forkBudget: number;
  /** restartConcurrency: surge allowed above the size during a rollout. */
  concurrency: number;
  /**
   * Workers to replace before they go (over maxMemory): like an older generation's in a rollout,
   * each leaves once a replacement is ready, rollout or not.
   */
  retiring?: readonly number[];
}

export interface ReconcilePlan {
  /** Slots to fork, one worker each, of the current generation. */
  fork: number[];
  /** Ids of workers to shut down. */
  shutdown: number[];
}

const isActive = (w: WorkerView) => w.status !== 'stopping';

/** Scale-down order: older generation first, then not yet ready, then newest. */
export function scaleDownOrder(a: WorkerView, b: WorkerView): number {
  if (a.generation !== b.generation) return a.generation - b.generation;
  const aReady = a.status === 'ready' ? 1 : 0;
  const bReady = b.status === 'ready' ? 1 : 0;
  if (aReady !== bReady) return aReady - bReady;
  return b.id - a.id;
}

/** The lowest `count` slots in 0..∞ that no worker in `holders` uses. */
export function freeSlots(holders: readonly WorkerView[], count: number): number[] {
  if (count <= 0) return [];
  const taken = new Set(holders.map((w) => w.slot));
  const slots: number[] = [];
  for (let slot = 0; slots.length < count; slot++) if (!taken.has(slot)) slots.push(slot);
  return slots;
}

export function reconcile(input: ReconcileInput): ReconcilePlan {
  const { workers, size, generation, forkBudget, concurrency, retiring = [] } = input;
  if (size === null) return { fork: [], shutdown: [] };
  const active = workers.filter(isActive);
  const current: WorkerView[] = [];
  const old: WorkerView[] = [];
  // Outside a rollout, an older generation (one whose rollout was abandoned) serves as any other.
  const isOld = (w: WorkerView) => retiring.includes(w.id) || (input.rollout !== 'idle' && w.generation < generation);
  for (const w of active) (isOld(w) ? old : current).push(w);
  // Retiring workers alone are replaced as a rollout past its canary replaces.
  const rollout = input.rollout === 'idle' ? 'rolling' : input.rollout;

  // Size 0 needs no canary: every worker simply goes.
  if (old.length === 0 || size === 0) {
    const missing = size - active.length;
    if (missing > 0) return { fork: freeSlots(active, Math.min(missing, forkBudget)), shutdown: [] };
    if (missing === 0) return { fork: [], shutdown: [] };
    const extra = active.sort(scaleDownOrder).slice(0, -missing);
    return { fork: [], shutdown: extra.map((w) => w.id) };
  }

  // A rollout: surge-first. New workers may exceed the size by `concurrency`; an old one is
  // shut down only while the ready count stays at or above the size without it. While the
  // canary is unproven, old workers go only to make room for it (a surplus left by an
  // earlier rollout), never to move the rollout on.
  const wanted = rollout === 'canary' ? Math.min(size, 1) : size;
  const needed = Math.max(0, Math.min(wanted - current.length, forkBudget));
  let room = size + concurrency - active.length;
  let ready = active.filter((w) => w.status === 'ready').length;
  const shutdown: number[] = [];
  for (const w of old.sort(scaleDownOrder)) {
    const safe = w.status !== 'ready' || ready - 1 >= size;
    if (!safe || (rollout !== 'rolling' && room >= needed)) continue;
    shutdown.push(w.id);
    if (w.status === 'ready') ready--;
    room++;
  }
  const forks = Math.max(0, Math.min(needed, room));
  // New workers beyond the size go (the size dropped), and so do replacements not yet ready
  // while the surge bound is exceeded: a shrink under a rollout cannot take old ready workers
  // (the ready count), so it takes the replacements still booting. Not ready first, newest first.
  current.sort(scaleDownOrder);
  const surplus = Math.max(0, current.length - size);
  const overBound = Math.max(0, -(room + surplus));
  const booting = current.slice(surplus).filter((w) => w.status !== 'ready');
  for (const w of [...current.slice(0, surplus), ...booting.slice(0, overBound)]) shutdown.push(w.id);
  return { fork: freeSlots(current, forks), shutdown };
}
