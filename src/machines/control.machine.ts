/**
 * The control (the cluster primary's supervisor). Pure: it keeps a target (size,
 * generation), spawns one worker actor per process, and after every event that can change
 * its plan (a new target, a command once its workers heard it, a timer, a worker ready, an
 * unexpected exit) moves the world one step toward the target (see reconcile.ts). Effects
 * are the workers' named actions and `adopt`; public events leave through `emit`; time
 * passes only through named delays.
 */
import { type ActorRefFrom, and, assign, emit, enqueueActions, fromCallback, not, raise, sendTo, setup, stateIn } from 'xstate';
import type { SupervisionSettings } from '../options.js';
import { type ReconcilePlan, type RolloutStep, freeSlots, reconcile } from './reconcile.js';
import { activeTally, hasOlderThan, liveViews, statusOf, workerCount } from './worker-views.js';
import { type ListeningAddress, type WorkerExit, type WorkerFact, type WorkerInput, type WorkerNotice, workerMachine } from './worker.machine.js';

export type WorkerRef = ActorRefFrom<typeof workerMachine>;

export interface ControlInput {
  settings: SupervisionSettings;
}

export interface ControlContext {
  readonly settings: SupervisionSettings;
  /** Target size; `null` keeps what runs. */
  size: number | null;
  /** The size a rollout keeps when no size is set: the live count when it began. */
  rolloutSize: number | null;
  generation: number;
  nextId: number;
  workers: Record<number, WorkerRef>;
  /** Forks per slot so far; a worker's restarts are its slot's forks before its own. */
  forksBySlot: Record<number, number>;
  /** In danger, the delay of the next backoff (ms): throttleDelay, doubling after each up to maxThrottleDelay. */
  throttle: number;
  /** In danger, the first id of the workers forked since the backoff ended: the probes. */
  probeFrom: number;
  /** Instants of the unexpected exits inside the sliding `restartWindow`. */
  recentExits: number[];
  /**
   * Crash-loop exits since health was last ok. Backoff spreads a crash loop's exits wider
   * than any window; counted as one episode, a loop that never gets healthy still gives up.
   */
  crashStreak: number;
  /**
   * The same two counts for the rollout's own crashes (exits of its new generation while an
   * older one still serves), from its start: past the limits it is abandoned. Kept until the
   * next restart, so a rollout that is idle with these counts past the limits was abandoned.
   */
  rollout: CrashCounts;
  /** Why the control last stopped. */
  stopReason: 'stop' | 'giveup' | null;
  /** Workers over maxMemory, to be shut down once their replacements are ready (reconcile.ts), until they exit. */
  retiring: number[];
}

/** The counts the give-up limits are checked against (see ControlContext). */
export interface CrashCounts {
  recentExits: number[];
  crashStreak: number;
}

/** The public identity of a worker, carried by every event about it. */
export interface WorkerInfo {
  id: number;
  pid: number | null;
  slot: number;
  generation: number;
}

/** Commands, as the facade, the server and the CLI send them. */
export type ControlCommand =
  | { type: 'control.start' }
  | { type: 'control.stop'; force?: boolean }
  | { type: 'control.setSize'; size: number | null }
  | { type: 'control.add'; n: number }
  | { type: 'control.remove'; n: number }
  | { type: 'control.restart' }
  | { type: 'control.shutdown'; id?: number }
  | { type: 'control.terminate'; id?: number };

/** Facts from the cluster port. A fork with `id: null` is a worker the app forked itself. */
export type ControlFact =
  | WorkerFact
  | { type: 'cluster.fork'; id: null; handle: number; pid: number; at: number }
  | { type: 'cluster.message'; id: number; message: unknown; at?: number };

/**
 * Internal events. XState lets a parallel state's own handler run only when no region
 * handles the event, so facts that both the running state and a region react to are
 * re-raised for the regions under these names.
 */
type InternalEvent =
  | { type: 'control.reconcile' }
  | { type: 'control.giveUp' }
  | { type: 'control.abandonRollout' }
  | { type: 'control.workerExit'; exit: WorkerExit }
  /** A worker got ready while the health region waits for every worker to be (see `probing`). */
  | { type: 'control.probeReady' }
  | { type: `xstate.done.actor.${string}`; output: WorkerExit }
  | MemoryReading;

/** From the `memoryWatch` actor (the runtime's): worker `id` uses `memory` bytes, more than maxMemory. */
export interface MemoryReading {
  type: 'control.overMemory';
  id: number;
  memory: number;
}

export type ControlEvent = ControlCommand | ControlFact | WorkerNotice | InternalEvent;

/** Everything the control tells the world, emitted from the machine. */
export type ControlEmitted =
  | { type: 'start' }
  | { type: 'stop'; force: boolean; reason: 'stop' | 'giveup' }
  | { type: 'stopped'; reason: 'stop' | 'giveup' }
  | { type: 'setSize'; size: number | null }
  | { type: 'resize'; size: number | null }
  | { type: 'fork'; worker: WorkerInfo }
  | { type: 'online'; worker: WorkerInfo }
  /** null for a worker adopted after it listened. */
  | { type: 'listening'; worker: WorkerInfo; address: ListeningAddress | null }
  | { type: 'ready'; worker: WorkerInfo }
  | { type: 'disconnect'; worker: WorkerInfo }
  | { type: 'exit'; worker: WorkerInfo; exit: WorkerExit }
  | { type: 'message'; worker: WorkerInfo; message: unknown }
  | { type: 'startRestart'; generation: number }
  | { type: 'restart'; generation: number }
  /**
   * The rollout to `generation` passed the give-up limits (as in `giveup`) while workers of an
   * older generation still served: it ends there, and they keep serving.
   */
  | { type: 'restartAbandoned'; generation: number; cause: GiveUpCause; exits: number; window: number; maxRestarts: number }
  | { type: 'shutdown'; worker: WorkerInfo }
  /**
   * The worker's memory (bytes) exceeded maxMemory (`limit`): with a size set, it is replaced, and
   * shut down once its replacement is ready; without one, shut down now.
   */
  | { type: 'memoryLimit'; worker: WorkerInfo; memory: number; limit: number }
  | { type: 'terminate'; worker: WorkerInfo }
  | { type: 'kill'; worker: WorkerInfo }
  | { type: 'danger'; delay: number }
  | { type: 'safe' }
  /**
   * `cause`: more than maxRestarts unexpected exits within restartWindow (`window`), or more
   * than maxRestarts crash-loop exits in a row (`streak`: each at startup or younger than
   * minRestartAge), which backoff may spread over more than the window.
   */
  | { type: 'giveup'; cause: GiveUpCause; exits: number; window: number; maxRestarts: number };

export type GiveUpCause = 'window' | 'streak';

/** How the reconciler sees the workers (worker-views.ts), for the runtime, the server and tests. */
export { statusOf, viewsOf } from './worker-views.js';

/**
 * The smallest `worker-<n>` no worker actor holds: actor ids are reused, not one per worker.
 * A child's done event is typed `xstate.done.actor.<id>`, and XState keeps each state node's
 * transition candidates per event type for the machine's lifetime (`StateNode.next`), so an
 * id per worker would grow the control at every replacement. The worker's id is in its context.
 */
function freeActorId(workers: Record<number, WorkerRef>): string {
  const taken = new Set(Object.values(workers).map((ref) => ref.id));
  let n = 1;
  while (taken.has(`worker-${n}`)) n++;
  return `worker-${n}`;
}

/**
 * The record without worker `id`, copied key by key: an object rest that leaves out a
 * computed key (`{ [id]: _, ...rest }`) takes a slow path in V8 at every exit.
 */
function without(workers: Record<number, WorkerRef>, id: number): Record<number, WorkerRef> {
  const rest: Record<number, WorkerRef> = {};
  for (const key in workers) {
    const other = Number(key);
    if (other !== id) rest[other] = workers[other]!;
  }
  return rest;
}

export function infoOf(ref: WorkerRef): WorkerInfo {
  const { id, pid, slot, generation } = ref.getSnapshot().context;
  return { id, pid, slot, generation };
}

/** Workers not shutting down at the control's request. */
export const liveCount = (context: ControlContext) => activeTally(context.workers, context.generation).active;

const isUnexpected = (exit: WorkerExit) => !exit.expected;

/** A crash loop: an unexpected exit at startup, or of a worker younger than minRestartAge. */
function isDangerExit(context: ControlContext, exit: WorkerExit): boolean {
  return !exit.expected && (exit.phase === 'startup' || exit.age < context.settings.minRestartAge);
}

/** Why the control gives up, or null while it does not: see the `giveup` event. */
export function giveUpOf(
  context: CrashCounts & Pick<ControlContext, 'settings'>,
): { cause: GiveUpCause; exits: number } | null {
  const { maxRestarts } = context.settings;
  if (context.recentExits.length > maxRestarts) return { cause: 'window', exits: context.recentExits.length };
  if (context.crashStreak > maxRestarts) return { cause: 'streak', exits: context.crashStreak };
  return null;
}

/** Crash counts with this unexpected exit added: the window ending at `exit.at`, and the streak. */
function countedWith(counts: CrashCounts, context: ControlContext, exit: WorkerExit): CrashCounts {
  const since = exit.at - context.settings.restartWindow;
  return {
    recentExits: [...counts.recentExits.filter((at) => at > since), exit.at],
    crashStreak: counts.crashStreak + (isDangerExit(context, exit) ? 1 : 0),
  };
}

const noCrashes = (): CrashCounts => ({ recentExits: [], crashStreak: 0 });

/** Past the limits with its own crashes: the rollout was abandoned (null while it was not). */
export const abandonmentOf = (context: ControlContext) => giveUpOf({ ...context.rollout, settings: context.settings });

const doneOutput = (event: ControlEvent) => (event as Extract<InternalEvent, { output: WorkerExit }>).output;
const exitOf = (event: ControlEvent) => (event as Extract<InternalEvent, { exit: WorkerExit }>).exit;

/** The effective size: the target, or during a rollout without one, the live count it began with. */
export const effectiveSize = (context: ControlContext): number | null => context.size ?? context.rolloutSize;

function isAtSize(context: ControlContext): boolean {
  const size = effectiveSize(context);
  if (size === null) return true;
  const { active, ready, old: rolling } = activeTally(context.workers, context.generation);
  return rolling ? ready >= size && active <= size + context.settings.restartConcurrency : active === size && ready === size;
}

/** A worker is ready whose generation, against the target one, passes `which`. */
function hasReady(context: ControlContext, which: (generation: number, target: number) => boolean): boolean {
  for (const w of liveViews(context.workers)) if (w.status === 'ready' && which(w.generation, context.generation)) return true;
  return false;
}

/** The generation a rollout replaces still serves. */
const hasOlderReady = (context: ControlContext) => hasReady(context, (generation, target) => generation < target);

/**
 * The generation whose rollout was abandoned, until the next restart (its counts stay past
 * the limits until then): the known-bad version. null when the last rollout was not abandoned.
 */
const abandonedGeneration = (context: ControlContext) => (abandonmentOf(context) === null ? null : context.generation);

/**
 * A crash of the abandoned generation while an older one serves (a fork that replaced an
 * older worker ran what is on disk): it counts toward no limit, so it never stops the older
 * workers, and it backs forks off whatever the worker's age.
 */
const isAbandonedGenerationCrash = (context: ControlContext, exit: WorkerExit) =>
  !exit.expected && exit.generation === abandonedGeneration(context) && hasOlderReady(context);
const hasNewGenerationReady = (context: ControlContext) => hasReady(context, (generation, target) => generation === target);

/** The settings every worker actor reads. */
function timeoutsOf(settings: SupervisionSettings): Pick<WorkerInput, 'readyOn' | 'startupTimeout' | 'shutdownTimeout' | 'terminateTimeout'> {
  const { readyOn, startupTimeout, shutdownTimeout, terminateTimeout } = settings;
  return { readyOn, startupTimeout, shutdownTimeout, terminateTimeout };
}

/**
 * `stateIn` guards for `check()` inside the setup's own actions (their type is not inferred
 * there). Made once, by state value: a `#id` would be parsed again on every check.
 */
const within = {
  running: stateIn('running') as never,
  restarting: stateIn({ running: { rollout: 'restarting' } }) as never,
  rolling: stateIn({ running: { rollout: { restarting: 'rolling' } } }) as never,
  danger: stateIn({ running: { health: 'danger' } }) as never,
  backoff: stateIn({ running: { health: { danger: 'backoff' } } }) as never,
  awaitingReady: stateIn({ running: { health: { danger: { probing: 'awaitingReady' } } } }) as never,
};

/**
 * The facts about a worker that are announced as they come: an exit is announced by
 * recordExit, and the agent's ready message becomes `ready` only through the worker.
 */
type AnnouncedFact = Exclude<ControlFact, { id: null } | { type: 'cluster.exit' | 'worker.ready' }>;

/** The public event a fact about one of the control's workers becomes. */
function announcementOf(fact: AnnouncedFact, worker: WorkerInfo): ControlEmitted {
  switch (fact.type) {
    case 'cluster.fork':
      return { type: 'fork', worker: { ...worker, pid: fact.pid } };
    case 'cluster.online':
      return { type: 'online', worker };
    case 'cluster.listening':
      return { type: 'listening', worker, address: fact.address ?? null };
    case 'cluster.disconnect':
      return { type: 'disconnect', worker };
    case 'cluster.message':
      return { type: 'message', worker, message: fact.message };
  }
}

/** The routes of a fact about a known worker: to its actor only, or to its actor and the world. */
const forward = { guard: 'isKnownWorker', actions: 'forwardFact' } as const;
const forwardAndAnnounce = { guard: 'isKnownWorker', actions: ['forwardFact', 'announceFact'] } as const;

/** Binds a foreign fork's port handle to the next id (the `adopt` effect). */
const adoptAction = {
  type: 'adopt',
  params: ({ context, event }: { context: ControlContext; event: ControlEvent }) => ({
    handle: (event as { handle: number }).handle,
    id: context.nextId,
  }),
} as const;

/**
 * A restart began: every live worker older than the new generation yields the CPU to its
 * replacements (settings.restartYield; 0 yields nothing).
 */
const yieldToNewGeneration = {
  type: 'lowerPriority',
  params: ({ context }: { context: ControlContext }) => ({
    ids: context.settings.restartYield === 0 ? [] : liveViews(context.workers).flatMap((w) => (w.generation < context.generation ? [w.id] : [])),
    increment: context.settings.restartYield,
  }),
} as const;

export const controlMachine = setup({
  types: {
    input: {} as ControlInput,
    context: {} as ControlContext,
    events: {} as ControlEvent,
    emitted: {} as ControlEmitted,
  },
  actors: {
    worker: workerMachine,
    /**
     * While running, reads the memory of the ready workers every memoryCheckInterval when
     * maxMemory is set, and sends back a `control.overMemory` for each over it. An effect:
     * the runtime provides it (this one reads nothing).
     */
    memoryWatch: fromCallback<MemoryReading>(() => {}),
  },
  actions: {
    /** Bind a worker the app forked itself (port handle) to the id the control gave it. */
    adopt: (_, _params: { handle: number; id: number }) => {},
    /** Add `increment` to the nice value of each worker's process. */
    lowerPriority: (_, _params: { ids: readonly number[]; increment: number }) => {},
    /** Reconcile once this step has settled (the raise runs after every region moved). */
    reconcileNext: raise({ type: 'control.reconcile' }),
    /**
     * A healthy minRestartAge ended the crash loop: the streaks start over (a rollout's only while
     * it runs: after an abandonment its counts say so until the next restart).
     */
    becomeSafe: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ crashStreak: 0, rollout: abandonedGeneration(context) === null ? { ...context.rollout, crashStreak: 0 } : context.rollout });
      enqueue.emit({ type: 'safe' });
      enqueue.raise({ type: 'control.reconcile' });
    }),
    /**
     * Reconcile once the workers have heard this step's commands: XState sends to them after
     * the step, and a send to itself queues behind what they answer.
     */
    reconcileOnceHeard: sendTo(({ self }) => self, { type: 'control.reconcile' }),

    /**
     * A worker is going (shutdown, terminate, kill): tell the world. No reconcile: the stop
     * was the plan's or a command's (which reconciles once heard), or the worker failed, and
     * a failing worker counts until its exit.
     */
    announceStopping: emit(({ context, event }) => {
      const { id, how } = event as Extract<ControlEvent, { type: 'worker.stopping' }>;
      return { type: how, worker: infoOf(context.workers[id]!) } as const;
    }),

    /** Hand a fact about a known worker to the worker's actor (see the root's `on`). */
    forwardFact: sendTo(({ context, event }) => context.workers[(event as WorkerFact).id]!, ({ event }) => event as WorkerFact),
    /** Tell the world a fact about a known worker. */
    announceFact: emit(({ context, event }) => announcementOf(event as AnnouncedFact, infoOf(context.workers[(event as AnnouncedFact).id]!))),

    /** A fork the control did not ask for: adopt it, so it is supervised and counted. */
    adoptForeign: enqueueActions(({ context, event, enqueue }) => {
      const fact = event as Extract<ControlFact, { id: null }>;
      const id = context.nextId;
      const active = liveViews(context.workers).filter((w) => w.status !== 'stopping');
      const [slot = 0] = freeSlots(active, 1);
      const { settings } = context;
      enqueue.assign({
        nextId: id + 1,
        // Unsized, a rollout keeps the count it began with: a worker the app adds (say, its own
        // replacement of one that exited) raises it, as it would outside a rollout, instead of
        // being shut down as a surplus (which such an app answers with another fork).
        rolloutSize: context.size === null && context.rolloutSize !== null ? context.rolloutSize + 1 : context.rolloutSize,
        workers: ({ context: c, spawn }) => ({
          ...c.workers,
          [id]: spawn('worker', {
            id: freeActorId(c.workers),
            input: { ...timeoutsOf(settings), id, slot, generation: c.generation, adopted: true, pid: fact.pid, forkAt: fact.at },
          }),
        }),
      });
      enqueue.emit({ type: 'fork', worker: { id, pid: fact.pid, slot, generation: context.generation } });
    }),

    /** Move the world one step toward the target; see reconcile.ts. */
    reconcile: enqueueActions(({ context, enqueue, check }) => {
      const rollout: RolloutStep = !check(within.restarting) ? 'idle' : check(within.rolling) ? 'rolling' : 'canary';
      const views = liveViews(context.workers);
      // In danger: no fork while backing off; while probing, one probe at a time may be unready
      // (workers forked before the probes that still boot do not hold one back: when they hang
      // at boot, the probe's crash or health is what tells).
      const forkBudget = !check(within.danger)
        ? Infinity
        : check(within.backoff)
          ? 0
          : Math.max(0, 1 - views.filter((w) => w.id >= context.probeFrom && (w.status === 'starting' || w.status === 'failing')).length);
      const plan: ReconcilePlan = reconcile({
        workers: views,
        size: effectiveSize(context),
        generation: context.generation,
        rollout,
        forkBudget,
        concurrency: context.settings.restartConcurrency,
        retiring: context.retiring,
      });
      for (const id of plan.shutdown) enqueue.sendTo(context.workers[id]!, { type: 'control.shutdown' });
      if (plan.fork.length === 0) return;
      const firstId = context.nextId;
      const { settings, generation } = context;
      const forksBySlot = { ...context.forksBySlot };
      for (const slot of plan.fork) forksBySlot[slot] = (forksBySlot[slot] ?? 0) + 1;
      enqueue.assign({
        nextId: firstId + plan.fork.length,
        forksBySlot,
        workers: ({ context: c, spawn }) => {
          const workers = { ...c.workers };
          plan.fork.forEach((slot, i) => {
            const id = firstId + i;
            workers[id] = spawn('worker', { id: freeActorId(workers), input: { ...timeoutsOf(settings), id, slot, generation } });
          });
          return workers;
        },
      });
    }),

    /** `shutdown(id?)` / `terminate(id?)`: one worker, or all of them. */
    commandWorkers: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'control.shutdown' && event.type !== 'control.terminate') return;
      const targets = event.id === undefined ? Object.values(context.workers) : [context.workers[event.id]].filter((r) => r !== undefined);
      for (const ref of targets) enqueue.sendTo(ref, { type: event.type });
    }),

    /**
     * A ready worker uses more memory than maxMemory. With a size to keep, it retires: the
     * reconciler forks its replacement first and shuts it down once that one is ready, as a
     * rollout does; without one, it goes now, as at `shutdown(id)`, once it heard.
     */
    recycleOverMemory: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'control.overMemory') return;
      const ref = context.workers[event.id]!;
      enqueue.emit({ type: 'memoryLimit', worker: infoOf(ref), memory: event.memory, limit: context.settings.maxMemory ?? Infinity });
      if (effectiveSize(context) !== null) {
        enqueue.assign({ retiring: [...context.retiring, event.id] });
        enqueue.raise({ type: 'control.reconcile' });
        return;
      }
      enqueue.sendTo(ref, { type: 'control.shutdown' });
      enqueue.sendTo(self, { type: 'control.reconcile' });
    }),

    /** A forced stop on top of a graceful one is announced too (a second SIGINT). */
    announceForcedStop: emit(({ context }) => ({ type: 'stop', force: true, reason: context.stopReason ?? 'stop' }) as const),

    /**
     * An abandoned rollout's workers that are not ready go, of every generation newer than
     * the oldest one serving (a coalesced restart leaves more than one): booting ones would
     * crash as the others did, and all of them count as live, so a reconcile by scale-down
     * order (older generation first) would take the ready workers of the old generation.
     */
    shutdownAbandoned: enqueueActions(({ context, enqueue }) => {
      const views = liveViews(context.workers);
      const serving = Math.min(...views.filter((w) => w.status === 'ready').map((w) => w.generation));
      for (const w of views) {
        if (w.generation > serving && w.status !== 'ready' && w.status !== 'stopping') enqueue.sendTo(context.workers[w.id]!, { type: 'control.shutdown' });
      }
    }),

    /** Ask every worker to shut down (or terminate, on a forced stop). */
    stopAll: enqueueActions(({ context, event, enqueue }) => {
      const command = event.type === 'control.stop' && event.force === true ? 'control.terminate' : 'control.shutdown';
      for (const ref of Object.values(context.workers)) enqueue.sendTo(ref, { type: command });
    }),

    /** A worker reached `exited`: forget it, tell the world, count it, maybe give up. */
    recordExit: enqueueActions(({ context, event, enqueue, check }) => {
      const exit = doneOutput(event);
      const ref = context.workers[exit.id];
      if (ref === undefined) return;
      enqueue.assign({ workers: without(context.workers, exit.id) });
      if (context.retiring.includes(exit.id)) enqueue.assign({ retiring: context.retiring.filter((id) => id !== exit.id) });
      enqueue.stopChild(ref);
      enqueue.emit({ type: 'exit', worker: { id: exit.id, pid: exit.pid, slot: exit.slot, generation: exit.generation }, exit });
      if (!check(within.running)) return;
      if (isUnexpected(exit) && !isAbandonedGenerationCrash(context, exit)) {
        // A crash of the rollout's new generation while an older one serves is the rollout's:
        // past the limits, a bad deploy ends the rollout, not the service.
        const ofRollout = check(within.restarting) && exit.generation === context.generation && hasOlderReady(context);
        const counts = countedWith(ofRollout ? context.rollout : context, context, exit);
        enqueue.assign(ofRollout ? { rollout: counts } : counts);
        const passed = giveUpOf({ ...counts, settings: context.settings });
        const limits = { window: context.settings.restartWindow, maxRestarts: context.settings.maxRestarts };
        if (passed !== null && ofRollout) {
          enqueue.emit({ type: 'restartAbandoned', generation: context.generation, ...passed, ...limits });
          enqueue.raise({ type: 'control.abandonRollout' });
          // The rollout's end reconciles, once its unready workers heard their shutdown.
          return void enqueue.raise({ type: 'control.workerExit', exit });
        }
        if (passed !== null) {
          enqueue.emit({ type: 'giveup', ...passed, ...limits });
          enqueue.raise({ type: 'control.giveUp' });
          return;
        }
      }
      enqueue.raise({ type: 'control.workerExit', exit });
      // An expected exit is one the control asked for: the worker was stopping, which the
      // reconciler no longer counts, so its exit cannot change the plan.
      if (isUnexpected(exit)) enqueue.raise({ type: 'control.reconcile' });
    }),
  },
  guards: {
    isForeignFork: ({ event }) => event.type === 'cluster.fork' && event.id === null,
    /** A fact about a worker the control holds: facts about an unknown id are ignored. */
    isKnownWorker: ({ context, event }) => {
      const id = (event as { id?: unknown }).id;
      return typeof id === 'number' && context.workers[id] !== undefined;
    },
    atSize: ({ context }) => isAtSize(context),
    /** The worker of the event is ready (not booting, nor leaving or retiring already). */
    isReadyWorker: ({ context, event }) => {
      const { id } = event as { id: number };
      const ref = context.workers[id];
      return ref !== undefined && statusOf(ref) === 'ready' && !context.retiring.includes(id);
    },
    /**
     * The rollout is over: no worker of an older generation is left, and their replacements
     * serve at the size (old workers killed by hand leave before their replacements are ready).
     */
    rolledOut: ({ context }) => !hasOlderThan(context.workers, context.generation) && isAtSize(context),
    noWorkers: ({ context }) => workerCount(context.workers) === 0,
    /**
     * Every worker still running is ready (or leaving because the control asked): the probes,
     * and the workers forked before them, which may still be booting (when they all hang at
     * boot, no probe is forked at all, and an empty set of probes proves nothing). No probe is
     * of a generation whose rollout was abandoned: that version is not trusted until the next
     * restart, however long one of its workers lasts.
     */
    workersHealthy: ({ context }) => {
      const abandoned = abandonedGeneration(context);
      return liveViews(context.workers).every(
        (w) => (w.status === 'ready' || w.status === 'stopping') && (w.id < context.probeFrom || w.generation !== abandoned),
      );
    },
    /** An exit that backs forks off: a crash at startup or of a young worker, or one of the abandoned generation. */
    isCrashLoopExit: ({ context, event }) => {
      const exit = exitOf(event);
      return isDangerExit(context, exit) || isAbandonedGenerationCrash(context, exit);
    },
    hasNewGenerationReady: ({ context }) => hasNewGenerationReady(context),
    isNewGenerationExit: ({ context, event }) => exitOf(event).generation === context.generation,
    noCanary: ({ context }) => context.settings.restartProbation === 0,
  },
  delays: {
    throttle: ({ context }) => context.throttle,
    minRestartAge: ({ context }) => context.settings.minRestartAge,
    restartProbation: ({ context }) => context.settings.restartProbation,
  },
}).createMachine({
  id: 'control',
  context: ({ input }) => ({
    settings: input.settings,
    size: input.settings.size,
    rolloutSize: null,
    generation: 1,
    nextId: 1,
    workers: {},
    forksBySlot: {},
    throttle: input.settings.throttleDelay,
    probeFrom: 1,
    recentExits: [],
    crashStreak: 0,
    rollout: noCrashes(),
    stopReason: null,
    retiring: [],
  }),
  initial: 'idle',
  on: {
    // Facts about a worker reach its actor in every state, and the world hears them; facts
    // about unknown ids are ignored. One transition per fact, with named actions: XState
    // builds an `enqueueActions` action's queue anew at every event, and facts are most events.
    'cluster.fork': [
      {
        guard: 'isForeignFork',
        actions: [adoptAction, 'adoptForeign'],
      },
      forwardAndAnnounce,
    ],
    'cluster.online': forwardAndAnnounce,
    'cluster.listening': forwardAndAnnounce,
    'cluster.disconnect': forwardAndAnnounce,
    'cluster.exit': forward,
    'cluster.message': { guard: 'isKnownWorker', actions: 'announceFact' },
    'worker.ready': forward,
    // A worker's exit is recorded in every state (an adopted one may exit while idle);
    // recordExit counts it only while running.
    'xstate.done.actor.*': { actions: 'recordExit' },
  },
  states: {
    idle: {
      on: { 'control.start': 'running', 'control.stop': { guard: not('noWorkers'), target: 'stopping', actions: assign({ stopReason: 'stop' }) } },
    },
    running: {
      type: 'parallel',
      invoke: { src: 'memoryWatch' },
      entry: [assign({ stopReason: null, rolloutSize: null, ...noCrashes(), rollout: noCrashes() }), emit({ type: 'start' } as const), 'reconcileNext'],
      on: {
        'control.reconcile': { actions: 'reconcile' },
        'control.stop': 'stopping',
        'control.giveUp': { target: 'stopping', actions: assign({ stopReason: 'giveup' }) },
        'control.setSize': {
          actions: [
            assign({ size: ({ event }) => event.size }),
            emit(({ event }) => ({ type: 'setSize', size: event.size }) as const),
            'reconcileNext',
          ],
        },
        'control.add': {
          actions: [
            assign({ size: ({ context, event }) => (context.size ?? liveCount(context)) + event.n }),
            emit(({ context }) => ({ type: 'setSize', size: context.size }) as const),
            'reconcileNext',
          ],
        },
        'control.remove': {
          actions: [
            assign({ size: ({ context, event }) => Math.max(0, (context.size ?? liveCount(context)) - event.n) }),
            emit(({ context }) => ({ type: 'setSize', size: context.size }) as const),
            'reconcileNext',
          ],
        },
        // Commands to workers reach them only after this step (XState defers sendTo): a raised
        // reconcile would see them as they were, so the control reconciles once they heard.
        // Cluster facts (the root's route) do not reconcile: what they change comes back as
        // the worker's notice or its done event.
        'control.shutdown': { actions: ['commandWorkers', 'reconcileOnceHeard'] },
        'control.terminate': { actions: ['commandWorkers', 'reconcileOnceHeard'] },
        'control.overMemory': { guard: 'isReadyWorker', actions: 'recycleOverMemory' },
        'cluster.fork': { guard: 'isForeignFork', actions: [adoptAction, 'adoptForeign', 'reconcileNext'] },
        'worker.stopping': { actions: 'announceStopping' },
        'worker.serving': {
          actions: [
            emit(({ context, event }) => ({ type: 'ready', worker: infoOf(context.workers[event.id]!) }) as const),
            enqueueActions(({ check, enqueue }) => {
              if (check(within.awaitingReady)) enqueue.raise({ type: 'control.probeReady' });
            }),
            'reconcileNext',
          ],
        },
      },
      states: {
        size: {
          initial: 'resizing',
          states: {
            steady: { always: { guard: not('atSize'), target: 'resizing' } },
            resizing: {
              always: {
                guard: 'atSize',
                target: 'steady',
                actions: emit(({ context }) => ({ type: 'resize', size: effectiveSize(context) }) as const),
              },
            },
          },
        },
        rollout: {
          initial: 'idle',
          states: {
            idle: {
              on: {
                'control.restart': {
                  target: 'restarting',
                  actions: [
                    assign({
                      generation: ({ context }) => context.generation + 1,
                      rolloutSize: ({ context }) => (context.size === null ? liveCount(context) : null),
                      rollout: noCrashes,
                    }),
                    emit(({ context }) => ({ type: 'startRestart', generation: context.generation }) as const),
                    yieldToNewGeneration,
                  ],
                },
              },
            },
            restarting: {
              initial: 'canary',
              always: {
                guard: 'rolledOut',
                target: 'idle',
                actions: [
                  emit(({ context }) => ({ type: 'restart', generation: context.generation }) as const),
                  assign({ rolloutSize: null }),
                  'reconcileNext',
                ],
              },
              on: {
                'control.abandonRollout': { target: 'idle', actions: [assign({ rolloutSize: null }), 'shutdownAbandoned', 'reconcileOnceHeard'] },
                // Coalesce: a restart during a restart only raises the generation again.
                'control.restart': {
                  target: '.canary',
                  reenter: true,
                  // (canary's entry reconciles)
                  actions: [assign({ generation: ({ context }) => context.generation + 1, rollout: noCrashes }), yieldToNewGeneration],
                },
              },
              states: {
                canary: {
                  entry: 'reconcileNext',
                  always: [
                    // restartProbation 0 (the default): no canary; every replacement starts at once,
                    // restartConcurrency at a time, and each old worker still waits for its own.
                    { guard: 'noCanary', target: 'rolling' },
                    // Probation starts once a new-generation worker is ready: the canary, or one that
                    // already was (a coalesced restart, or another new worker's exit reset probation).
                    { guard: 'hasNewGenerationReady', target: 'probation' },
                  ],
                },
                probation: {
                  after: { restartProbation: { target: 'rolling', actions: 'reconcileNext' } },
                  on: { 'control.workerExit': { guard: 'isNewGenerationExit', target: 'canary' } },
                },
                rolling: {},
              },
            },
          },
        },
        health: {
          initial: 'ok',
          states: {
            ok: {
              on: {
                'control.workerExit': {
                  guard: 'isCrashLoopExit',
                  target: 'danger',
                  actions: assign({ throttle: ({ context }) => context.settings.throttleDelay }),
                },
              },
            },
            danger: {
              initial: 'backoff',
              states: {
                // Every backoff announces its own delay: 500, then 1000, 2000 … as it doubles.
                backoff: {
                  entry: emit(({ context }) => ({ type: 'danger', delay: context.throttle }) as const),
                  after: {
                    throttle: {
                      target: 'probing',
                      actions: [
                        assign({
                          probeFrom: ({ context }) => context.nextId,
                          throttle: ({ context }) => Math.min(context.throttle * 2, context.settings.maxThrottleDelay),
                        }),
                        'reconcileNext',
                      ],
                    },
                  },
                },
                probing: {
                  // Only a healthy minRestartAge is `safe`: the probes (the workers forked since
                  // the backoff) lived that long, and they and every other worker are ready. An app that hangs at boot is
                  // not healthy however long it hangs: its probe's startup timeout is one more
                  // crash of the episode. Leaving `running` in danger (a stop, a give-up) is not
                  // safe either.
                  initial: 'aging',
                  states: {
                    aging: {
                      after: {
                        minRestartAge: [{ guard: 'workersHealthy', target: '#control.running.health.ok', actions: 'becomeSafe' }, { target: 'awaitingReady' }],
                      },
                    },
                    awaitingReady: {
                      on: {
                        'control.probeReady': { guard: 'workersHealthy', target: '#control.running.health.ok', actions: 'becomeSafe' },
                        // A probe that leaves at the control's request (a shrink, a shutdown) is
                        // no longer waited for; a crash goes on to `probing`'s backoff.
                        'control.workerExit': { guard: and([not('isCrashLoopExit'), 'workersHealthy']), target: '#control.running.health.ok', actions: 'becomeSafe' },
                      },
                    },
                  },
                  on: { 'control.workerExit': { guard: 'isCrashLoopExit', target: 'backoff' } },
                },
              },
              on: {
                // A restart is a new version: it is forked at once (the rollout reconciles), and
                // is the probe; its own crashes back off from throttleDelay again. The old
                // version's backoff, at maxThrottleDelay after an abandoned rollout, would hold
                // every fork of the fix back.
                'control.restart': {
                  target: '.probing',
                  actions: assign({ probeFrom: ({ context }) => context.nextId, throttle: ({ context }) => context.settings.throttleDelay }),
                },
              },
            },
          },
        },
      },
    },
    stopping: {
      entry: [
        assign({ stopReason: ({ context }) => context.stopReason ?? 'stop' }),
        emit(({ context, event }) => ({
          type: 'stop',
          force: event.type === 'control.stop' && event.force === true,
          reason: context.stopReason ?? 'stop',
        }) as const),
        'stopAll',
      ],
      always: { guard: 'noWorkers', target: 'stopped' },
      on: {
        'worker.stopping': { actions: 'announceStopping' },
        // A forced stop on top of a graceful one is announced too (a second SIGINT).
        'control.stop': {
          guard: ({ event }) => event.force === true,
          actions: ['announceForcedStop', 'stopAll'],
        },
        // A terminate hurries workers on; a shutdown would add nothing (stopAll asked them all).
        'control.terminate': { actions: 'commandWorkers' },
        // A worker forked by the app while stopping is adopted only to be stopped too (the
        // fork of a known worker goes on to the root).
        'cluster.fork': { guard: 'isForeignFork', actions: [adoptAction, 'adoptForeign', 'stopAll'] },
      },
    },
    stopped: {
      entry: emit(({ context }) => ({ type: 'stopped', reason: context.stopReason ?? 'stop' }) as const),
      on: { 'control.start': 'running', 'control.stop': { guard: not('noWorkers'), target: 'stopping', actions: assign({ stopReason: 'stop' }) } },
    },
  },
});
