/**
 * Property-based walks (fast-check): random sequences of commands and faults on the
 * simulated cluster, with the invariants of DESIGN.md checked at every instant something
 * happens (the clock is stepped from one due timer to the next, so no intermediate world
 * goes unchecked). A second property walks the abstract model at random, in lockstep with
 * the runtime (the generated paths' oracle, on sequences no bound would reach).
 *
 * 200 sequences per property in every `npm test`; `CLUSTERCHART_DEEP=1` (npm run
 * test:deep) runs 5,000. Counterexamples fast-check found and shrank are kept as named
 * tests at the end of this file.
 */
import fc from 'fast-check';
import { describe, test, vi } from 'vitest';
import type { ControlEmitted } from '../../src/machines/control.machine.js';
import { statusOf, viewsOf } from '../../src/machines/control.machine.js';
import type { SettingsInput } from '../../src/options.js';
import type { ClusterPort } from '../../src/runtime/cluster-port.js';
import { type Control, createControl } from '../../src/runtime/create-control.js';
import { type SimulatedClock, type WorkerScript, createSimulatedClock, createSimulatedCluster } from '../../src/runtime/simulated-cluster.js';
import { settled } from '../helpers/simulation.js';
import type { ModelConfig, ModelPath } from './paths.js';
import { describeStimulus, stimuliOf } from './paths.js';
import { PathMismatch, runPath } from './runner.js';
import { initialState, modelTimings, step } from './world.js';

const deep = process.env.CLUSTERCHART_DEEP === '1';
const numRuns = deep ? 5000 : 200;

// ---------------------------------------------------------------------------------------
// The world: scripts (faults) and operations

/** Exit codes that tell, from an exit alone, why the process left on its own. */
const code = { exitAtStart: 11, exitAfter: 12, disconnectSelf: 13, crash: 14 } as const;
const spontaneous = new Set<number>(Object.values(code));

const healthy: WorkerScript = {};
const scriptArb: fc.Arbitrary<WorkerScript> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ onlineAfter: fc.integer({ min: 1, max: 30 }), readyAfter: fc.integer({ min: 1, max: 60 }), drainTime: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 1, arbitrary: fc.constant({ ignoreDisconnect: true }) },
  { weight: 1, arbitrary: fc.constant({ ignoreDisconnect: true, ignoreTerm: true }) },
  { weight: 1, arbitrary: fc.constant({ readyAfter: null }) },
  { weight: 1, arbitrary: fc.constant({ exitAtStart: true, exitCode: code.exitAtStart }) },
  { weight: 1, arbitrary: fc.record({ exitAfter: fc.integer({ min: 1, max: 3000 }), exitCode: fc.constant(code.exitAfter) }) },
  { weight: 1, arbitrary: fc.record({ disconnectAfter: fc.integer({ min: 1, max: 2000 }), exitCode: fc.constant(code.disconnectSelf) }) },
);

type Op =
  | { op: 'start' }
  | { op: 'stop'; force: boolean }
  | { op: 'setSize'; size: number }
  | { op: 'add'; n: number }
  | { op: 'remove'; n: number }
  | { op: 'restart' }
  | { op: 'shutdown' | 'terminate'; pick: number | null }
  | { op: 'crash'; pick: number }
  | { op: 'forkExternal'; script: WorkerScript }
  | { op: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Op>({ op: 'start' }) },
  { weight: 1, arbitrary: fc.boolean().map<Op>((force) => ({ op: 'stop', force })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 4 }).map<Op>((size) => ({ op: 'setSize', size })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }).map<Op>((n) => ({ op: 'add', n })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }).map<Op>((n) => ({ op: 'remove', n })) },
  { weight: 2, arbitrary: fc.constant<Op>({ op: 'restart' }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('shutdown' as const, 'terminate' as const), pick: fc.option(fc.nat(), { nil: null }) }) },
  { weight: 2, arbitrary: fc.nat().map<Op>((pick) => ({ op: 'crash', pick })) },
  { weight: 1, arbitrary: scriptArb.map<Op>((script) => ({ op: 'forkExternal', script })) },
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 1500 }).map<Op>((ms) => ({ op: 'advance', ms })) },
);

const settingsArb: fc.Arbitrary<SettingsInput> = fc
  .record({
    size: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null, freq: 5 }),
    readyOn: fc.constantFrom('listening' as const, 'message' as const, 'online' as const),
    // Infinity is the default: every replacement at once.
    restartConcurrency: fc.oneof(fc.integer({ min: 1, max: 2 }), fc.constant(Infinity)),
    startupTimeout: fc.integer({ min: 100, max: 800 }),
    shutdownTimeout: fc.integer({ min: 20, max: 300 }),
    terminateTimeout: fc.integer({ min: 20, max: 300 }),
    minRestartAge: fc.integer({ min: 50, max: 1000 }),
    throttleDelay: fc.integer({ min: 10, max: 200 }),
    restartProbation: fc.integer({ min: 0, max: 400 }),
    maxRestarts: fc.oneof(fc.integer({ min: 2, max: 8 }), fc.constant(Infinity)),
    restartWindow: fc.integer({ min: 500, max: 20_000 }),
  })
  .map((s) => ({ ...s, maxThrottleDelay: s.throttleDelay * 4 }));

interface Walk {
  settings: SettingsInput;
  scripts: WorkerScript[];
  ops: Op[];
}

const walkArb: fc.Arbitrary<Walk> = fc.record({
  settings: settingsArb,
  scripts: fc.array(scriptArb, { minLength: 1, maxLength: 12 }),
  ops: fc.array(opArb, { minLength: 1, maxLength: 25 }),
});

// ---------------------------------------------------------------------------------------
// Running a walk, with the invariants checked at every instant

/** A simulated clock that also tells when its next timer is due. */
function steppingClock(): SimulatedClock & { next(): number | undefined } {
  const base = createSimulatedClock();
  const dues = new Map<unknown, number>();
  return {
    ...base,
    setTimeout(fn, timeout) {
      const id = base.setTimeout(() => {
        dues.delete(id);
        fn();
      }, timeout);
      dues.set(id, base.now() + Math.max(0, timeout));
      return id;
    },
    clearTimeout(id) {
      dues.delete(id);
      base.clearTimeout(id);
    },
    next: () => (dues.size === 0 ? undefined : Math.min(...dues.values())),
  };
}

class InvariantBroken extends Error {}

async function runWalk(walk: Walk): Promise<void> {
  const clock = steppingClock();
  let settling = false;
  let forks = 0;
  const sim = createSimulatedCluster({
    clock,
    scriptFor: () => (settling ? healthy : walk.scripts[forks++ % walk.scripts.length]!),
  });
  const port: ClusterPort = sim;
  const control: Control = createControl({ ...walk.settings, port, clock, signals: false });
  const settings = control.settings;
  const swallow = (p: Promise<unknown>) => void p.catch(() => {});
  const snapshot = () => control.actor.getSnapshot();
  const log: string[] = [];
  const fail = (what: string) => {
    throw new InvariantBroken(`${what}\n  at t=${clock.now()} after:\n    ${log.slice(-12).join('\n    ')}\n  state: ${JSON.stringify(snapshot().value)}; workers: ${describeWorkers()}`);
  };
  const describeWorkers = () =>
    Object.values(snapshot().context.workers)
      .map((ref) => {
        const w = ref.getSnapshot();
        return `#${w.context.id}(gen ${w.context.generation}, ${JSON.stringify(w.value)}, ${statusOf(ref)})`;
      })
      .join(' ');

  // Exits: every one classified, and consistent with what the process did and what was asked.
  const everReady = new Set<number>();
  const asked = new Set<number>();
  const exited = new Set<number>();
  const known = new Set<number>();
  control.on('fork', (e) => known.add(e.worker.id));
  control.on('ready', (e) => everReady.add(e.worker.id));
  const sinceCalls = { n: 0 };
  const noteCalls = () => {
    for (const call of sim.calls.slice(sinceCalls.n)) if (call.call === 'disconnect' || call.call === 'signal') asked.add(call.id);
    sinceCalls.n = sim.calls.length;
  };
  control.on('exit', ({ worker, exit }) => {
    noteCalls();
    const { phase, expected } = exit;
    if (!['startup', 'runtime', 'stopping'].includes(phase) || typeof expected !== 'boolean') fail(`exit #${worker.id} not classified: ${JSON.stringify(exit)}`);
    if (expected !== (phase === 'stopping')) fail(`exit #${worker.id}: expected=${expected} with phase ${phase}`);
    if (!known.has(worker.id)) fail(`exit #${worker.id} of a worker never forked or adopted`);
    if (exited.has(worker.id)) fail(`exit #${worker.id} reported twice`);
    exited.add(worker.id);
    if (!expected && phase === 'startup' && everReady.has(worker.id)) fail(`exit #${worker.id}: phase startup, but it was ready`);
    if (!expected && phase === 'runtime' && !everReady.has(worker.id)) fail(`exit #${worker.id}: phase runtime, but it was never ready`);
    if (expected && !asked.has(worker.id)) fail(`exit #${worker.id} expected, but the control never disconnected or signalled it`);
    if ((exit.code === 0 || exit.signal !== null) && !asked.has(worker.id)) fail(`exit #${worker.id} (${exit.code}/${exit.signal}) looks requested, but nothing was asked`);
    if (exit.code !== null && spontaneous.has(exit.code) && !asked.has(worker.id) && expected) fail(`exit #${worker.id}: a crash nobody asked for counted as expected`);
  });

  // Ready ≥ size during a restart of healthy, steady workers, until something else touches them.
  let guard: { size: number } | null = null;
  control.on('transition', ({ worker, from, to }) => {
    if (from !== 'online.ready' || guard === null) return;
    const reason = snapshot().context.workers[worker.id]?.getSnapshot().context.stopReason ?? null;
    if (to === 'exited' || (reason !== 'shutdown' && reason !== 'terminate')) guard = null; // it left on its own
  });
  control.on('restart', () => (guard = null));

  const check = () => {
    noteCalls();
    const snap = snapshot();
    const views = viewsOf(snap.context.workers);
    const active = views.filter((w) => w.status !== 'stopping');
    const ready = active.filter((w) => w.status === 'ready').length;
    if (snap.matches('running')) {
      const size = snap.context.size ?? snap.context.rolloutSize;
      const restarting = snap.matches({ running: { rollout: 'restarting' } });
      // The size bound, exactly. Outside a rollout: live (not shutting down) workers ≤ size;
      // extras (a shrink, an adopted worker) are asked to shut down in the same step.
      // During a rollout: the workers the control forked ≤ size + restartConcurrency, and
      // live workers of the new generation ≤ size. Workers the app forks itself during a
      // rollout may exceed the surge: they count as replacements, and the old ready workers
      // cannot go while the new ones are not ready (ready ≥ size comes first).
      if (size !== null) {
        const adopted = (id: number) => snap.context.workers[id]?.getSnapshot().context.adopted === true;
        const forked = active.filter((w) => !adopted(w.id)).length;
        const current = active.filter((w) => w.generation >= snap.context.generation).length;
        if (!restarting && active.length > size) fail(`${active.length} live workers for size ${size}`);
        if (restarting && forked > size + settings.restartConcurrency) {
          fail(`${forked} live forked workers during a rollout for size ${size} + restartConcurrency ${settings.restartConcurrency}`);
        }
        if (restarting && current > size) fail(`${current} live workers of the new generation for size ${size}`);
      }
      if (guard !== null && restarting && ready < guard.size) fail(`restart of healthy workers: ${ready} ready < size ${guard.size}`);
    }
  };

  /**
   * Advances time, stopping at every instant a timer is due, checking after each. The
   * promises the control's methods return settle at each instant too, as they would between
   * two timers of a real process (a start() made during a stop sends its start then).
   */
  const advance = async (ms: number) => {
    const target = clock.now() + ms;
    for (let due = clock.next(); due !== undefined && due <= target; due = clock.next()) {
      clock.advance(due - clock.now());
      await settled();
      check();
    }
    clock.advance(target - clock.now());
    await settled();
    check();
  };

  const ids = () => Object.keys(snapshot().context.workers).map(Number).sort((a, b) => a - b);
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    swallow(control.start());
    await settled();
    check();
    for (const op of walk.ops) {
      log.push(JSON.stringify(op));
      const running = snapshot().matches('running');
      if (op.op !== 'advance' && op.op !== 'restart') guard = null;
      switch (op.op) {
        case 'start':
          swallow(control.start());
          break;
        case 'stop':
          swallow(control.stop({ force: op.force }));
          break;
        case 'setSize':
          if (running) swallow(control.setSize(op.size));
          break;
        case 'add':
          if (running) swallow(control.add(op.n));
          break;
        case 'remove':
          if (running) swallow(control.remove(op.n));
          break;
        case 'restart':
          if (!running) break;
          if (snapshot().matches({ running: { size: 'steady', health: 'ok', rollout: 'idle' } }) && snapshot().context.size !== null) {
            guard = { size: snapshot().context.size! };
          } else {
            guard = null;
          }
          swallow(control.restart());
          break;
        case 'shutdown':
        case 'terminate': {
          const all = ids();
          if (all.length === 0) break;
          const id = op.pick === null ? undefined : all[op.pick % all.length]!;
          swallow(op.op === 'shutdown' ? control.shutdown(id) : control.terminate(id));
          break;
        }
        case 'crash': {
          const all = ids();
          if (all.length > 0) sim.crash(all[op.pick % all.length]!, code.crash, null);
          break;
        }
        case 'forkExternal':
          sim.forkExternal(op.script);
          break;
        case 'advance':
          // It settles and checks at its last instant.
          await advance(op.ms);
          continue;
      }
      await settled();
      check();
    }

    // Let the world settle: every new fork is healthy, no command, a long time.
    settling = true;
    guard = null;
    log.push('(settle)');
    const longest = settings.startupTimeout + settings.shutdownTimeout + settings.terminateTimeout + settings.maxThrottleDelay + settings.minRestartAge + 5000;
    await advance(longest * 4);
    const snap = snapshot();
    if (snap.matches('stopping')) fail('still stopping after the world settled');
    if (snap.matches('running')) {
      if (!snap.matches({ running: { rollout: 'idle' } })) fail('a restart never finished after the world settled');
      const size = snap.context.size;
      const views = viewsOf(snap.context.workers);
      if (size !== null) {
        const atSize = views.length === size && views.every((w) => w.status === 'ready') && snap.matches({ running: { size: 'steady' } });
        if (!atSize && !snap.matches({ running: { health: 'danger' } })) fail(`settled with ${views.length} workers for size ${size}, in health ok`);
        if (!atSize) fail(`settled with ${views.length} workers for size ${size}, healthy workers only and still in danger`);
      }
    }

    // Stop: every worker gone, no timer, no child actor.
    log.push('stop()');
    swallow(control.stop());
    await advance(longest * 2);
    if (!snapshot().matches('stopped')) fail(`stop() did not end in stopped (${JSON.stringify(snapshot().value)})`);
    if (sim.alive().length > 0) fail(`processes alive after stop: ${sim.alive().join(', ')}`);
    if (clock.pending() !== 0) fail(`${clock.pending()} timers left after stop`);
    if (Object.keys(snapshot().children).length !== 0) fail(`child actors left after stop: ${Object.keys(snapshot().children).join(', ')}`);
    if (Object.keys(snapshot().context.workers).length !== 0) fail('workers left in the context after stop');
    if (warn.mock.calls.length > 0) fail(`XState warned: ${String(warn.mock.calls[0]?.[0])}`);
  } finally {
    warn.mockRestore();
    control.close();
  }
}

describe('random walks of commands and faults on the simulated cluster', () => {
  test(`the invariants hold at every instant (${numRuns} sequences)`, async () => {
    await fc.assert(
      fc.asyncProperty(walkArb, async (walk) => {
        await runWalk(walk);
      }),
      { numRuns, ...(deep ? {} : { seed: 20_261_126 }) },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Random walks through the abstract model, in lockstep with the runtime

/** Everything at once, at size 2: the generated paths' configurations each keep to one part. */
const everything: ModelConfig = {
  name: 'random model walk',
  settings: { size: 2, maxRestarts: 6, restartConcurrency: 1 },
  commands: ['start', 'stop', 'stopForce', 'setSize', 'add', 'remove', 'restart', 'shutdownOne', 'shutdownAll', 'terminateOne', 'terminateAll'],
  faults: ['online', 'ready', 'exitAtStart', 'disconnectSelf', 'drained', 'obeySigterm', 'crash', 'exitFirst'],
  sizes: [0, 1, 3],
  forkExternal: 2,
  strays: 1,
  maxGeneration: 4,
  maxDepth: 40,
};

/** And with no size set: the control keeps what runs, which only workers the app forks make. */
const unsized: ModelConfig = { ...everything, name: 'random model walk (no size)', settings: { ...everything.settings, size: null }, sizes: [2], forkExternal: 3 };

function modelWalk(config: ModelConfig, choices: readonly number[]): ModelPath {
  let state = initialState({ ...modelTimings, ...config.settings });
  const steps: ModelPath['steps'] = [];
  for (const choice of choices) {
    const enabled = stimuliOf(state, config);
    const stimulus = enabled[choice % enabled.length]!;
    state = step(state, stimulus);
    steps.push({ stimulus, state });
  }
  return { name: config.name, config, steps };
}

describe('random walks through the model, in lockstep with the runtime', () => {
  test(`every step of the runtime matches the model (${numRuns} sequences)`, () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      fc.assert(
        fc.property(fc.boolean(), fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (sized, choices) => {
          const path = modelWalk(sized ? everything : unsized, choices);
          try {
            runPath(path);
          } catch (error) {
            if (error instanceof PathMismatch) throw error;
            throw new Error(`${(error as Error).message} on ${path.steps.map((s, i) => describeStimulus(s.stimulus, i === 0 ? initialState(path.config.settings) : path.steps[i - 1]!.state)).join(' → ')}`);
          }
        }),
        { numRuns, ...(deep ? {} : { seed: 20_261_126 }) },
      );
    } finally {
      warn.mockRestore();
    }
  });
});

// ---------------------------------------------------------------------------------------
// Counterexamples fast-check found, as it shrank them

/** The delays fast-check shrank every counterexample to. */
const shrunk: SettingsInput = {
  size: null,
  readyOn: 'listening',
  restartConcurrency: 1,
  startupTimeout: 100,
  shutdownTimeout: 20,
  terminateTimeout: 20,
  minRestartAge: 50,
  throttleDelay: 10,
  maxThrottleDelay: 40,
  restartProbation: 0,
  maxRestarts: Infinity,
  restartWindow: 500,
};
const quick: WorkerScript = { onlineAfter: 1, readyAfter: 1, drainTime: 1 };

describe('counterexamples found by the walks', () => {
  test('a process that crashes while online is not revived by the disconnect its worker sends back', async () => {
    // The simulated cluster once revived it: its exit now marks it dead before reporting.
    await runWalk({ settings: shrunk, scripts: [{ ignoreDisconnect: true }], ops: [{ op: 'setSize', size: 1 }, { op: 'advance', ms: 10 }, { op: 'crash', pick: 0 }] });
  });

  test('workers the app forks during a rollout may exceed the surge, never the size of the new generation', async () => {
    await runWalk({
      settings: shrunk,
      scripts: [quick],
      ops: [
        { op: 'setSize', size: 3 },
        { op: 'crash', pick: 0 },
        { op: 'restart' },
        { op: 'advance', ms: 10 },
        { op: 'forkExternal', script: { readyAfter: null } },
        { op: 'forkExternal', script: { ignoreDisconnect: true, ignoreTerm: true } },
      ],
    });
  });

  test('an adopted worker of the new generation that exits during probation: the rollout goes on (its canary was once ignored)', async () => {
    await runWalk({
      // With a probation (the shrunk settings have none, so the walk would never reach it).
      settings: { ...shrunk, restartProbation: 30 },
      scripts: [{ ...quick, readyAfter: 30 }],
      ops: [
        { op: 'setSize', size: 2 },
        { op: 'crash', pick: 0 },
        { op: 'restart' },
        { op: 'advance', ms: 41 },
        { op: 'forkExternal', script: { readyAfter: null } },
        { op: 'forkExternal', script: { ignoreDisconnect: true, ignoreTerm: true } },
      ],
    });
  });

  test('a shrink to size 0 during a restart: the old worker goes and the restart ends (both once stuck)', async () => {
    await runWalk({
      settings: { ...shrunk, restartConcurrency: 2, maxRestarts: 2 },
      scripts: [quick],
      ops: [{ op: 'setSize', size: 1 }, { op: 'restart' }, { op: 'remove', n: 1 }, { op: 'advance', ms: 1 }],
    });
  });
});

