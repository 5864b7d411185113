/**
 * Runs a generated path against the real runtime: `createControl` on the simulated cluster
 * with the simulated clock. Each simulated process follows the script the path plans for
 * it (when it comes online, gets ready, drains, obeys SIGTERM), each command goes through
 * the public API, each `delay.*` advances the clock by exactly the time to that timer.
 * After every step the runtime's observable state (the control's state value, size and
 * generation, every worker's state, what the port was asked to do, what was emitted, the
 * clock) must equal the model's; a mismatch names the path, the step and both states.
 */
import type { ClusterFact, ClusterPort } from '../../src/runtime/cluster-port.js';
import { type Control, createControl, dotted } from '../../src/runtime/create-control.js';
import { type SimulatedCluster, type WorkerScript, createSimulatedCluster } from '../../src/runtime/simulated-cluster.js';
import type { ControlEmitted } from '../../src/machines/control.machine.js';
import { CoverageRecorder } from './coverage.js';
import { type ModelPath, describeStimulus } from './paths.js';
import { type ModelState, type Observation, type ProcessPlan, inertPlan, initialState, modelTimings, observe, workerIds } from './world.js';

/** The script of a simulated process, from the plan the model made for it along the path. */
export function scriptOf(plan: ProcessPlan): WorkerScript {
  return { ...plan, exitAfter: null, exitCode: 1, exitSignal: null };
}

/** The control's state as one string, in the model's words. */
export function runtimeLabel(value: unknown): string {
  if (typeof value === 'string') return value;
  const running = (value as { running: { size: string; rollout: unknown; health: unknown } }).running;
  return `running(size.${running.size}, rollout.${dotted(running.rollout)}, health.${dotted(running.health)})`;
}

export function emittedLabel(event: ControlEmitted): string {
  if (event.type === 'exit') return `exit#${event.worker.id}:${event.exit.phase}:${event.exit.expected ? 'expected' : 'unexpected'}`;
  return 'worker' in event ? `${event.type}#${event.worker.id}` : event.type;
}

export function callLabel(call: SimulatedCluster['calls'][number]): string {
  switch (call.call) {
    case 'fork': {
      const { slot, generation } = call.detail as { slot: number; generation: number };
      return `fork#${call.id}(slot ${slot}, gen ${generation})`;
    }
    case 'signal':
      return `signal#${call.id}:${String(call.detail)}`;
    default:
      return `${call.call}#${call.id}`;
  }
}

export interface RuntimeView extends Observation {
  calls: string[];
  emitted: string[];
}

export interface Harness {
  sim: SimulatedCluster;
  control: Control;
  /** Reports a fact as the port would (for stray facts of unknown workers). */
  inject(fact: ClusterFact): void;
  view(): RuntimeView;
}

/** A control on the simulated cluster; processes follow `scriptFor`, coverage goes to `recorder`. */
export function harness(settings: ModelState['settings'], scriptFor: (id: number) => WorkerScript, recorder?: CoverageRecorder): Harness {
  const sim = createSimulatedCluster({ scriptFor: ({ id }) => scriptFor(id) });
  // As node-cluster.ts does, the port forgets a worker once it reported its exit: a fact about
  // it that comes later (node may report `disconnect` after `exit`) never reaches the control.
  const listeners = new Set<(fact: ClusterFact) => void>();
  const gone = new Set<number>();
  const report = (fact: ClusterFact) => {
    if (fact.id !== null && gone.has(fact.id)) return;
    if (fact.type === 'cluster.exit') gone.add(fact.id);
    for (const listener of [...listeners]) listener(fact);
  };
  sim.subscribe(report);
  const port: ClusterPort = {
    ...sim,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const control = createControl({ ...settings, port, clock: sim.clock, signals: false, ...(recorder ? { inspect: recorder.inspect } : {}) });
  let emitted: string[] = [];
  let seenCalls = 0;
  control.actor.on('*', (event) => emitted.push(emittedLabel(event as ControlEmitted)));
  return {
    sim,
    control,
    inject: report,
    view() {
      const snapshot = control.actor.getSnapshot();
      const { context } = snapshot;
      const calls = sim.calls.slice(seenCalls).map(callLabel);
      seenCalls = sim.calls.length;
      const view: RuntimeView = {
        now: sim.clock.now(),
        control: runtimeLabel(snapshot.value),
        size: context.size,
        generation: context.generation,
        workers: Object.values(context.workers)
          .map((ref) => ref.getSnapshot())
          .sort((a, b) => a.context.id - b.context.id)
          .map((w) => `#${w.context.id} gen ${w.context.generation} slot ${w.context.slot} ${dotted(w.value)}`),
        calls,
        emitted,
      };
      emitted = [];
      return view;
    },
  };
}

const sorted = (list: readonly string[]) => [...list].sort();

function differences(model: RuntimeView, runtime: RuntimeView): string[] {
  const out: string[] = [];
  for (const key of ['now', 'control', 'size', 'generation'] as const) {
    if (model[key] !== runtime[key]) out.push(`${key}: model ${JSON.stringify(model[key])}, runtime ${JSON.stringify(runtime[key])}`);
  }
  if (JSON.stringify(model.workers) !== JSON.stringify(runtime.workers)) {
    out.push(`workers:\n      model   ${model.workers.join(' | ') || '(none)'}\n      runtime ${runtime.workers.join(' | ') || '(none)'}`);
  }
  for (const key of ['calls', 'emitted'] as const) {
    if (JSON.stringify(sorted(model[key])) !== JSON.stringify(sorted(runtime[key]))) {
      out.push(`${key === 'calls' ? 'port calls' : 'emitted'}:\n      model   ${model[key].join(', ') || '(none)'}\n      runtime ${runtime[key].join(', ') || '(none)'}`);
    }
  }
  return out;
}

/** The path as numbered steps with the model's state after each; `mark` flags one step. */
export function formatPath(path: ModelPath, mark = -1): string {
  const lines: string[] = [];
  let before = initialState({ ...modelTimings, ...path.config.settings });
  path.steps.forEach((s, i) => {
    const o = observe(s.state);
    lines.push(
      `${i === mark ? '✗' : ' '} ${String(i + 1).padStart(2)}. t=${String(o.now).padEnd(4)} ${describeStimulus(s.stimulus, before).padEnd(24)} → ${o.control}; ${o.workers.join(' | ') || 'no workers'}`,
    );
    before = s.state;
  });
  return lines.join('\n');
}

export class PathMismatch extends Error {}

/**
 * Runs `path` against the runtime; throws a PathMismatch naming the first step that differs.
 * The control is closed afterwards unless `close: false` (the caller then closes it).
 */
export function runPath(path: ModelPath, recorder?: CoverageRecorder, { close = true } = {}): Harness {
  const last = path.steps.at(-1)!.state;
  const settings = last.settings;
  const plans = new Map(last.procs.filter((p) => p.id !== null && !p.foreign).map((p) => [p.id!, scriptOf(p.plan)]));
  const inert = scriptOf(inertPlan);
  const h = harness(settings, (id) => plans.get(id) ?? inert, recorder);
  const swallow = (p: Promise<unknown>) => void p.catch(() => {});
  let before = initialState({ ...modelTimings, ...path.config.settings });
  try {
    path.steps.forEach((s, i) => {
      const x = s.stimulus;
      const ids = workerIds(before);
      const target = 'w' in x && x.w !== undefined ? ids[x.w]! : undefined;
      switch (x.type) {
        case 'control.start':
          swallow(h.control.start());
          break;
        case 'control.stop':
          swallow(h.control.stop({ force: x.force }));
          break;
        case 'control.setSize':
          swallow(h.control.setSize(x.size));
          break;
        case 'control.add':
          swallow(h.control.add(1));
          break;
        case 'control.remove':
          swallow(h.control.remove(1));
          break;
        case 'control.restart':
          swallow(h.control.restart());
          break;
        case 'control.shutdown':
          swallow(h.control.shutdown(target));
          break;
        case 'control.terminate':
          swallow(h.control.terminate(target));
          break;
        // What the runtime's memory watch sends once it read the worker over maxMemory.
        case 'control.overMemory':
          h.control.actor.send({ type: 'control.overMemory', id: target!, memory: 2 ** 30 });
          break;
        case 'world.crash':
          h.sim.crash(target!, 1, null);
          break;
        case 'world.exitFirst':
          h.inject({ type: 'cluster.exit', id: target!, code: 1, signal: null } as ClusterFact);
          h.sim.crash(target!, 1, null);
          break;
        case 'world.forkExternal': {
          const proc = s.state.procs[before.procs.length]!;
          h.sim.forkExternal(scriptOf(last.procs[proc.handle - 1]!.plan));
          break;
        }
        case 'world.strayFact':
          h.inject({ type: 'cluster.fork', id: 99, pid: 99 } as ClusterFact);
          break;
        case 'world.message':
          h.inject({ type: 'cluster.message', id: target!, message: 'app' } as ClusterFact);
          break;
        default:
          break;
      }
      // Free facts, obeyed signals and delays are the clock reaching them: exactly the model's time.
      const elapse = s.state.now - before.now;
      if (elapse > 0) h.sim.clock.advance(elapse);
      const model: RuntimeView = { ...observe(s.state), calls: s.state.calls, emitted: s.state.emitted };
      const runtime = h.view();
      const diff = differences(model, runtime);
      if (diff.length > 0) {
        throw new PathMismatch(
          `${path.name}: step ${i + 1}/${path.steps.length} (${describeStimulus(x, before)}) — the runtime differs from the model:\n` +
            `    ${diff.join('\n    ')}\n  path:\n${formatPath(path, i)}`,
        );
      }
      before = s.state;
    });
  } catch (error) {
    h.control.close();
    throw error;
  }
  if (close) h.control.close();
  return h;
}
