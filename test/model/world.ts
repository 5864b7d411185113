/**
 * The abstract test model: the worker and control statecharts as DESIGN.md specifies them,
 * written here independently of src/machines, together with the simulated cluster they run
 * on and its clock. It is the oracle of the model-based tests: paths are generated from it
 * (test/model/paths.ts) and each step is compared with the real runtime
 * (test/model/runner.ts). Changing a transition of a real machine makes the runtime part
 * from this model on the first path that takes it.
 *
 * Why a model and not `createTestModel(controlMachine)`: the graph utilities refuse `after`
 * and cannot run spawned children. Here every delay is an explicit event (`delay.<name>`:
 * advance the simulated clock to exactly that timer), every worker is a record in the
 * state, and the world's free choices (a worker comes online, gets ready, crashes, hangs)
 * are events too. Whatever the simulated cluster does on its own (exit 1 ms after SIGKILL,
 * drain and exit after a disconnect) the model does at the same instant.
 *
 * The order in which one stimulus ripples through the actors follows XState's actor
 * semantics, which the runtime inherits: one mailbox per actor, an actor that is idle
 * processes a message at once (nested), `sendTo`, spawning, timers and `emit` take effect
 * when the sender's macrostep ends, custom actions (the port calls) run during it, raised
 * events and eventless transitions run inside the macrostep. Only the *decisions* in each
 * state come from DESIGN.md; the one pure function shared with the code is `reconcile()`
 * (which workers to fork or shut down), which has its own tests.
 */
import { freeSlots, reconcile, type RolloutStep, type WorkerView } from '../../src/machines/reconcile.js';
import { type SettingsInput, type SupervisionSettings, normalizeSettings } from '../../src/options.js';


/** A script time that never comes within a path. */
export const NEVER = 1e9;

export type WorkerStateName =
  | 'starting'
  | 'online.booting'
  | 'online.ready'
  | 'disconnecting'
  | 'exiting.terminating'
  | 'exiting.killing'
  | 'exited';

type StopReason = 'shutdown' | 'terminate' | 'startupTimeout' | 'startupDisconnect' | 'disconnect';

export interface ModelExit {
  id: number;
  generation: number;
  code: number | null;
  signal: string | null;
  phase: 'startup' | 'runtime' | 'stopping';
  expected: boolean;
  age: number;
  at: number;
}

export interface ModelWorker {
  id: number;
  slot: number;
  gen: number;
  adopted: boolean;
  state: WorkerStateName;
  stopReason: StopReason | null;
  pid: number | null;
  forkAt: number | null;
  onlineAt: number | null;
  exit: ModelExit | null;
}

/** What a simulated process will do, decided by the path (see the `plan` of each process). */
export interface ProcessPlan {
  onlineAfter: number;
  exitAtStart: boolean;
  readyAfter: number | null;
  disconnectAfter: number | null;
  drainTime: number;
  ignoreDisconnect: boolean;
  ignoreTerm: boolean;
}

/** A process that does nothing on its own within a path (until the path plans otherwise). */
export const inertPlan: ProcessPlan = Object.freeze({
  onlineAfter: NEVER,
  exitAtStart: false,
  readyAfter: null,
  disconnectAfter: null,
  drainTime: NEVER,
  ignoreDisconnect: true,
  ignoreTerm: true,
});

/** One simulated worker process, as simulated-cluster.ts runs it. */
export interface ModelProcess {
  handle: number;
  pid: number;
  id: number | null;
  foreign: boolean;
  phase: 'starting' | 'online' | 'disconnected' | 'exited';
  forkAt: number;
  onlineAt: number | null;
  readyDone: boolean;
  selfDisconnectDone: boolean;
  /** A requested disconnect the process accepted (it was online), and when. */
  disconnectAt: number | null;
  /** SIGTERM received and not obeyed within its 1 ms: the process ignores SIGTERM. */
  termIgnored: boolean;
  plan: ProcessPlan;
}

export type TimerKind =
  // worker machine delays
  | 'startupTimeout'
  | 'bootTimeout'
  | 'shutdownTimeout'
  | 'terminateTimeout'
  // control machine delays
  | 'restartProbation'
  | 'throttle'
  | 'minRestartAge'
  // what the simulated process does on its own
  | 'sigkillExit'
  | 'selfDisconnectExit'
  // SIGTERM's exit 1 ms later, unless the process ignores SIGTERM (decided by the path)
  | 'sigtermExit';

export interface ModelTimer {
  due: number;
  seq: number;
  kind: TimerKind;
  /** 'control', a worker id, or a process handle (`p<handle>`). */
  owner: 'control' | number | `p${number}`;
}

export type RolloutState = 'idle' | 'restarting.canary' | 'restarting.probation' | 'restarting.rolling';
export type HealthState = 'ok' | 'danger.backoff' | 'danger.probing.aging' | 'danger.probing.awaitingReady';

export interface ControlPart {
  top: 'idle' | 'running' | 'stopping' | 'stopped';
  sizeRegion: 'steady' | 'resizing';
  rollout: RolloutState;
  health: HealthState;
  size: number | null;
  rolloutSize: number | null;
  generation: number;
  nextId: number;
  forksBySlot: Record<number, number>;
  throttle: number;
  /** In danger, the first id of the workers forked since the backoff ended: the probes. */
  probeFrom: number;
  recentExits: number[];
  /** The rollout's own crashes (its new generation's, while an older one serves), in the window. */
  rolloutExits: number[];
  stopReason: 'stop' | 'giveup' | null;
  /** Workers over maxMemory, replaced before they go, until they exit. */
  retiring: number[];
}

export interface ModelState {
  settings: SupervisionSettings;
  now: number;
  seq: number;
  depth: number;
  control: ControlPart;
  workers: Record<number, ModelWorker>;
  procs: ModelProcess[];
  timers: ModelTimer[];
  /** Effects of the last stimulus: port calls and emitted events, as comparable strings. */
  calls: string[];
  emitted: string[];
  /** The model's own transitions taken during the last stimulus (to choose paths that cover them). */
  taken: string[];
  strays: number;
  /** Messages the app's workers sent to the primary so far. */
  messages: number;
}

/** A stimulus: a command to the control, a free choice of the world, or time passing. Workers by index (id order). */
export type Stimulus =
  | { type: 'control.start' }
  | { type: 'control.stop'; force: boolean }
  | { type: 'control.setSize'; size: number }
  | { type: 'control.add' }
  | { type: 'control.remove' }
  | { type: 'control.restart' }
  | { type: 'control.shutdown'; w?: number }
  | { type: 'control.terminate'; w?: number }
  /** The memory watch read worker w over maxMemory. */
  | { type: 'control.overMemory'; w: number }
  | { type: 'world.online'; w: number }
  | { type: 'world.ready'; w: number }
  | { type: 'world.exitAtStart'; w: number }
  | { type: 'world.disconnectSelf'; w: number }
  | { type: 'world.drained'; w: number }
  | { type: 'world.obeySigterm' }
  | { type: 'world.crash'; w: number }
  | { type: 'world.exitFirst'; w: number }
  | { type: 'world.forkExternal' }
  | { type: 'world.strayFact' }
  | { type: 'world.message'; w: number }
  | { type: `delay.${TimerKind}`; w?: number }
  | { type: 'time.idle' };

/** How long `time.idle` lets a quiet world run: longer than every delay, so workers grow old. */
export const IDLE = 500;

/** The delays of the model runs: distinct, so no two timers armed together ever tie. */
export const modelTimings = {
  startupTimeout: 90,
  shutdownTimeout: 50,
  terminateTimeout: 30,
  restartProbation: 70,
  restartConcurrency: 1,
  throttleDelay: 20,
  maxThrottleDelay: 40,
  minRestartAge: 60,
  restartWindow: Infinity,
} satisfies SettingsInput;

export function initialState(input: SettingsInput): ModelState {
  const settings = normalizeSettings(input, 1);
  return {
    settings,
    now: 0,
    seq: 0,
    depth: 0,
    control: {
      top: 'idle',
      sizeRegion: 'resizing',
      rollout: 'idle',
      health: 'ok',
      size: settings.size,
      rolloutSize: null,
      generation: 1,
      nextId: 1,
      probeFrom: 1,
      forksBySlot: {},
      throttle: settings.throttleDelay,
      recentExits: [],
      rolloutExits: [],
      stopReason: null,
      retiring: [],
    },
    workers: {},
    procs: [],
    timers: [],
    calls: [],
    emitted: [],
    taken: [],
    strays: 0,
    messages: 0,
  };
}

// ---------------------------------------------------------------------------------------
// Events inside the model (what the actors receive)

type Fact =
  | { type: 'cluster.fork'; id: number | null; handle?: number; pid: number; at: number }
  | { type: 'cluster.online'; id: number; at: number }
  | { type: 'cluster.listening'; id: number; at: number }
  | { type: 'cluster.disconnect'; id: number; at: number }
  | { type: 'cluster.exit'; id: number; code: number | null; signal: string | null; at: number }
  | { type: 'worker.ready'; id: number; at: number }
  | { type: 'cluster.message'; id: number; message: unknown; at: number };

type WorkerCommand = { type: 'control.shutdown' } | { type: 'control.terminate' };
type TimerEvent = { type: 'timer'; kind: TimerKind };
type WorkerEvent = Fact | WorkerCommand | TimerEvent;

type ControlEvent =
  | Fact
  | TimerEvent
  | { type: 'control.start' }
  | { type: 'control.stop'; force: boolean }
  | { type: 'control.setSize'; size: number }
  | { type: 'control.add'; n: number }
  | { type: 'control.remove'; n: number }
  | { type: 'control.restart' }
  | { type: 'control.shutdown'; id?: number }
  | { type: 'control.terminate'; id?: number }
  | { type: 'control.overMemory'; id: number }
  | { type: 'worker.serving'; id: number }
  | { type: 'worker.stopping'; id: number; how: 'shutdown' | 'terminate' | 'kill' }
  | { type: 'worker.failing'; id: number }
  | { type: 'done'; exit: ModelExit }
  | { type: 'control.reconcile' }
  | { type: 'control.giveUp' }
  | { type: 'control.abandonRollout' }
  | { type: 'control.workerReady'; id: number }
  | { type: 'control.probeReady' }
  | { type: 'control.workerExit'; exit: ModelExit };

type Actor = 'control' | number;

// ---------------------------------------------------------------------------------------

/** Sorted worker ids; stimuli name workers by their index in this list. */
export const workerIds = (s: ModelState) =>
  Object.keys(s.workers)
    .map(Number)
    .sort((a, b) => a - b);

export const procOf = (s: ModelState, id: number) => s.procs.find((p) => p.id === id && p.phase !== 'exited') ?? s.procs.find((p) => p.id === id);

/** The worker's status as the control's reconciler sees it (DESIGN.md "Reconcile"). */
export function statusOf(w: ModelWorker): WorkerView['status'] | 'exited' {
  switch (w.state) {
    case 'exited':
      return 'exited';
    case 'online.ready':
      return 'ready';
    case 'starting':
    case 'online.booting':
      return 'starting';
    default:
      return w.stopReason === 'shutdown' || w.stopReason === 'terminate' ? 'stopping' : 'failing';
  }
}

export function viewsOf(s: ModelState): WorkerView[] {
  return workerIds(s)
    .map((id) => s.workers[id]!)
    .filter((w) => statusOf(w) !== 'exited')
    .map((w) => ({ id: w.id, slot: w.slot, generation: w.gen, status: statusOf(w) as WorkerView['status'] }));
}

const effectiveSize = (c: ControlPart) => c.size ?? c.rolloutSize;

/** At size: outside a rollout exactly `size` live workers, all ready; during one, ready ≥ size within the surge. */
export function atSize(s: ModelState): boolean {
  const size = effectiveSize(s.control);
  if (size === null) return true;
  const active = viewsOf(s).filter((w) => w.status !== 'stopping');
  const ready = active.filter((w) => w.status === 'ready').length;
  const rolling = active.some((w) => w.generation < s.control.generation);
  return rolling ? ready >= size && active.length <= size + s.settings.restartConcurrency : active.length === size && ready === size;
}

const hasOldWorkers = (s: ModelState) => Object.values(s.workers).some((w) => w.gen < s.control.generation);

/** Phase and expectedness of an exit (DESIGN.md: expected only when the control asked for it). */
function classify(state: WorkerStateName, reason: StopReason | null): { phase: ModelExit['phase']; expected: boolean } {
  if (state === 'starting' || state === 'online.booting') return { phase: 'startup', expected: false };
  if (state === 'online.ready') return { phase: 'runtime', expected: false };
  if (reason === 'startupTimeout' || reason === 'startupDisconnect') return { phase: 'startup', expected: false };
  if (reason === 'shutdown' || reason === 'terminate') return { phase: 'stopping', expected: true };
  return { phase: 'runtime', expected: false };
}

const exitLabel = (e: ModelExit) => `exit#${e.id}:${e.phase}:${e.expected ? 'expected' : 'unexpected'}`;

/**
 * Runs one stimulus on a copy of `state`. The caller has checked that it is enabled
 * (`stimuliOf`); the result is the world at rest again.
 */
export function step(state: ModelState, stimulus: Stimulus): ModelState {
  const s: ModelState = structuredClone(state);
  s.calls = [];
  s.emitted = [];
  s.taken = [];
  s.depth++;
  new Engine(s).stimulate(stimulus);
  return s;
}

class Engine {
  private readonly queues = new Map<Actor, Array<ControlEvent | WorkerEvent>>();
  private readonly busy = new Set<Actor>();
  /** Effects deferred to the end of the current macrostep, per actor (XState's `defer`). */
  private deferred: Array<() => void> = [];
  private internal: ControlEvent[] = [];

  constructor(private readonly s: ModelState) {}

  // ----- the world's stimuli ------------------------------------------------------------

  stimulate(x: Stimulus): void {
    const s = this.s;
    const id = (w: number | undefined) => (w === undefined ? undefined : workerIds(s)[w]!);
    switch (x.type) {
      case 'control.start':
      case 'control.restart':
        return this.deliver('control', { type: x.type });
      case 'control.stop':
        return this.deliver('control', { type: 'control.stop', force: x.force });
      case 'control.setSize':
        return this.deliver('control', { type: 'control.setSize', size: x.size });
      case 'control.add':
        return this.deliver('control', { type: 'control.add', n: 1 });
      case 'control.remove': {
        // The facade refuses a count past the size (a typo, not a way to scale to nothing).
        const c = s.control;
        if (c.top === 'running' && (c.size ?? this.liveCount()) < 1) return;
        return this.deliver('control', { type: 'control.remove', n: 1 });
      }
      case 'control.shutdown':
      case 'control.terminate': {
        const target = id(x.w);
        return this.deliver('control', target === undefined ? { type: x.type } : { type: x.type, id: target });
      }
      case 'control.overMemory':
        return this.deliver('control', { type: 'control.overMemory', id: id(x.w)! });
      case 'world.crash':
        return this.exitProcess(procOf(s, id(x.w)!)!, 1, null);
      case 'world.exitFirst': {
        // node:cluster may report `exit` before `disconnect`; node-cluster.ts then forgets the
        // worker, so the disconnect never reaches the control.
        const p = procOf(s, id(x.w)!)!;
        p.phase = 'exited';
        this.s.timers = this.s.timers.filter((t) => t.owner !== `p${p.handle}`);
        return this.report({ type: 'cluster.exit', id: p.id!, code: 1, signal: null });
      }
      case 'world.forkExternal': {
        const p = this.newProcess(null);
        this.report({ type: 'cluster.fork', id: null, handle: p.handle, pid: p.pid });
        return;
      }
      case 'world.strayFact':
        s.strays++;
        return this.report({ type: 'cluster.fork', id: 99, pid: 99 });
      case 'world.message':
        s.messages++;
        return this.report({ type: 'cluster.message', id: id(x.w)!, message: 'app' });
      case 'time.idle':
        return this.advance(IDLE);
      case 'world.obeySigterm':
        return this.advance(1, true);
      default:
        break;
    }
    if (x.type.startsWith('delay.')) {
      const due = Math.min(...s.timers.filter((t) => t.kind !== 'sigtermExit').map((t) => t.due));
      return this.advance(due - s.now);
    }
    // A free fact of one process: its script makes it happen 1 ms from now.
    const p = procOf(s, id((x as { w: number }).w)!)!;
    this.advance(1);
    switch (x.type) {
      case 'world.online':
        p.plan.onlineAfter = s.now - p.forkAt;
        p.phase = 'online';
        p.onlineAt = s.now;
        return this.report({ type: 'cluster.online', id: p.id! });
      case 'world.exitAtStart':
        p.plan.onlineAfter = s.now - p.forkAt;
        p.plan.exitAtStart = true;
        return this.exitProcess(p, 1, null);
      case 'world.ready':
        p.plan.readyAfter = s.now - p.onlineAt!;
        p.readyDone = true;
        this.report({ type: 'cluster.listening', id: p.id! });
        return this.report({ type: 'worker.ready', id: p.id! });
      case 'world.disconnectSelf':
        p.plan.disconnectAfter = s.now - p.onlineAt!;
        p.selfDisconnectDone = true;
        p.phase = 'disconnected';
        this.report({ type: 'cluster.disconnect', id: p.id! });
        return this.arm({ kind: 'selfDisconnectExit', owner: `p${p.handle}` }, 1);
      case 'world.drained':
        p.plan.drainTime = s.now - p.disconnectAt!;
        p.plan.ignoreDisconnect = false;
        p.phase = 'disconnected';
        this.report({ type: 'cluster.disconnect', id: p.id! });
        return this.exitProcess(p, 0, null);
      default:
        throw new Error(`unknown stimulus ${JSON.stringify(x)}`);
    }
  }

  /** Moves the clock, firing due timers in (due, seq) order, as the simulated clock does. */
  private advance(ms: number, obeySigterm = false): void {
    const s = this.s;
    const target = s.now + ms;
    if (!obeySigterm) this.ignoreSigterms(target);
    for (;;) {
      const due = s.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (due === undefined) break;
      s.timers.splice(s.timers.indexOf(due), 1);
      s.now = due.due;
      this.fire(due);
    }
    s.now = target;
  }

  /** A SIGTERM whose exit the path does not take at the next ms: that process ignores SIGTERM. */
  private ignoreSigterms(target: number): void {
    for (const t of this.s.timers.filter((t) => t.kind === 'sigtermExit' && t.due <= target)) {
      this.s.timers.splice(this.s.timers.indexOf(t), 1);
      this.s.procs[Number(String(t.owner).slice(1)) - 1]!.termIgnored = true;
    }
  }

  private fire(t: ModelTimer): void {
    if (typeof t.owner === 'string' && t.owner.startsWith('p')) {
      const p = this.s.procs[Number(t.owner.slice(1)) - 1]!;
      if (t.kind === 'sigtermExit') {
        p.plan.ignoreTerm = false;
        return this.exitProcess(p, null, 'SIGTERM');
      }
      if (t.kind === 'sigkillExit') return this.exitProcess(p, null, 'SIGKILL');
      return this.exitProcess(p, 1, null);
    }
    this.deliver(t.owner as Actor, { type: 'timer', kind: t.kind });
  }

  private arm(timer: Omit<ModelTimer, 'due' | 'seq'>, delay: number): void {
    this.s.timers.push({ ...timer, due: this.s.now + delay, seq: ++this.s.seq });
  }

  private cancel(owner: ModelTimer['owner'], kind: TimerKind): void {
    this.s.timers = this.s.timers.filter((t) => !(t.owner === owner && t.kind === kind));
  }

  // ----- the simulated cluster (simulated-cluster.ts) -------------------------------------

  private newProcess(id: number | null): ModelProcess {
    const s = this.s;
    const handle = s.procs.length + 1;
    const p: ModelProcess = {
      handle,
      pid: 999 + handle,
      id,
      foreign: id === null,
      phase: 'starting',
      forkAt: s.now,
      onlineAt: null,
      readyDone: false,
      selfDisconnectDone: false,
      disconnectAt: null,
      termIgnored: false,
      plan: { ...inertPlan },
    };
    s.procs.push(p);
    return p;
  }

  private report(fact: Record<string, unknown>): void {
    this.deliver('control', { ...fact, at: this.s.now } as Fact);
  }

  private exitProcess(p: ModelProcess, code: number | null, signal: string | null): void {
    if (p.phase === 'exited') return;
    this.s.timers = this.s.timers.filter((t) => t.owner !== `p${p.handle}`);
    const wasOnline = p.phase === 'online';
    p.phase = 'exited';
    if (p.id === null) return;
    if (wasOnline) this.report({ type: 'cluster.disconnect', id: p.id });
    this.report({ type: 'cluster.exit', id: p.id, code, signal });
  }

  private portFork(id: number, slot: number, generation: number): void {
    this.s.calls.push(`fork#${id}(slot ${slot}, gen ${generation})`);
    const p = this.newProcess(id);
    this.report({ type: 'cluster.fork', id, pid: p.pid });
  }

  private portAdopt(handle: number, id: number): void {
    this.s.calls.push(`adopt#${id}`);
    this.s.procs[handle - 1]!.id = id;
  }

  private portDisconnect(id: number): void {
    this.s.calls.push(`disconnect#${id}`);
    const p = procOf(this.s, id);
    if (p === undefined || p.phase !== 'online' || p.disconnectAt !== null) return;
    p.disconnectAt = this.s.now;
  }

  private portSignal(id: number, signal: 'SIGTERM' | 'SIGKILL'): void {
    this.s.calls.push(`signal#${id}:${signal}`);
    const p = procOf(this.s, id);
    if (p === undefined || p.phase === 'exited') return;
    if (signal === 'SIGTERM') {
      if (!p.termIgnored) this.arm({ kind: 'sigtermExit', owner: `p${p.handle}` }, 1);
      return;
    }
    this.arm({ kind: 'sigkillExit', owner: `p${p.handle}` }, 1);
  }

  // ----- actors: one mailbox each ---------------------------------------------------------

  private deliver(to: Actor, event: ControlEvent | WorkerEvent): void {
    if (to !== 'control' && this.s.workers[to] === undefined) return;
    let queue = this.queues.get(to);
    if (queue === undefined) this.queues.set(to, (queue = []));
    queue.push(event);
    if (this.busy.has(to)) return;
    this.busy.add(to);
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (to === 'control') this.controlMacrostep(next as ControlEvent);
      else this.workerMacrostep(to, next as WorkerEvent);
    }
    this.busy.delete(to);
  }

  /** Runs `fn` as one actor's macrostep with its own deferred effects, run when it ends. */
  private macrostep(fn: () => void): void {
    const saved = this.deferred;
    const savedInternal = this.internal;
    this.deferred = [];
    this.internal = [];
    fn();
    const deferred = this.deferred;
    this.deferred = saved;
    this.internal = savedInternal;
    while (deferred.length > 0) deferred.shift()!();
  }

  private emit(event: string): void {
    this.deferred.push(() => this.s.emitted.push(event));
  }

  // ----- the worker chart (DESIGN.md "Worker statechart") ---------------------------------

  /** Starts a spawned worker: it forks (unless adopted) and arms the startup timeout. */
  private startWorker(id: number): void {
    const w = this.s.workers[id];
    if (w === undefined) return;
    this.macrostep(() => this.enterWorker(w, 'starting'));
  }

  private workerMacrostep(id: number, event: WorkerEvent): void {
    const w = this.s.workers[id]!;
    if (w.state === 'exited') return;
    this.macrostep(() => this.workerTransition(w, event));
    if ((w.state as WorkerStateName) === 'exited') this.deliver('control', { type: 'done', exit: w.exit! });
  }

  private workerTransition(w: ModelWorker, e: WorkerEvent): void {
    const from = w.state;
    const reason = w.stopReason;
    this.workerTransitionOf(w, e);
    if (w.state !== from || w.stopReason !== reason || e.type === 'cluster.fork') {
      this.s.taken.push(`worker ${from} --${e.type === 'timer' ? e.kind : e.type}--> ${w.state}${w.stopReason === null ? '' : ` (${w.stopReason})`}`);
    }
  }

  private workerTransitionOf(w: ModelWorker, e: WorkerEvent): void {
    const requested = (reason: 'shutdown' | 'terminate') => {
      w.stopReason = w.stopReason === 'shutdown' || w.stopReason === 'terminate' ? w.stopReason : reason;
    };
    const go = (to: WorkerStateName) => this.moveWorker(w, to);
    /** The `online` parent's own transitions, shared by `booting` and `ready`. */
    const online = () => {
      if (e.type === 'control.shutdown') {
        requested('shutdown');
        return go('disconnecting');
      }
      if (e.type === 'control.terminate') {
        requested('terminate');
        return go('exiting.terminating');
      }
    };
    const exit = (as: WorkerStateName) => {
      const fact = e as Extract<Fact, { type: 'cluster.exit' }>;
      w.exit = {
        id: w.id,
        generation: w.gen,
        code: fact.code,
        signal: fact.signal,
        ...classify(as, w.stopReason),
        age: w.forkAt === null ? 0 : Math.max(0, fact.at - w.forkAt),
        at: fact.at,
      };
      go('exited');
    };
    if (e.type === 'cluster.fork') {
      w.pid = e.pid;
      w.forkAt = w.forkAt ?? e.at;
      return;
    }
    switch (w.state) {
      case 'starting':
        if (e.type === 'cluster.online') {
          w.onlineAt = e.at;
          return go('online.booting');
        }
        if (e.type === 'cluster.exit') return exit('starting');
        if (e.type === 'control.shutdown' || e.type === 'control.terminate') {
          requested(e.type === 'control.shutdown' ? 'shutdown' : 'terminate');
          return go('exiting.terminating');
        }
        if (e.type === 'timer' && e.kind === 'startupTimeout') {
          w.stopReason = 'startupTimeout';
          return go('exiting.terminating');
        }
        return;
      case 'online.booting':
        if (e.type === 'cluster.listening' && this.s.settings.readyOn === 'listening') return go('online.ready');
        if (e.type === 'worker.ready' && this.s.settings.readyOn === 'message') return go('online.ready');
        if (e.type === 'cluster.exit') return exit('online.booting');
        if (e.type === 'cluster.disconnect') {
          w.stopReason = 'startupDisconnect';
          return go('disconnecting');
        }
        if (e.type === 'timer' && e.kind === 'bootTimeout') {
          w.stopReason = 'startupTimeout';
          return go('exiting.terminating');
        }
        return online();
      case 'online.ready':
        if (e.type === 'cluster.exit') return exit('online.ready');
        if (e.type === 'cluster.disconnect') {
          w.stopReason = 'disconnect';
          return go('disconnecting');
        }
        return online();
      case 'disconnecting':
        if (e.type === 'cluster.exit') return exit('disconnecting');
        if (e.type === 'timer' && e.kind === 'shutdownTimeout') return go('exiting.terminating');
        if (e.type === 'control.shutdown') return requested('shutdown');
        if (e.type === 'control.terminate') {
          requested('terminate');
          return go('exiting.terminating');
        }
        return;
      case 'exiting.terminating':
      case 'exiting.killing':
        if (e.type === 'cluster.exit') return exit(w.state);
        if (e.type === 'timer' && e.kind === 'terminateTimeout') return go('exiting.killing');
        if (e.type === 'control.shutdown') return requested('shutdown');
        if (e.type === 'control.terminate') return requested('terminate');
        return;
      default:
        return;
    }
  }

  /** Leaves the worker's state and enters `to`, with each state's entry effects and delays. */
  private moveWorker(w: ModelWorker, to: WorkerStateName): void {
    const timerOf: Partial<Record<WorkerStateName, TimerKind>> = {
      starting: 'startupTimeout',
      'online.booting': 'bootTimeout',
      disconnecting: 'shutdownTimeout',
      'exiting.terminating': 'terminateTimeout',
    };
    const leaving = timerOf[w.state];
    if (leaving !== undefined) this.deferred.push(() => this.cancel(w.id, leaving));
    this.enterWorker(w, to);
  }

  private enterWorker(w: ModelWorker, to: WorkerStateName): void {
    const s = this.s;
    w.state = to;
    const notify = (event: ControlEvent): void => {
      this.deferred.push(() => this.deliver('control', event));
    };
    const after = (kind: TimerKind, delay: number): void => {
      this.deferred.push(() => this.arm({ kind, owner: w.id }, delay));
    };
    switch (to) {
      case 'starting':
        if (!w.adopted) this.portFork(w.id, w.slot, w.gen);
        return after('startupTimeout', s.settings.startupTimeout);
      case 'online.booting':
        if (s.settings.readyOn === 'online') return this.enterWorker(w, 'online.ready');
        return after(
          'bootTimeout',
          w.forkAt === null || w.onlineAt === null ? s.settings.startupTimeout : Math.max(0, s.settings.startupTimeout - (w.onlineAt - w.forkAt)),
        );
      case 'online.ready':
        return notify({ type: 'worker.serving', id: w.id });
      case 'disconnecting':
        // Disconnected on its own: nothing to close, no shutdown to announce; the control takes
        // a step on the notice all the same.
        if (w.stopReason === 'shutdown' || w.stopReason === 'terminate') {
          this.portDisconnect(w.id);
          notify({ type: 'worker.stopping', id: w.id, how: 'shutdown' });
        } else notify({ type: 'worker.failing', id: w.id });
        return after('shutdownTimeout', s.settings.shutdownTimeout);
      case 'exiting.terminating':
        this.portSignal(w.id, 'SIGTERM');
        notify({ type: 'worker.stopping', id: w.id, how: 'terminate' });
        return after('terminateTimeout', s.settings.terminateTimeout);
      case 'exiting.killing':
        this.portSignal(w.id, 'SIGKILL');
        return notify({ type: 'worker.stopping', id: w.id, how: 'kill' });
      default:
        return;
    }
  }

  // ----- the control chart (DESIGN.md "Control statechart") -------------------------------

  private controlMacrostep(event: ControlEvent): void {
    this.macrostep(() => {
      this.controlMicrostep(event);
      for (;;) {
        if (this.controlEventless()) continue;
        const next = this.internal.shift();
        if (next === undefined) break;
        this.controlMicrostep(next);
      }
    });
  }

  private raise(event: ControlEvent): void {
    this.internal.push(event);
  }

  private controlMicrostep(e: ControlEvent): void {
    const c = this.s.control;
    // With the sizes it read: the same transition with another size context is another case.
    const before = `${controlLabel(c)}[size ${c.size}, rollout size ${c.rolloutSize}]`;
    this.controlMicrostepOf(e);
    this.s.taken.push(`control ${before} --${e.type === 'timer' ? e.kind : e.type}--> ${controlLabel(c)}`);
  }

  private controlMicrostepOf(e: ControlEvent): void {
    const c = this.s.control;
    switch (c.top) {
      case 'idle':
      case 'stopped':
        if (e.type === 'control.start') return this.enterRunning();
        if (e.type === 'control.stop' && Object.values(this.s.workers).some((w) => w.state !== 'exited')) {
          c.stopReason = 'stop';
          return this.enterStopping(e.force);
        }
        return this.anyState(e);
      case 'running':
        return this.running(e);
      case 'stopping':
        return this.stopping(e);
    }
  }

  /** Facts reach their worker in every state; a fork the control did not ask for is adopted. */
  private anyState(e: ControlEvent): void {
    if (e.type === 'cluster.fork' && e.id === null) return this.adoptForeign(e);
    if (e.type.startsWith('cluster.') || e.type === 'worker.ready') return this.routeFact(e as Fact);
    if (e.type === 'done') this.recordExit(e.exit);
  }

  private enterRunning(): void {
    const c = this.s.control;
    c.top = 'running';
    c.sizeRegion = 'resizing';
    c.rollout = 'idle';
    c.health = 'ok';
    c.stopReason = null;
    c.rolloutSize = null;
    c.recentExits = [];
    c.rolloutExits = [];
    this.emit('start');
    this.raise({ type: 'control.reconcile' });
  }

  private running(e: ControlEvent): void {
    const s = this.s;
    const c = s.control;
    // The regions first; the running state's own handlers only for what no region takes.
    if (e.type === 'control.restart') return this.restart();
    if (e.type === 'control.workerReady') {
      const w = s.workers[e.id];
      if (c.rollout === 'restarting.canary' && w !== undefined && w.gen === c.generation) this.setRollout('restarting.probation');
      return;
    }
    if (e.type === 'control.workerExit') {
      const olderReady = viewsOf(s).some((w) => w.generation < c.generation && w.status === 'ready');
      // Any crash of an abandoned rollout's generation backs off too, whatever its age.
      const abandonedCrash = !e.exit.expected && e.exit.generation === c.generation && olderReady && c.rollout === 'idle';
      const danger = (!e.exit.expected && (e.exit.phase === 'startup' || e.exit.age < s.settings.minRestartAge)) || abandonedCrash;
      if (c.rollout === 'restarting.probation' && e.exit.generation === c.generation) this.setRollout('restarting.canary');
      if (c.health === 'ok' && danger) {
        c.throttle = s.settings.throttleDelay;
        this.setHealth('danger.backoff');
      } else if (c.health.startsWith('danger.probing') && danger) {
        this.setHealth('danger.backoff');
      } else if (c.health === 'danger.probing.awaitingReady' && this.workersHealthy()) {
        // A probe that left at the control's request is no longer waited for.
        this.becomeSafe();
      }
      return;
    }
    if (e.type === 'control.probeReady') {
      if (c.health === 'danger.probing.awaitingReady' && this.workersHealthy()) this.becomeSafe();
      return;
    }
    if (e.type === 'timer') {
      if (e.kind === 'restartProbation' && c.rollout === 'restarting.probation') {
        this.setRollout('restarting.rolling');
        this.raise({ type: 'control.reconcile' });
      } else if (e.kind === 'throttle' && c.health === 'danger.backoff') {
        c.probeFrom = c.nextId;
        // The next backoff's delay.
        c.throttle = Math.min(c.throttle * 2, s.settings.maxThrottleDelay);
        this.setHealth('danger.probing.aging');
        this.raise({ type: 'control.reconcile' });
      } else if (e.kind === 'minRestartAge' && c.health === 'danger.probing.aging') {
        // Safe only once the probes are ready: an app that hangs at boot is not healthy.
        if (this.workersHealthy()) this.becomeSafe();
        else this.setHealth('danger.probing.awaitingReady');
      }
      return;
    }
    switch (e.type) {
      case 'control.reconcile':
        return this.reconcile();
      case 'control.stop':
        this.leaveRunning();
        return this.enterStopping(e.force);
      case 'control.giveUp':
        this.leaveRunning();
        c.stopReason = 'giveup';
        return this.enterStopping(false);
      // A bad deploy: the rollout ends, its replacements that are not ready go, and the control
      // reconciles once they heard.
      case 'control.abandonRollout': {
        if (c.rollout === 'idle') return;
        this.setRollout('idle');
        c.rolloutSize = null;
        const views = viewsOf(s);
        const serving = Math.min(...views.filter((w) => w.status === 'ready').map((w) => w.generation));
        for (const w of views) {
          if (w.generation > serving && (w.status === 'starting' || w.status === 'failing')) this.sendTo(w.id, { type: 'control.shutdown' });
        }
        return this.sendToSelf({ type: 'control.reconcile' });
      }
      case 'control.setSize':
        c.size = e.size;
        this.emit('setSize');
        return this.raise({ type: 'control.reconcile' });
      case 'control.add':
        c.size = (c.size ?? this.liveCount()) + e.n;
        this.emit('setSize');
        return this.raise({ type: 'control.reconcile' });
      case 'control.remove':
        c.size = Math.max(0, (c.size ?? this.liveCount()) - e.n);
        this.emit('setSize');
        return this.raise({ type: 'control.reconcile' });
      // A command reaches its workers after this step: the control reconciles once they heard
      // it, by an event to itself that queues behind their notices.
      case 'control.shutdown':
      case 'control.terminate':
        this.commandWorkers(e);
        return this.sendToSelf({ type: 'control.reconcile' });
      // A ready worker over maxMemory is replaced before it goes (with a size to keep), or goes
      // as at shutdown(id); a worker not ready, or retiring already, is left alone.
      case 'control.overMemory': {
        const w = s.workers[e.id];
        if (w === undefined || statusOf(w) !== 'ready' || c.retiring.includes(e.id)) return;
        this.emit(`memoryLimit#${e.id}`);
        if (effectiveSize(c) !== null) {
          c.retiring = [...c.retiring, e.id];
          return this.raise({ type: 'control.reconcile' });
        }
        this.commandWorkers({ type: 'control.shutdown', id: e.id });
        return this.sendToSelf({ type: 'control.reconcile' });
      }
      case 'worker.ready':
        return this.routeFact(e);
      case 'worker.serving':
        this.emit(`ready#${e.id}`);
        this.raise({ type: 'control.workerReady', id: e.id });
        if (c.health === 'danger.probing.awaitingReady') this.raise({ type: 'control.probeReady' });
        return this.raise({ type: 'control.reconcile' });
      // The stop was the plan's or a command's, or the worker failed (it counts until its exit).
      case 'worker.stopping':
        return this.emit(`${e.how}#${e.id}`);
      case 'done':
        return this.recordExit(e.exit);
      default:
        break;
    }
    if (e.type === 'cluster.fork' && e.id === null) {
      this.adoptForeign(e);
      return this.raise({ type: 'control.reconcile' });
    }
    // A routed fact reaches its worker after this step: the reconcile comes with the worker's
    // notice or its exit, never with the fact.
    if (e.type.startsWith('cluster.')) this.routeFact(e as Fact);
  }

  /** The size when none is set: the live workers (not shutting down). */
  private liveCount(): number {
    const views = viewsOf(this.s);
    return views.filter((w) => w.status !== 'stopping').length;
  }

  private restart(): void {
    const c = this.s.control;
    c.rolloutExits = [];
    if (c.rollout === 'idle') {
      c.generation++;
      c.rolloutSize = c.size === null ? viewsOf(this.s).filter((w) => w.status !== 'stopping').length : null;
      this.emit('startRestart');
    } else {
      // Coalesced: the generation goes up again and the rollout starts over at its canary.
      c.generation++;
      this.raise({ type: 'control.reconcile' });
    }
    // The outgoing generation yields the CPU to its replacements.
    if (this.s.settings.restartYield > 0) {
      for (const w of viewsOf(this.s)) if (w.generation < c.generation) this.s.calls.push(`lowerPriority#${w.id}`);
    }
    this.setRollout('restarting.canary', true);
    // A restart is a new version: the backoff ends, the new forks are the probes, and their
    // crashes back off from throttleDelay again.
    if (c.health.startsWith('danger')) {
      c.probeFrom = c.nextId;
      c.throttle = this.s.settings.throttleDelay;
      this.setHealth('danger.probing.aging', true);
    }
  }

  private setRollout(to: RolloutState, reenter = false): void {
    const c = this.s.control;
    if (c.rollout === 'restarting.probation' && (to !== c.rollout || reenter)) this.deferred.push(() => this.cancel('control', 'restartProbation'));
    c.rollout = to;
    if (to === 'restarting.canary') this.raise({ type: 'control.reconcile' });
    if (to === 'restarting.probation') this.deferred.push(() => this.arm({ kind: 'restartProbation', owner: 'control' }, this.s.settings.restartProbation));
  }

  private setHealth(to: HealthState, reenter = false): void {
    const c = this.s.control;
    const from = c.health;
    if (from === 'danger.backoff') this.deferred.push(() => this.cancel('control', 'throttle'));
    if (from === 'danger.probing.aging' && (to !== from || reenter)) this.deferred.push(() => this.cancel('control', 'minRestartAge'));
    if (from !== 'ok' && to === 'ok') this.emit('safe');
    if (to === 'danger.backoff') this.emit('danger');
    c.health = to;
    const throttle = c.throttle;
    if (to === 'danger.backoff') this.deferred.push(() => this.arm({ kind: 'throttle', owner: 'control' }, throttle));
    if (to === 'danger.probing.aging') this.deferred.push(() => this.arm({ kind: 'minRestartAge', owner: 'control' }, this.s.settings.minRestartAge));
  }

  /** Every worker still running is ready (or leaving because the control asked), and no probe is of an abandoned rollout's generation. */
  private workersHealthy(): boolean {
    const c = this.s.control;
    const abandoned = c.rolloutExits.length > this.s.settings.maxRestarts;
    return viewsOf(this.s).every((w) => (w.status === 'ready' || w.status === 'stopping') && (w.id < c.probeFrom || !(abandoned && w.generation === c.generation)));
  }

  /** A healthy minRestartAge ended the crash loop. */
  private becomeSafe(): void {
    this.setHealth('ok');
    this.raise({ type: 'control.reconcile' });
  }

  private leaveRunning(): void {
    this.deferred.push(() => {
      this.cancel('control', 'restartProbation');
      this.cancel('control', 'throttle');
      this.cancel('control', 'minRestartAge');
    });
  }

  /** Eventless transitions of the running regions and of stopping; true when one was taken. */
  private controlEventless(): boolean {
    const before = controlLabel(this.s.control);
    const taken = this.controlEventlessOf();
    if (taken) this.s.taken.push(`control ${before} --always--> ${controlLabel(this.s.control)}`);
    return taken;
  }

  private controlEventlessOf(): boolean {
    const s = this.s;
    const c = s.control;
    if (c.top === 'stopping') {
      if (Object.keys(s.workers).length > 0) return false;
      c.top = 'stopped';
      this.emit('stopped');
      return true;
    }
    if (c.top !== 'running') return false;
    const size = c.sizeRegion === 'steady' ? !atSize(s) : atSize(s);
    // Without probation there is no canary: the rollout goes straight on.
    const noCanary = c.rollout === 'restarting.canary' && s.settings.restartProbation === 0;
    const canary =
      !noCanary &&
      c.rollout === 'restarting.canary' &&
      Object.values(s.workers).some((w) => w.gen === c.generation && w.state === 'online.ready');
    // Over once nothing old is left and the replacements serve at the size.
    const rollout = !noCanary && !canary && c.rollout !== 'idle' && !hasOldWorkers(s) && atSize(s);
    if (size) {
      c.sizeRegion = c.sizeRegion === 'steady' ? 'resizing' : 'steady';
      if (c.sizeRegion === 'steady') this.emit('resize');
    }
    if (noCanary) this.setRollout('restarting.rolling');
    if (canary) this.setRollout('restarting.probation');
    if (rollout) {
      if (c.rollout === 'restarting.probation') this.deferred.push(() => this.cancel('control', 'restartProbation'));
      c.rollout = 'idle';
      this.emit('restart');
      c.rolloutSize = null;
      this.raise({ type: 'control.reconcile' });
    }
    return size || noCanary || canary || rollout;
  }

  private enterStopping(force: boolean): void {
    const c = this.s.control;
    c.top = 'stopping';
    c.stopReason = c.stopReason ?? 'stop';
    this.emit('stop');
    this.stopAll(force);
  }

  private stopping(e: ControlEvent): void {
    switch (e.type) {
      case 'control.stop':
        if (e.force) {
          this.emit('stop');
          this.stopAll(true);
        }
        return;
      case 'control.shutdown':
      case 'control.terminate':
        return this.commandWorkers(e);
      case 'worker.stopping':
        return this.emit(`${e.how}#${e.id}`);
      case 'done':
        return this.recordExit(e.exit);
      case 'cluster.fork':
        if (e.id === null) {
          // Adopted only to be stopped too.
          this.adoptForeign(e);
          return this.stopAll(false);
        }
        return this.routeFact(e);
      default:
        return this.anyState(e);
    }
  }

  private stopAll(force: boolean): void {
    for (const id of workerIds(this.s)) this.sendTo(id, { type: force ? 'control.terminate' : 'control.shutdown' });
  }

  private commandWorkers(e: { type: 'control.shutdown' | 'control.terminate'; id?: number }): void {
    const targets = e.id === undefined ? workerIds(this.s) : this.s.workers[e.id] === undefined ? [] : [e.id];
    for (const id of targets) this.sendTo(id, { type: e.type });
  }

  private sendTo(id: number, event: WorkerEvent): void {
    this.deferred.push(() => this.deliver(id, event));
  }

  private sendToSelf(event: ControlEvent): void {
    this.deferred.push(() => this.deliver('control', event));
  }

  private routeFact(e: Fact): void {
    if (e.id === null) return;
    const w = this.s.workers[e.id];
    if (w === undefined) return;
    // An app's message is announced, and not the worker actor's business.
    if (e.type === 'cluster.message') return this.emit(`message#${w.id}`);
    this.sendTo(w.id, e);
    if (e.type === 'cluster.fork' || e.type === 'cluster.online' || e.type === 'cluster.listening' || e.type === 'cluster.disconnect') {
      this.emit(`${e.type.slice('cluster.'.length)}#${w.id}`);
    }
  }

  private adoptForeign(e: Extract<Fact, { type: 'cluster.fork' }>): void {
    const s = this.s;
    const c = s.control;
    const id = c.nextId;
    this.portAdopt(e.handle!, id);
    const [slot = 0] = freeSlots(
      viewsOf(s).filter((w) => w.status !== 'stopping'),
      1,
    );
    c.nextId++;
    // Unsized, a rollout's count grows with a worker the app adds (it is not a surplus).
    if (c.size === null && c.rolloutSize !== null) c.rolloutSize++;
    s.workers[id] = { id, slot, gen: c.generation, adopted: true, state: 'starting', stopReason: null, pid: e.pid, forkAt: e.at, onlineAt: null, exit: null };
    this.deferred.push(() => this.startWorker(id));
    this.emit(`fork#${id}`);
  }

  private reconcile(): void {
    const s = this.s;
    const c = s.control;
    const rollout: RolloutStep = c.rollout === 'restarting.rolling' ? 'rolling' : c.rollout === 'idle' ? 'idle' : 'canary';
    const views = viewsOf(s);
    // One probe at a time: workers forked before it that still boot do not hold it back.
    const unready = views.filter((w) => w.id >= c.probeFrom && (w.status === 'starting' || w.status === 'failing')).length;
    const forkBudget = c.health === 'danger.backoff' ? 0 : c.health.startsWith('danger.probing') ? Math.max(0, 1 - unready) : Infinity;
    const plan = reconcile({
      workers: views,
      size: effectiveSize(c),
      generation: c.generation,
      rollout,
      forkBudget,
      concurrency: s.settings.restartConcurrency,
      retiring: c.retiring,
    });
    for (const id of plan.shutdown) this.sendTo(id, { type: 'control.shutdown' });
    for (const slot of plan.fork) {
      const id = c.nextId++;
      c.forksBySlot[slot] = (c.forksBySlot[slot] ?? 0) + 1;
      s.workers[id] = { id, slot, gen: c.generation, adopted: false, state: 'starting', stopReason: null, pid: null, forkAt: null, onlineAt: null, exit: null };
      this.deferred.push(() => this.startWorker(id));
    }
  }

  private recordExit(exit: ModelExit): void {
    const s = this.s;
    const c = s.control;
    if (s.workers[exit.id] === undefined) return;
    delete s.workers[exit.id];
    c.retiring = c.retiring.filter((id) => id !== exit.id);
    this.emit(exitLabel(exit));
    if (c.top !== 'running') return;
    const since = exit.at - s.settings.restartWindow;
    const olderReady = viewsOf(s).some((w) => w.generation < c.generation && w.status === 'ready');
    // The rollout's own crashes decide its abandonment; every other crash, the give-up.
    if (!exit.expected && c.rollout !== 'idle' && exit.generation === c.generation && olderReady) {
      c.rolloutExits = [...c.rolloutExits.filter((at) => at > since), exit.at];
      // Kept until the next restart: the abandonment is read from them.
      if (c.rolloutExits.length > s.settings.maxRestarts) {
        this.emit('restartAbandoned');
        this.raise({ type: 'control.abandonRollout' });
        return this.raise({ type: 'control.workerExit', exit });
      }
    } else if (!exit.expected && exit.generation === c.generation && olderReady) {
      // The rollout was abandoned: its generation's crashes count toward no limit.
    } else if (!exit.expected) {
      c.recentExits = [...c.recentExits.filter((at) => at > since), exit.at];
      if (c.recentExits.length > s.settings.maxRestarts) {
        this.emit('giveup');
        return this.raise({ type: 'control.giveUp' });
      }
    }
    this.raise({ type: 'control.workerExit', exit });
    // An expected exit was a stopping worker's, which the reconciler no longer counts.
    if (!exit.expected) this.raise({ type: 'control.reconcile' });
  }
}

// ---------------------------------------------------------------------------------------
// What the model shows, in the same words as what the runtime shows (runner.ts).

export interface Observation {
  now: number;
  control: string;
  size: number | null;
  generation: number;
  workers: string[];
}

export function controlLabel(c: ControlPart): string {
  return c.top === 'running' ? `running(size.${c.sizeRegion}, rollout.${c.rollout}, health.${c.health})` : c.top;
}

export function observe(s: ModelState): Observation {
  return {
    now: s.now,
    control: controlLabel(s.control),
    size: s.control.size,
    generation: s.control.generation,
    workers: workerIds(s).map((id) => {
      const w = s.workers[id]!;
      return `#${id} gen ${w.gen} slot ${w.slot} ${w.state}`;
    }),
  };
}
