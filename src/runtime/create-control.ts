/**
 * `createControl()`: the facade people embed. It binds the control machine to a cluster
 * port and a clock, turns commands into machine events, the machine's emitted events into
 * typed listeners, and snapshots into `status()`. It keeps no lifecycle state of its own.
 */
import { type Actor, type InspectionEvent, type Observer, type SnapshotFrom, createActor } from 'xstate';
import { asError, createError, warningCodes } from '../errors.js';
import {
  type ControlEmitted,
  type WorkerInfo,
  type WorkerRef,
  type GiveUpCause,
  abandonmentOf,
  controlMachine,
  giveUpOf,
  infoOf,
  liveCount,
  viewsOf,
} from '../machines/control.machine.js';
import { workerMachine } from '../machines/worker.machine.js';
import { didYouMean } from '../closest-name.js';
import { MAX_SIZE, type SettingsInput, type SupervisionSettings, checkControlOptions, describeValue, normalizeSettings, sizeOf } from '../options.js';
import { controlEventTypes } from './control-events.js';
import { availableParallelism } from 'node:os';
import { type Clock, systemClock } from './clock.js';
import type { ClusterPort } from './cluster-port.js';
import { memoryWatch } from './memory-watch.js';
import { createNodeClusterPort } from './node-cluster.js';
import { type ProcessSignals, bindProcessSignals } from './process-signals.js';

export type ControlActor = Actor<typeof controlMachine>;

/** Environment of a worker: fixed, or per slot (stable index 0..size-1, reused by replacements). */
export type WorkerEnv = Record<string, string | undefined> | ((slot: number) => Record<string, string | undefined>);

export interface ControlOptions extends SettingsInput {
  /** The worker script; defaults to the current script, as with node:cluster. */
  exec?: string;
  args?: string[];
  execArgv?: string[];
  env?: WorkerEnv;
  /** Preload the worker agent (`clusterchart/worker`) into every worker. Default false. */
  agent?: boolean;
  /** Bind SIGINT/SIGTERM (stop, then exit), SIGHUP (restart) and `exit` (SIGKILL all). Default true. */
  signals?: boolean;
  /** Receives XState inspection events of the control and every worker actor. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** The cluster to supervise; defaults to node:cluster. A simulated one serves tests. */
  port?: ClusterPort;
  /** The clock; defaults to the system clock. */
  clock?: Clock;
}

/** The dotted paths of a machine's state values: `{ online: 'ready' }` → `'online.ready'`. */
type DottedPath<Value> = Value extends string ? Value : { [K in keyof Value & string]: `${K}.${DottedPath<Value[K]>}` }[keyof Value & string];

/**
 * A worker's state as a dotted path: `starting`, `online.booting`, `online.ready`,
 * `disconnecting`, `exiting.terminating`, `exiting.killing`, `exited`.
 */
export type WorkerState = DottedPath<SnapshotFrom<typeof workerMachine>['value']>;

/** A worker's state changed (`from` is null for a new worker). */
export interface TransitionEvent {
  type: 'transition';
  worker: WorkerInfo;
  from: WorkerState | null;
  to: WorkerState;
}

export interface ErrorEvent {
  type: 'error';
  error: Error;
}

export type ControlEventMap = { [K in ControlEmitted['type']]: Extract<ControlEmitted, { type: K }> } & {
  transition: TransitionEvent;
  error: ErrorEvent;
};

export type ControlEventType = keyof ControlEventMap;
export type ControlListener<K extends ControlEventType> = (event: ControlEventMap[K]) => void;

export interface WorkerStatus {
  id: number;
  pid: number | null;
  state: WorkerState;
  generation: number;
  slot: number;
  /** ms since epoch (or the simulated clock) of the fork; null until known. */
  startTime: number | null;
  uptime: number | null;
  /**
   * Workers its slot had before this one (PM2's restart count of an instance): replacements
   * after a crash or in a rolling restart, and a slot used again after a scale-down.
   */
  restarts: number;
  /**
   * From the agent (preloaded with `agent: true`, or imported by the app as
   * `clusterchart/worker`); null with no agent in the worker or when it does not answer in time.
   */
  connections: number | null;
  memory: number | null;
}

export interface ControlStatus {
  master: {
    pid: number;
    state: 'idle' | 'running' | 'stopping' | 'stopped';
    size: number | null;
    generation: number;
    health: 'ok' | 'danger' | 'gaveUp';
    restarting: boolean;
    startTime: number | null;
  };
  workers: WorkerStatus[];
}

export interface Control {
  /** The XState actor of the control, for inspection. */
  readonly actor: ControlActor;
  readonly settings: SupervisionSettings;
  /**
   * Starts the workers; resolves once the size is first reached. Called during a stop, it
   * starts once the stop has ended, unless `stop()` is called again meanwhile
   * (`CC_ERR_CONTROL_STOPPED`) or `close()` (`CC_ERR_CONTROL_CLOSED`).
   */
  start(): Promise<void>;
  /** Stops every worker in parallel (escalating); resolves when all have exited. */
  stop(options?: { force?: boolean }): Promise<void>;
  /**
   * The last call wins; resolves when the (latest) size is reached, every worker ready, and
   * the workers a shrink stopped (or any other asked to leave) have exited. add() and remove()
   * too.
   */
  setSize(size: number | 'cpus'): Promise<void>;
  add(n?: number): Promise<void>;
  remove(n?: number): Promise<void>;
  /**
   * Rolling restart; resolves when no worker of an older generation is left and the new ones
   * serve at the size; rejects with `CC_ERR_RESTART_ABANDONED` when the new version
   * crash-loops while the old one serves, or as start() does on a give-up or a stop.
   */
  restart(): Promise<void>;
  /** Graceful shutdown of one worker (by id) or all; resolves when they have exited. */
  shutdown(id?: number | 'all'): Promise<void>;
  /** SIGTERM (then SIGKILL) to one worker or all; resolves when they have exited. */
  terminate(id?: number | 'all'): Promise<void>;
  status(): Promise<ControlStatus>;
  on<K extends ControlEventType>(type: K, listener: ControlListener<K>): Control;
  off<K extends ControlEventType>(type: K, listener: ControlListener<K>): Control;
  once<K extends ControlEventType>(type: K, listener: ControlListener<K>): Control;
  /**
   * Releases the port and node:cluster for another control; commands after it reject with
   * `CC_ERR_CONTROL_CLOSED`, and so do calls still waiting (`status()` still answers, with
   * the control's last state). Meant for after `stop()`: a worker
   * still running is SIGKILLed at once (with its process tree), as on process exit, so none
   * is left unsupervised. A second call does nothing.
   */
  close(): void;
}

/** How long `status()` waits for the agents' stats. */
const statsTimeout = 100;

/** A dotted state path: `{ online: 'ready' }` → `online.ready`. */
export function dotted(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0] ?? ['', ''];
  const rest = dotted(child);
  return rest === '' ? key : `${key}.${rest}`;
}

export function createControl(options: ControlOptions = {}): Control {
  checkControlOptions(options);
  const settings = normalizeSettings(options, availableParallelism());
  // The port may report a failed effect only once the control exists to hear it.
  let reportError: (error: Error) => void = () => {};
  const port = options.port ?? createNodeClusterPort(options, (error) => reportError(error));
  try {
    const bound = bindControl(options, settings, port);
    reportError = bound.reportError;
    return bound.control;
  } catch (error) {
    // node:cluster stays free for the next control.
    port.close();
    throw error;
  }
}

/** The control on its port, and how the port's errors reach the control's `error` listeners. */
function bindControl(
  options: ControlOptions,
  settings: SupervisionSettings,
  port: ClusterPort,
): { control: Control; reportError: (error: unknown) => void } {
  const clock = options.clock ?? systemClock;
  const listeners = new Map<ControlEventType, Set<(event: never) => void>>();
  /** once() wrapper → the listener it wraps. */
  const onceOf = new WeakMap<(event: never) => void, unknown>();
  const lastState = new Map<string, WorkerState>();
  /** New workers whose `starting` waits for their pid: the fork fact follows the step that forked them. */
  const awaitingPid = new Set<string>();
  /**
   * Per live worker the control forked, the workers its slot had before it (status()'s
   * `restarts`), read from the control's count at its fork. Kept here, not in the worker's
   * context: a field there cost the machines 5.5% more instructions per rolling restart.
   */
  const restartsOf = new Map<number, number>();
  let startTime: number | null = null;

  const dispatch = <K extends ControlEventType>(event: ControlEventMap[K]) => {
    const set = listeners.get(event.type as K);
    if (set === undefined || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as ControlListener<K>)(event);
      } catch (thrown) {
        // Never into the machines. To the `error` listeners, unless one of them threw or
        // there are none: then as a warning, so that a bug in a listener does not go unseen.
        if (event.type !== 'error' && (listeners.get('error')?.size ?? 0) > 0) reportError(thrown);
        else warnListenerThrew(event.type, thrown);
      }
    }
  };
  const reportError = (cause: unknown) => {
    dispatch({ type: 'error', error: asError(cause) });
  };

  // Transitions are read from XState inspection, which costs every actor of the system on
  // every event: the hook is on only while someone listens to `transition` (see on/off).
  const transitions = (event: InspectionEvent) => {
    if (event.type !== '@xstate.snapshot' || !(event.actorRef as WorkerRef).id.startsWith('worker-')) return;
    const snapshot = event.snapshot as ReturnType<WorkerRef['getSnapshot']>;
    const key = event.actorRef.sessionId;
    const to = dotted(snapshot.value) as WorkerState;
    const from = lastState.get(key) ?? null;
    if (snapshot.status === 'done') lastState.delete(key);
    else lastState.set(key, to);
    const { id, pid, slot, generation } = snapshot.context;
    const worker = { id, pid, slot, generation };
    if (from === null && to === 'starting' && pid === null) {
      awaitingPid.add(key);
      return;
    }
    // Announced with its pid once known, or without it when the worker leaves `starting` first (a failed fork).
    if (awaitingPid.delete(key)) dispatch({ type: 'transition', worker, from: null, to: 'starting' });
    if (from === to) return;
    dispatch({ type: 'transition', worker, from, to });
  };
  let inspecting: { unsubscribe(): void } | null = null;
  /** Inspects while `transition` has listeners; a late start takes each worker's state as it is. */
  const inspectTransitions = () => {
    const wanted = (listeners.get('transition')?.size ?? 0) > 0;
    if (wanted === (inspecting !== null)) return;
    if (!wanted) {
      inspecting!.unsubscribe();
      inspecting = null;
      lastState.clear();
      awaitingPid.clear();
      return;
    }
    for (const ref of Object.values(state().context.workers)) {
      const snapshot = ref.getSnapshot();
      if (snapshot.status !== 'done') lastState.set(ref.sessionId, dotted(snapshot.value) as WorkerState);
    }
    inspecting = actor.system.inspect(transitions);
  };

  const machine = controlMachine.provide({
    actors: {
      worker: workerMachine.provide({
        actions: {
          fork: (_, request) => {
            // The control counted this fork already (it spawned the worker in that step).
            restartsOf.set(request.id, (state().context.forksBySlot[request.slot] ?? 1) - 1);
            port.fork(request);
          },
          disconnect: (_, { id }) => port.disconnect(id),
          signal: (_, { id, signal }) => port.signal(id, signal),
        },
      }),
      memoryWatch: memoryWatch({
        settings,
        port,
        clock,
        readyWorkers: () => viewsOf(state().context.workers).flatMap((w) => (w.status === 'ready' ? [w.id] : [])),
        onError: (error) => reportError(error),
      }),
    },
    actions: {
      adopt: (_, { handle, id }) => port.adopt(handle, id),
      lowerPriority: (_, { ids, increment }) => {
        for (const id of ids) port.lowerPriority(id, increment);
      },
    },
  });
  // Named, as the worker actors are (`worker-3`): inspectors show `control`, not a session id.
  const actor = createActor(machine, { id: 'control', input: { settings }, clock, ...(options.inspect === undefined ? {} : { inspect: options.inspect }) });
  /** The process signals' binding: made last, and not at all if the control failed meanwhile. */
  let signals: ProcessSignals | null = null;
  /**
   * The control's actor failed (XState's status `error`): an effect of a custom port threw,
   * or an inspector did (the node:cluster port never throws into the machines). Nothing
   * supervises the workers any more, so they are killed and the port released; every call
   * rejects (see requireOpen). XState tells each observer once.
   */
  const fail = (thrown: unknown) => {
    reportError(thrown);
    // Each step on its own: a custom port that throws here too must not skip the others.
    for (const step of [unsubscribe, () => port.killAll(), () => port.close(), () => signals?.failed()]) {
      try {
        step();
      } catch (error) {
        reportError(error);
      }
    }
  };
  const failed = () => state().status === 'error';
  const failedError = () => {
    const thrown = state().error;
    return createError('CC_ERR_CONTROL_FAILED', { reason: asError(thrown).message }, thrown);
  };
  actor.subscribe({ error: fail });
  actor.on('*', (event) => {
    if (event.type === 'start') startTime = clock.now();
    else if (event.type === 'exit') restartsOf.delete(event.worker.id);
    dispatch(event as ControlEventMap[ControlEmitted['type']]);
  });
  const unsubscribe = port.subscribe((fact) => actor.send({ ...fact, at: clock.now() } as never));
  actor.start();

  // The control's state is read from its state value, not with `matches`: that parses its
  // argument on every call, and `until` checks after every step of the control (in a fresh
  // process a quarter of a shrink's CPU went to it).
  const state = () => actor.getSnapshot();
  const topState = () => {
    const value = state().value;
    return (typeof value === 'string' ? value : Object.keys(value)[0]) as ControlStatus['master']['state'];
  };
  /** A region of `running` (its value, a string or an object for a nested state); undefined when not running. */
  const runningRegion = (region: 'size' | 'rollout' | 'health'): unknown => {
    const value = state().value;
    return typeof value === 'string' ? undefined : (value as { running?: Record<string, unknown> }).running?.[region];
  };
  const isIn = (...states: Array<ControlStatus['master']['state']>) => states.includes(topState());

  /**
   * Resolves when `done` holds, rejects with the error it returns instead; rejects with a
   * coded error, naming the `method` that waited, if the control stops first.
   */
  const until = (method: string, done: () => boolean | Error, allowStopped = false) =>
    new Promise<void>((resolve, reject) => {
      const what = called(method);
      let settled = false;
      // Unsubscribed after the step that settled it: it may be inside the actor's own notification.
      const finish = (settle: () => void) => {
        settled = true;
        queueMicrotask(() => sub.unsubscribe());
        settle();
      };
      const check = () => {
        if (settled) return;
        const outcome = done();
        if (outcome instanceof Error) return finish(() => reject(outcome));
        if (outcome) return finish(resolve);
        if (!allowStopped && isIn('stopped', 'stopping')) {
          const { context } = state();
          const giveUp = context.stopReason === 'giveup' ? giveUpOf(context) : null;
          finish(() => reject(giveUp === null ? createError('CC_ERR_CONTROL_STOPPED', { what }) : gaveUpError(giveUp, settings)));
        }
      };
      const sub = actor.subscribe({
        next: check,
        error: () => finish(() => reject(failedError())),
        complete: () => finish(() => reject(createError('CC_ERR_CONTROL_CLOSED', { what }))),
      });
      check();
    });

  /** After `close()` the actor is stopped for good: XState's own status says so. */
  const requireOpen = (method: string) => {
    if (failed()) throw failedError();
    if (state().status === 'stopped') throw createError('CC_ERR_CONTROL_CLOSED', { what: called(method) });
  };
  const requireRunning = (method: string) => {
    requireOpen(method);
    if (!isIn('running')) throw createError('CC_ERR_CONTROL_NOT_RUNNING', { state: topState(), what: called(method) });
  };
  const atSize = () => runningRegion('size') === 'steady';
  /** At size, and every worker asked to leave (by a shrink, or anything else) is gone. */
  const resized = () => atSize() && !viewsOf(state().context.workers).some((w) => w.status === 'stopping');

  const targets = (method: string, id: number | 'all' | undefined): number[] => {
    const workers = state().context.workers;
    if (id === undefined || id === 'all') return Object.keys(workers).map(Number);
    if (!Number.isInteger(id)) throw badArgument(method, `expected a worker id (a whole number) or 'all', got ${describeValue(id)}`);
    if (workers[id] === undefined) throw createError('CC_ERR_WORKER_UNKNOWN', { id });
    return [id];
  };
  /** The size add() and remove() count from: the target, or the live workers when none is set (as the machine does). */
  const currentSize = () => {
    const { context } = state();
    return context.size ?? liveCount(context);
  };
  const allExited = (ids: number[]) => () => ids.every((id) => state().context.workers[id] === undefined);
  /** stop() calls so far: a start() waiting for a stop to end gives way to a later one. */
  let stopCalls = 0;

  const control: Control = {
    actor,
    settings,
    async start() {
      requireOpen('start');
      if (isIn('stopping')) {
        // Starts once the stop in progress has ended, unless the control was closed or told
        // to stop again meanwhile: the later call wins.
        const stopsBefore = stopCalls;
        await until('start', () => isIn('stopped'), true);
        requireOpen('start');
        if (stopCalls !== stopsBefore) throw createError('CC_ERR_CONTROL_STOPPED', { what: called('start') });
      }
      if (!isIn('running')) actor.send({ type: 'control.start' });
      return until('start', atSize);
    },
    async stop(options = {}) {
      const force = checkStopOptions(options);
      requireOpen('stop');
      stopCalls++;
      actor.send({ type: 'control.stop', force });
      // Idle or stopped with no worker (adopted ones included): nothing to stop.
      if (isIn('idle', 'stopped')) return;
      return until('stop', () => isIn('stopped'), true);
    },
    async setSize(size) {
      // Not null, createControl()'s "keep what runs": a rollout under way would have no target.
      const n = sizeOf(size, availableParallelism(), (reason) => badArgument('setSize', reason));
      requireRunning('setSize');
      actor.send({ type: 'control.setSize', size: n });
      return until('setSize', resized);
    },
    async add(n = 1) {
      requireRunning('add');
      const to = currentSize() + checkCount('add', n);
      if (to > MAX_SIZE) throw badArgument('add', `the size would be ${to}, more than ${MAX_SIZE}`);
      actor.send({ type: 'control.add', n });
      return until('add', resized);
    },
    async remove(n = 1) {
      requireRunning('remove');
      const from = currentSize();
      // Scaling to nothing is `setSize(0)`: a count past the size is taken for a typo.
      if (checkCount('remove', n) > from) throw badArgument('remove', `cannot take ${n} worker${n === 1 ? '' : 's'} away from a size of ${from} (setSize(0) stops them all)`);
      actor.send({ type: 'control.remove', n });
      return until('remove', resized);
    },
    async restart() {
      requireRunning('restart');
      actor.send({ type: 'control.restart' });
      const generation = state().context.generation;
      return until('restart', () => {
        const { context } = state();
        if (context.generation < generation || runningRegion('rollout') !== 'idle') return false;
        const abandoned = abandonmentOf(context);
        if (abandoned !== null) return abandonedError({ generation: context.generation, ...abandoned }, settings);
        // The rollout ended: no old worker is left and their replacements serve at the size.
        return true;
      });
    },
    async shutdown(id) {
      requireOpen('shutdown');
      const ids = targets('shutdown', id);
      actor.send(id === undefined || id === 'all' ? { type: 'control.shutdown' } : { type: 'control.shutdown', id });
      return until('shutdown', allExited(ids), true);
    },
    async terminate(id) {
      requireOpen('terminate');
      const ids = targets('terminate', id);
      actor.send(id === undefined || id === 'all' ? { type: 'control.terminate' } : { type: 'control.terminate', id });
      return until('terminate', allExited(ids), true);
    },
    async status() {
      // The agents' stats may take up to statsTimeout; the lifecycle is read once they are in,
      // so a worker that exited meanwhile is not listed.
      const stats = new Map(await Promise.all(targets('status', 'all').map(async (id) => [id, await port.stats(id, statsTimeout).catch(() => null)] as const)));
      const { context } = state();
      const now = clock.now();
      const refs = Object.values(context.workers);
      return {
        master: {
          pid: process.pid,
          state: topState(),
          size: context.size,
          generation: context.generation,
          // health is 'ok' or { danger: … }; rollout is 'idle' or { restarting: … }.
          health: typeof runningRegion('health') === 'object' ? 'danger' : context.stopReason === 'giveup' ? 'gaveUp' : 'ok',
          restarting: typeof runningRegion('rollout') === 'object',
          startTime,
        },
        workers: refs
          .map((ref) => {
            const w = ref.getSnapshot();
            const info = infoOf(ref);
            return {
              ...info,
              state: dotted(w.value) as WorkerState,
              startTime: w.context.forkAt,
              uptime: w.context.forkAt === null ? null : now - w.context.forkAt,
              restarts: restartsOf.get(info.id) ?? 0,
              connections: stats.get(info.id)?.connections ?? null,
              memory: stats.get(info.id)?.memory ?? null,
            };
          })
          .sort((a, b) => a.id - b.id),
      };
    },
    on(type, listener) {
      checkListener('on', type, listener);
      let set = listeners.get(type);
      if (set === undefined) listeners.set(type, (set = new Set()));
      set.add(listener as (event: never) => void);
      if (type === 'transition') inspectTransitions();
      return control;
    },
    off(type, listener) {
      checkListener('off', type, listener);
      const set = listeners.get(type);
      // A listener added with once() is wrapped; off() takes the original, as with EventEmitter.
      const added = [...(set ?? [])].find((l) => l === listener || onceOf.get(l) === listener);
      if (added !== undefined) set!.delete(added);
      if (type === 'transition') inspectTransitions();
      return control;
    },
    once(type, listener) {
      checkListener('once', type, listener);
      const wrapped = ((event: ControlEventMap[typeof type]) => {
        control.off(type, wrapped);
        listener(event);
      }) as typeof listener;
      onceOf.set(wrapped as (event: never) => void, listener);
      return control.on(type, wrapped);
    },
    close() {
      if (state().status !== 'active') return;
      signals?.unbind();
      unsubscribe();
      if (Object.keys(state().context.workers).length > 0) port.killAll();
      actor.stop();
      port.close();
    },
  };
  if (options.signals !== false && !failed()) signals = bindProcessSignals(control, port);
  return { control, reportError };
}

/** Which give-up limit the crashes went over, in words. */
function limitPassed({ cause, exits }: LimitPassed, settings: SupervisionSettings): string {
  return cause === 'window'
    ? `${exits} unexpected exits within restartWindow (${settings.restartWindow} ms)`
    : `${exits} crashes in a row, each at startup or younger than minRestartAge (${settings.minRestartAge} ms)`;
}

type LimitPassed = { cause: GiveUpCause; exits: number };

/** The details of an error about a give-up limit: which one, in words and as figures. */
function limitDetails(passed: LimitPassed, settings: SupervisionSettings) {
  return { reason: limitPassed(passed, settings), cause: passed.cause, exits: passed.exits, window: settings.restartWindow, maxRestarts: settings.maxRestarts };
}

/** CC_ERR_CONTROL_GAVE_UP, saying which limit the crashes went over. */
function gaveUpError(giveUp: LimitPassed, settings: SupervisionSettings) {
  return createError('CC_ERR_CONTROL_GAVE_UP', limitDetails(giveUp, settings));
}

/** CC_ERR_RESTART_ABANDONED: the rollout's own crashes passed the give-up limits while older workers served. */
function abandonedError({ generation, ...passed }: LimitPassed & { generation: number }, settings: SupervisionSettings) {
  return createError('CC_ERR_RESTART_ABANDONED', { generation, ...limitDetails(passed, settings) });
}

/** CC_WRN_002: a listener threw and no `error` listener heard it. */
function warnListenerThrew(type: ControlEventType, thrown: unknown): void {
  const { message, stack } = asError(thrown);
  process.emitWarning(`clusterchart: ${warningCodes.CC_WRN_002} (${type}: ${message})`, { code: 'CC_WRN_002', ...(stack === undefined ? {} : { detail: stack }) });
}

/**
 * A method of the control as its messages name it: `setSize()`. The control server says the
 * CLI's command instead (`commandsIn` in server/protocol.ts).
 */
const called = (method: string) => `${method}()`;

/** CC_ERR_ARGUMENT_INVALID: a method of the control was called with what it cannot take. */
function badArgument(method: string, reason: string) {
  return createError('CC_ERR_ARGUMENT_INVALID', { method: called(method), reason });
}

function checkCount(method: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw badArgument(method, `expected a whole number ≥ 0, got ${describeValue(n)}`);
  return n;
}

/**
 * stop()'s options: `{ force?: boolean }`. Returns `force`. What is not an object is taken for
 * no options, as before this check existed: `process.on('SIGTERM', control.stop)` passes the
 * signal's name.
 */
function checkStopOptions(options: unknown): boolean {
  if (typeof options !== 'object' || options === null) return false;
  if (Array.isArray(options)) throw badArgument('stop', `expected { force?: boolean }, got ${describeValue(options)}`);
  for (const [key, value] of Object.entries(options)) {
    if (key !== 'force') throw badArgument('stop', `unknown option ${key}${didYouMean(key, ['force'])}`);
    if (typeof value !== 'boolean' && value !== undefined) throw badArgument('stop', `force is true or false, got ${describeValue(value)}`);
  }
  return (options as { force?: boolean }).force === true;
}

/** An event name on(), off() or once() knows, and a function to call. */
function checkListener(method: string, type: unknown, listener: unknown): void {
  if (typeof type !== 'string' || !(controlEventTypes as readonly string[]).includes(type)) {
    throw badArgument(method, `unknown event ${describeValue(type)}${typeof type === 'string' ? didYouMean(type, controlEventTypes) : ''}`);
  }
  if (typeof listener !== 'function') throw badArgument(method, `the listener of ${type} must be a function, got ${describeValue(listener)}`);
}
