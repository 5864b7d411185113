/**
 * What each command of the control protocol does, in a lookup table (the way
 * node:cluster's primary maps `message.act` to a handler). A handler gets its validated
 * arguments and a context to stream through; it only calls the public `Control` API and
 * reads the control actor's snapshot.
 */
import { createError } from '../errors.js';
import { effectiveSize, liveCount, viewsOf } from '../machines/control.machine.js';
import { controlEventTypes } from '../runtime/control-events.js';
import type { Control, ControlEventMap, ControlEventType } from '../runtime/create-control.js';
import {
  type CommandArgsParsed,
  type CommandName,
  type CommandResults,
  type RestartProgress,
  type SizeResult,
  type StopResult,
  type WireEvent,
  toWireEvent,
} from './protocol.js';

export interface CommandContext {
  readonly control: Control;
  /** Aborted when the client goes away or the server closes. */
  readonly signal: AbortSignal;
  /** Streams a progress line for this request. */
  progress(progress: RestartProgress): void;
  /** Streams an event line for this request. */
  event(event: WireEvent): void;
  /** Sends the result now (a streaming command then goes on until `signal` aborts). */
  reply(result: unknown): void;
}

type Args<C extends CommandName> = CommandArgsParsed<C>;

/** A handler resolves with its result, or with `replied` when it sent it through `reply()`. */
export type CommandHandler<C extends CommandName> = (args: Args<C>, context: CommandContext) => Promise<CommandResults[C] | typeof replied>;

export const replied: unique symbol = Symbol('replied');

const snapshotOf = (control: Control) => control.actor.getSnapshot();

function sizeResult(control: Control): SizeResult {
  const { context } = snapshotOf(control);
  const views = viewsOf(context.workers);
  return {
    size: context.size,
    live: views.filter((w) => w.status !== 'stopping').length,
    ready: views.filter((w) => w.status === 'ready').length,
  };
}

/**
 * How far a rollout is: the ready workers of the control's current generation (the restart's
 * new workers, or those of a later restart that joined it), at most the size it fills (the
 * machine's effective size; with none, once the rollout is over, the live count).
 */
function rolloutProgress(control: Control): Pick<RestartProgress, 'replaced' | 'total'> {
  const { context } = snapshotOf(control);
  const total = effectiveSize(context) ?? liveCount(context);
  const ready = viewsOf(context.workers).filter((w) => w.generation === context.generation && w.status === 'ready').length;
  return { replaced: Math.min(ready, total), total };
}

/**
 * Runs `start()` (a control operation) and, unless `wait`, answers as soon as the control
 * has accepted it: an operation the control refuses (not running, bad size) rejects within
 * the same turn of the event loop, which `setImmediate` lets pass.
 */
async function perform(operation: () => Promise<void>, wait: boolean): Promise<void> {
  const done = operation();
  if (wait) return done;
  let failure: { error: unknown } | undefined;
  done.catch((error: unknown) => {
    failure = { error };
  });
  await new Promise((resolve) => setImmediate(resolve));
  if (failure !== undefined) throw failure.error;
}

/** Ids to target, all checked before anything is sent; `undefined` means every worker. */
function resolveTargets(control: Control, ids: number[] | 'all' | undefined): number[] | 'all' {
  if (ids === undefined || ids === 'all') return 'all';
  const workers = snapshotOf(control).context.workers;
  const unique = [...new Set(ids)];
  const unknown = unique.find((id) => workers[id] === undefined);
  if (unknown !== undefined) throw createError('CC_ERR_WORKER_UNKNOWN', { id: unknown });
  return unique;
}

/** The ids of every worker the control holds. */
const workerIds = (control: Control) => Object.keys(snapshotOf(control).context.workers).map(Number);

/** Stops the workers and says which of them the control had to escalate on (its timers). */
async function stopWorkers(control: Control, how: 'shutdown' | 'terminate', ids: number[] | 'all' | undefined): Promise<StopResult> {
  const targets = resolveTargets(control, ids);
  const affected = targets === 'all' ? workerIds(control) : targets;
  // A terminate's own SIGTERM is no escalation; a shutdown's is (after shutdownTimeout).
  return withEscalations(control, affected, how === 'shutdown', async () => {
    if (targets === 'all') await control[how]('all');
    else await Promise.all(targets.map((id) => control[how](id)));
  });
}

/**
 * Runs `stopping` and says which of the `affected` workers the control escalated on meanwhile:
 * SIGTERM after shutdownTimeout (when `gracefully`, and until a forced stop, whose SIGTERMs
 * are its own, as are a terminate's), SIGKILL after terminateTimeout.
 */
async function withEscalations(control: Control, affected: number[], gracefully: boolean, stopping: () => Promise<void>): Promise<StopResult> {
  const terminated = new Set<number>();
  const killed = new Set<number>();
  let escalating = gracefully;
  const onStop = ({ force }: ControlEventMap['stop']) => void (force && (escalating = false));
  const onTerminate = ({ worker }: ControlEventMap['terminate']) => void (escalating && terminated.add(worker.id));
  const onKill = ({ worker }: ControlEventMap['kill']) => void killed.add(worker.id);
  control.on('stop', onStop).on('terminate', onTerminate).on('kill', onKill);
  try {
    await stopping();
  } finally {
    control.off('stop', onStop).off('terminate', onTerminate).off('kill', onKill);
  }
  const sorted = (set: Iterable<number>) => [...set].filter((id) => affected.includes(id)).sort((a, b) => a - b);
  return { ids: sorted(affected), terminated: sorted(terminated), killed: sorted(killed) };
}

export const commands: { readonly [C in CommandName]: CommandHandler<C> } = {
  status: async (_, { control }) => control.status(),

  'set-size': async ({ size, wait = true }, { control }) => {
    await perform(() => control.setSize(size), wait);
    return sizeResult(control);
  },

  add: async ({ n = 1, wait = true }, { control }) => {
    await perform(() => control.add(n), wait);
    return sizeResult(control);
  },

  remove: async ({ n = 1, wait = true }, { control }) => {
    await perform(() => control.remove(n), wait);
    return sizeResult(control);
  },

  restart: async ({ wait = false }, { control, progress }) => {
    const generationNow = () => snapshotOf(control).context.generation;
    const before = generationNow();
    const started = Date.now();
    const done = control.restart();
    const generation = generationNow();
    // No new generation: the control refused (it is not running); `done` rejects with why.
    if (generation === before) await done;
    // The workers the rollout replaces, for the escalations on them.
    const leaving = viewsOf(snapshotOf(control).context.workers).flatMap((w) => (w.generation < generation ? [w.id] : []));
    if (!wait) {
      done.catch(() => {});
      return { generation, ...rolloutProgress(control), waited: false, duration: null, terminated: [], killed: [] };
    }
    let last: RestartProgress | undefined;
    const report = () => {
      const now = rolloutProgress(control);
      if (now.replaced === last?.replaced && now.total === last.total) return;
      last = now;
      progress(now);
    };
    // A restart that cannot progress says why, instead of waiting in silence.
    const reportDanger = ({ delay }: { delay: number }) => progress({ ...rolloutProgress(control), danger: { delay } });
    report();
    // After every step of the control. A failed control rejects `done`; the error handler
    // keeps XState from also reporting the failure as unhandled for want of one.
    const steps = control.actor.subscribe({ next: report, error: () => {} });
    control.on('danger', reportDanger);
    let escalations: StopResult;
    try {
      escalations = await withEscalations(control, leaving, true, () => done);
    } finally {
      steps.unsubscribe();
      control.off('danger', reportDanger);
    }
    report();
    const { terminated, killed } = escalations;
    // A restart asked for meanwhile coalesced with this one: it ended at the later generation.
    return { generation: generationNow(), ...rolloutProgress(control), waited: true, duration: Date.now() - started, terminated, killed };
  },

  shutdown: async ({ ids }, { control }) => stopWorkers(control, 'shutdown', ids),

  terminate: async ({ ids }, { control }) => stopWorkers(control, 'terminate', ids),

  stop: async ({ force = false }, { control }) => {
    // A forced stop terminates at once: only its SIGKILLs are escalations.
    const escalations = await withEscalations(control, workerIds(control), !force, () => control.stop({ force }));
    return { stopped: true, force, ...escalations };
  },

  events: async (_, { control, signal, event, reply }) => {
    const forward = (e: ControlEventMap[ControlEventType]) => event(toWireEvent(e));
    for (const type of controlEventTypes) control.on(type, forward);
    reply({ subscribed: true });
    try {
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      for (const type of controlEventTypes) control.off(type, forward);
    }
    return replied;
  },
};
