/**
 * Paths through the abstract model (world.ts), generated with XState's graph utilities
 * (`TestModel` from `xstate/graph`): shortest paths to every abstract state and bounded
 * simple paths. The model is an `ActorLogic` whose snapshot is the whole world; its events
 * are the stimuli enabled in that world (`stimuliOf`).
 *
 * Bounds. The world has unbounded parts (time, ids, generation, forks); each graph is made
 * finite by what `serialize` leaves out and by `stopWhen` (configs.ts sets them per part):
 * - time and ids are left out: two worlds that differ only in instants or in worker ids
 *   behave alike (every rule reads ages, orders and counts, not absolute values); timers
 *   are kept as their firing order, plus whether one is due within the next ms (which
 *   decides which stimuli are possible), and each worker's age as old or young;
 * - size ≤ 3 (`maxSize`; the graphs use 1 and 2): one worker shows every worker rule and
 *   the surge of a rollout (size 1 + restartConcurrency 1), two show a parallel shrink and
 *   the scale-down order; size 3 and more are the random walks' part (walks.test.ts);
 * - generation ≤ 2 (`maxGeneration`), 3 in the rollout graph: one rollout, plus a restart
 *   during a restart (coalescing), the only rule that needs a third;
 * - restarts are capped by `maxRestarts` (3 in the crash-loop graph: the 4th unexpected exit
 *   gives up, which ends the path) and elsewhere by the depth;
 * - live processes ≤ `maxProcesses` (5: size + surge + the ones still stopping);
 * - depth ≤ `maxDepth`: the longest rule each graph must reach (e.g. a rollout of one
 *   worker through canary, probation and rolling: 8 steps) plus one or two.
 * Stimuli name workers by their index in id order, so a path found on one representative
 * of an abstract state replays on any other. Every path is replayed on the model from the
 * start (`replay`) to get its exact instants; a path whose stimulus is not enabled on the
 * replay (two merged worlds differed in an instant that mattered) is cut there.
 */
import { TestModel } from 'xstate/graph';
import type { ActorLogic, Snapshot } from 'xstate';
import type { SettingsInput } from '../../src/options.js';
import { type ModelState, type Stimulus, type TimerKind, initialState, modelTimings, procOf, step, workerIds } from './world.js';

export type Fault = 'online' | 'ready' | 'exitAtStart' | 'disconnectSelf' | 'drained' | 'obeySigterm' | 'crash' | 'exitFirst';
export type Command =
  | 'start'
  | 'stop'
  | 'stopForce'
  | 'setSize'
  | 'add'
  | 'remove'
  | 'restart'
  | 'shutdownOne'
  | 'shutdownAll'
  | 'terminateOne'
  | 'terminateAll'
  /** A reading of maxMemory's watch: worker w is over the limit. */
  | 'overMemory';

export interface ModelConfig {
  name: string;
  settings: SettingsInput;
  commands: readonly Command[];
  faults: readonly Fault[];
  /** Sizes `setSize` may ask for. */
  sizes?: readonly number[];
  /** Workers the app forks itself (adopted), and stray facts (unknown ids), at most. */
  forkExternal?: number;
  strays?: number;
  /** Messages a worker's app sends to the primary, at most. */
  messages?: number;
  /** Only the first worker (id 1) is driven, and the path ends when it has exited. */
  firstWorkerOnly?: boolean;
  maxSize?: number;
  maxGeneration?: number;
  maxProcesses?: number;
  maxDepth: number;
  /** The depth under CLUSTERCHART_DEEP (npm run test:deep); default maxDepth + 2. */
  deepDepth?: number;
  /** Narrows the stimuli further, to keep a configuration's graph on its subject. */
  filter?: (stimulus: Stimulus, state: ModelState) => boolean;
}

export interface PathStep {
  stimulus: Stimulus;
  /** The model after the stimulus, with exact instants. */
  state: ModelState;
}

export interface ModelPath {
  name: string;
  config: ModelConfig;
  steps: PathStep[];
}

type WorldSnapshot = Snapshot<undefined> & { context: ModelState };

const live = (s: ModelState) => s.procs.filter((p) => p.phase !== 'exited').length;
const forcedTimers = (s: ModelState) => s.timers.filter((t) => t.kind !== 'sigtermExit');
const nearDeadline = (s: ModelState) => forcedTimers(s).some((t) => t.due <= s.now + 1);

/** The stimuli enabled in `s` under `config`. */
export function stimuliOf(s: ModelState, config: ModelConfig): Stimulus[] {
  const out: Stimulus[] = [];
  const c = s.control;
  const has = (command: Command) => config.commands.includes(command);
  const can = (fault: Fault) => config.faults.includes(fault);
  const ids = workerIds(s);
  const driven = ids.map((id, w) => ({ id, w })).filter(({ id }) => !config.firstWorkerOnly || id === 1);
  const maxSize = config.maxSize ?? 3;
  const running = c.top === 'running';
  const liveCount = ids.filter((id) => s.workers[id]!.state !== 'exited').length;

  if (has('start') && (c.top === 'idle' || c.top === 'stopped')) out.push({ type: 'control.start' });
  // Stopping an idle or stopped control stops the workers it adopted meanwhile.
  if (has('stop') && (running || liveCount > 0)) out.push({ type: 'control.stop', force: false });
  if (has('stopForce') && (running || c.top === 'stopping')) out.push({ type: 'control.stop', force: true });
  if (running) {
    for (const size of config.sizes ?? []) if (size !== c.size) out.push({ type: 'control.setSize', size });
    if (has('add') && (c.size ?? liveCount) < maxSize) out.push({ type: 'control.add' });
    if (has('remove') && (c.size ?? liveCount) > 0) out.push({ type: 'control.remove' });
    if (has('restart') && c.generation < (config.maxGeneration ?? 2)) out.push({ type: 'control.restart' });
    if (has('overMemory')) for (const { id, w } of driven) if (s.workers[id]!.state !== 'exited') out.push({ type: 'control.overMemory', w });
  }
  if (running || c.top === 'stopping') {
    for (const { id, w } of driven) {
      if (s.workers[id]!.state === 'exited') continue;
      if (has('shutdownOne')) out.push({ type: 'control.shutdown', w });
      if (has('terminateOne')) out.push({ type: 'control.terminate', w });
    }
    if (ids.length > 0 && has('shutdownAll')) out.push({ type: 'control.shutdown' });
    if (ids.length > 0 && has('terminateAll')) out.push({ type: 'control.terminate' });
  }

  const near = nearDeadline(s);
  for (const { id, w } of driven) {
    const p = procOf(s, id);
    if (p === undefined || p.phase === 'exited') continue;
    if (!near && p.phase === 'starting') {
      if (can('online')) out.push({ type: 'world.online', w });
      if (can('exitAtStart')) out.push({ type: 'world.exitAtStart', w });
    }
    if (!near && p.phase === 'online') {
      if (can('ready') && !p.readyDone) out.push({ type: 'world.ready', w });
      if (can('disconnectSelf') && !p.selfDisconnectDone && p.disconnectAt === null) out.push({ type: 'world.disconnectSelf', w });
      if (can('drained') && p.disconnectAt !== null) out.push({ type: 'world.drained', w });
    }
    if (can('crash')) out.push({ type: 'world.crash', w });
    if (can('exitFirst') && p.phase === 'online') out.push({ type: 'world.exitFirst', w });
  }
  if (can('obeySigterm') && s.timers.some((t) => t.kind === 'sigtermExit' && t.due === s.now + 1)) {
    const owners = s.timers.filter((t) => t.kind === 'sigtermExit').map((t) => s.procs[Number(String(t.owner).slice(1)) - 1]!.id);
    if (!config.firstWorkerOnly || owners.includes(1)) out.push({ type: 'world.obeySigterm' });
  }
  const external = s.procs.filter((p) => p.foreign).length < (config.forkExternal ?? 0);
  if (external && (!config.firstWorkerOnly || s.procs.length === 0)) out.push({ type: 'world.forkExternal' });
  if (s.strays < (config.strays ?? 0) && c.top !== 'running') out.push({ type: 'world.strayFact' });
  if (s.messages < (config.messages ?? 0)) {
    for (const { id, w } of driven) if (procOf(s, id)?.phase === 'online') out.push({ type: 'world.message', w });
  }

  const timers = forcedTimers(s).sort((a, b) => a.due - b.due || a.seq - b.seq);
  const next = timers[0];
  if (next !== undefined) {
    const w = typeof next.owner === 'number' ? ids.indexOf(next.owner) : undefined;
    out.push(w === undefined ? { type: `delay.${next.kind}` } : { type: `delay.${next.kind}`, w });
  } else {
    out.push({ type: 'time.idle' });
  }
  return config.filter === undefined ? out : out.filter((x) => config.filter!(x, s));
}

/** The abstract state: what decides behaviour, without instants and ids (see the header). */
export function serialize(s: ModelState): string {
  const c = s.control;
  const ids = workerIds(s);
  const workers = ids.map((id) => {
    const w = s.workers[id]!;
    const p = procOf(s, id);
    return [
      c.generation - w.gen,
      w.state,
      w.stopReason,
      w.adopted,
      p?.phase,
      p?.readyDone,
      p?.selfDisconnectDone,
      p?.disconnectAt !== null,
      p?.termIgnored,
      w.forkAt !== null && s.now - w.forkAt >= s.settings.minRestartAge,
    ];
  });
  const ownerIndex = (owner: string | number) =>
    typeof owner === 'number' ? ids.indexOf(owner) : owner === 'control' ? 'c' : `w${ids.indexOf(s.procs[Number(owner.slice(1)) - 1]!.id ?? -1)}`;
  const timers = [...s.timers]
    .sort((a, b) => a.due - b.due || a.seq - b.seq)
    .map((t, i, all) => `${t.kind}@${ownerIndex(t.owner)}${i > 0 && all[i - 1]!.due === t.due ? '=' : ''}${t.due - s.now <= 1 ? '!' : ''}`);
  return JSON.stringify([
    c.top,
    c.sizeRegion,
    c.rollout,
    c.health,
    c.size,
    c.rolloutSize,
    c.generation,
    c.throttle,
    c.recentExits.length,
    c.rolloutExits.length,
    c.stopReason,
    workers,
    timers,
    s.procs.filter((p) => p.foreign).length,
    s.strays,
    s.messages,
  ]);
}

export const describeStimulus = (x: Stimulus, before: ModelState): string => {
  const ids = workerIds(before);
  const w = (x as { w?: number }).w;
  const who = w === undefined ? '' : ` #${ids[w]}`;
  switch (x.type) {
    case 'control.stop':
      return x.force ? 'stop(force)' : 'stop()';
    case 'control.setSize':
      return `setSize(${x.size})`;
    case 'control.shutdown':
    case 'control.terminate':
      return `${x.type.slice('control.'.length)}(${w === undefined ? 'all' : ids[w]})`;
    default:
      return `${x.type.replace(/^control\./, '').replace(/^world\./, '')}${who}`;
  }
};

const stopWhen = (config: ModelConfig) => (snapshot: WorldSnapshot) => {
  const s = snapshot.context;
  if (s.depth >= config.maxDepth) return true;
  if (live(s) > (config.maxProcesses ?? 5)) return true;
  if (config.firstWorkerOnly && s.depth > 0 && (s.workers[1] === undefined || s.workers[1].state === 'exited') && s.procs.length > 0) return true;
  return s.control.top === 'stopped' && s.control.stopReason === 'giveup';
};

/**
 * The model as logic for the graph utilities. Successors and serializations are memoized on
 * the snapshot object, so the second traversal (shortest paths after the adjacency map)
 * costs lookups only.
 */
export function modelLogic(config: ModelConfig): ActorLogic<WorldSnapshot, Stimulus> {
  const initial: WorldSnapshot = { status: 'active', output: undefined, error: undefined, context: initialState({ ...modelTimings, ...config.settings }) };
  const successors = new WeakMap<WorldSnapshot, Map<string, WorldSnapshot>>();
  return {
    config: undefined,
    transition: (snapshot, event) => {
      let known = successors.get(snapshot);
      if (known === undefined) successors.set(snapshot, (known = new Map()));
      const key = JSON.stringify(event);
      let next = known.get(key);
      if (next === undefined) known.set(key, (next = { ...snapshot, context: step(snapshot.context, event) }));
      return next;
    },
    getInitialSnapshot: () => initial,
    getPersistedSnapshot: (snapshot) => snapshot,
  } as ActorLogic<WorldSnapshot, Stimulus>;
}

const serialized = new WeakMap<ModelState, string>();
const serializeOnce = (s: ModelState) => {
  let key = serialized.get(s);
  if (key === undefined) serialized.set(s, (key = serialize(s)));
  return key;
};

/** Graphs larger than this are a configuration error (they would not run in every `npm test`). */
const traversalLimit = 40_000;

export function testModel(config: ModelConfig) {
  return new TestModel(modelLogic(config), {
    events: (snapshot: WorldSnapshot) => stimuliOf(snapshot.context, config),
    serializeState: (snapshot: WorldSnapshot) => serializeOnce(snapshot.context),
    serializeEvent: (event: Stimulus) => JSON.stringify(event),
    stopWhen: stopWhen(config),
    limit: traversalLimit,
  });
}

/** Replays the stimuli of a generated path on the model, with exact instants; cut where one is not enabled. */
export function replay(config: ModelConfig, stimuli: readonly Stimulus[]): { steps: PathStep[]; cut: boolean } {
  let state = initialState({ ...modelTimings, ...config.settings });
  const steps: PathStep[] = [];
  for (const stimulus of stimuli) {
    const key = JSON.stringify(stimulus);
    if (!stimuliOf(state, config).some((x) => JSON.stringify(x) === key)) return { steps, cut: true };
    state = step(state, stimulus);
    steps.push({ stimulus, state });
  }
  return { steps, cut: false };
}

export interface Generated {
  paths: ModelPath[];
  /** Abstract states in the explored graph, and paths cut on replay. */
  states: number;
  cut: number;
}

/**
 * `shortest`: the shortest path to every abstract state, then, for every edge of the graph
 * that takes a model transition no path took yet, the shortest path to its source plus that
 * edge (shortest paths alone reach every state but not every way into it).
 * `simple`: every simple path (no abstract state twice), for small graphs.
 */
export function generatePaths(config: ModelConfig, kind: 'shortest' | 'simple'): Generated {
  const model = testModel(config);
  const adjacency = model.getAdjacencyMap();
  const raw = (kind === 'shortest' ? model.getShortestPaths({ allowDuplicatePaths: true }) : model.getSimplePaths()).map((p) =>
    p.steps.slice(1).map((s) => s.event as Stimulus),
  );
  let cut = 0;
  const paths: ModelPath[] = [];
  const seen = new Set<string>();
  const taken = new Set<string>();
  const reached = new Map<string, Stimulus[]>();
  const add = (stimuli: Stimulus[]) => {
    const replayed = replay(config, stimuli);
    if (replayed.cut) cut++;
    if (replayed.steps.length === 0) return;
    const key = JSON.stringify(replayed.steps.map((s) => s.stimulus));
    if (seen.has(key)) return;
    seen.add(key);
    for (const s of replayed.steps) for (const t of s.state.taken) taken.add(t);
    if (!replayed.cut) reached.set(serializeOnce(replayed.steps.at(-1)!.state), stimuli);
    paths.push({ name: '', config, steps: replayed.steps });
  };
  for (const stimuli of raw) add(stimuli);
  if (kind === 'shortest') {
    for (const [from, { transitions }] of Object.entries(adjacency)) {
      const prefix = from === serializeOnce(initialState({ ...modelTimings, ...config.settings })) ? [] : reached.get(from);
      if (prefix === undefined) continue;
      for (const { event, state } of Object.values(transitions) as Array<{ event: Stimulus; state: WorldSnapshot }>) {
        if (state.context.taken.some((t) => !taken.has(t))) add([...prefix, event]);
      }
    }
  }
  const kept = dedupe(paths);
  kept.forEach((p, i) => (p.name = `${config.name} ${kind} #${i + 1}`));
  return { paths: kept, states: Object.keys(adjacency).length, cut };
}

/** Drops every path that is a prefix of another. */
function dedupe(paths: ModelPath[]): ModelPath[] {
  const keyOf = (p: ModelPath, n: number) => p.steps.slice(0, n).map((s) => JSON.stringify(s.stimulus)).join('\n');
  const prefixes = new Set<string>();
  for (const p of paths) for (let n = 1; n < p.steps.length; n++) prefixes.add(keyOf(p, n));
  return paths.filter((p) => !prefixes.has(keyOf(p, p.steps.length)));
}

/**
 * A small set of paths that takes every model transition the given paths take (greedy set
 * cover over `taken`, longest gain first), for the configurations whose graphs are large.
 */
export function transitionCover(paths: readonly ModelPath[]): ModelPath[] {
  const keysOf = (p: ModelPath) => new Set(p.steps.flatMap((s) => s.state.taken));
  const candidates = paths.map((p) => ({ p, keys: keysOf(p) }));
  const covered = new Set<string>();
  const chosen: ModelPath[] = [];
  for (;;) {
    let best: (typeof candidates)[number] | undefined;
    let gain = 0;
    for (const c of candidates) {
      let g = 0;
      for (const k of c.keys) if (!covered.has(k)) g++;
      if (g > gain || (g === gain && g > 0 && best !== undefined && c.p.steps.length < best.p.steps.length)) {
        best = c;
        gain = g;
      }
    }
    if (best === undefined || gain === 0) return chosen;
    for (const k of best.keys) covered.add(k);
    chosen.push(best.p);
  }
}

/** The delay a `delay.*` stimulus names, for messages. */
export const delayOf = (x: Stimulus): TimerKind | null => (x.type.startsWith('delay.') ? (x.type.slice('delay.'.length) as TimerKind) : null);
