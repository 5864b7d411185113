/**
 * Generated paths of the worker chart against real node:cluster workers
 * (test/fixtures/model/worker.cjs). The paths come from the same model as the simulated ones
 * (the worker configurations, one worker driven until it exits); each step is the same
 * command, or the fact the path chooses, triggered in the real process at that step, or a
 * real timer firing. After each step the test waits (bounded, on the control's events, no
 * sleeps) until the first worker shows the model's state, then compares the control's
 * state too.
 *
 * Only paths a real process can follow are run: a real worker comes online on its own
 * right after its fork (so `online` must follow `start`), cannot exit before node sends
 * `online` or report its exit before its disconnect on demand (no exitAtStart, exitFirst),
 * cannot get ready once its IPC channel is closed, and real time is not idle on demand (no
 * `time.idle`; minRestartAge is long here, so every exit is young, as in those paths).
 * A real SIGTERM or SIGKILL exit, and the exit after a worker disconnected itself, follow by
 * themselves: that step's state may already be the next one's, and no command may come
 * between (it would race the exit).
 * Other workers (the replacement of the first one) are not compared: they come online on
 * their own (and get ready, with readyOn 'online') where the model keeps them starting; so
 * the control is compared without its size region, which counts them.
 */
import { EventEmitter } from 'node:events';
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, expect, test } from 'vitest';
import type { ControlEmitted } from '../../src/machines/control.machine.js';
import { type Control, createControl, dotted } from '../../src/runtime/create-control.js';
import { killAll, until } from '../helpers/processes.js';
import { CoverageRecorder } from './coverage.js';
import { workerConfigs } from './configs.js';
import { type ModelPath, describeStimulus, generatePaths } from './paths.js';
import { emittedLabel, formatPath, runtimeLabel } from './runner.js';
import { type ModelState, controlLabel, initialState, modelTimings, procOf } from './world.js';

const fixture = fileURLToPath(new URL('../fixtures/model/worker.cjs', import.meta.url));

/** Real delays: short, but long against the latency of a real process. */
const realTimings = {
  startupTimeout: 1500,
  shutdownTimeout: 300,
  terminateTimeout: 300,
  minRestartAge: 60_000,
  throttleDelay: 10_000,
  maxThrottleDelay: 10_000,
  restartWindow: Infinity,
};

const automatic = new Set(['world.obeySigterm', 'delay.sigkillExit', 'delay.selfDisconnectExit']);
const impossible = new Set(['world.exitAtStart', 'world.exitFirst', 'time.idle', 'world.forkExternal', 'world.strayFact', 'delay.startupTimeout']);

/** Whether a real process can follow `path` (see the header). */
function realizable(path: ModelPath): boolean {
  const xs = path.steps.map((s) => s.stimulus);
  if (xs[0]?.type !== 'control.start' || xs[1]?.type !== 'world.online') return false;
  const obeys = !procOf(path.steps.at(-1)!.state, 1)!.plan.ignoreTerm;
  const exitUnderWay = (s: ModelState) =>
    s.timers.some((t) => t.kind === 'sigkillExit' || t.kind === 'selfDisconnectExit' || (t.kind === 'sigtermExit' && obeys));
  return path.steps.every((s, i) => {
    const next = path.steps[i + 1];
    if (next !== undefined && exitUnderWay(s.state) && !automatic.has(next.stimulus.type)) return false;
    const x = s.stimulus;
    const before = i === 0 ? undefined : path.steps[i - 1]!.state;
    if (impossible.has(x.type)) return false;
    if (x.type === 'world.ready') {
      const p = procOf(before!, 1)!;
      return p.disconnectAt === null && !p.selfDisconnectDone;
    }
    if (x.type === 'world.obeySigterm') return before!.calls.includes('signal#1:SIGTERM');
    if (x.type === 'delay.sigkillExit') return before!.calls.includes('signal#1:SIGKILL');
    if (x.type === 'delay.selfDisconnectExit') return path.steps[i - 1]!.stimulus.type === 'world.disconnectSelf';
    return true;
  });
}

/** At least 15 paths: a greedy cover of the worker transitions they take, then the longest others. */
function choose(): ModelPath[] {
  const candidates = workerConfigs
    .flatMap((config) => [...generatePaths(config, 'shortest').paths, ...generatePaths({ ...config, maxDepth: 6 }, 'simple').paths])
    .filter(realizable);
  const labels = (p: ModelPath) => new Set(p.steps.flatMap((s) => s.state.taken.filter((t) => t.startsWith('worker '))));
  const covered = new Set<string>();
  const chosen: ModelPath[] = [];
  for (;;) {
    const best = candidates
      .filter((p) => !chosen.includes(p))
      .map((p) => ({ p, gain: [...labels(p)].filter((l) => !covered.has(l)).length }))
      .sort((a, b) => b.gain - a.gain || a.p.steps.length - b.p.steps.length)[0];
    if (best === undefined || best.gain === 0) break;
    chosen.push(best.p);
    for (const l of labels(best.p)) covered.add(l);
  }
  // Then other orders of steps, cheapest in real time first (a startup timeout costs 1.5 s).
  const shape = (p: ModelPath) => p.steps.map((s) => s.stimulus.type).join(' ');
  const slow = (p: ModelPath) => p.steps.filter((s) => s.stimulus.type === 'delay.bootTimeout').length;
  const rest = candidates.filter((p) => !chosen.includes(p)).sort((a, b) => slow(a) - slow(b) || b.steps.length - a.steps.length);
  for (const p of rest) {
    if (chosen.length >= 18) break;
    if (!chosen.some((c) => shape(c) === shape(p))) chosen.push(p);
  }
  return chosen;
}

const paths = choose();

let control: Control | undefined;
const pids = new Set<number>();
const recorder = new CoverageRecorder();

afterAll(() => {
  const worker = recorder.report().line.replace(/^model coverage: /, '').replace(/; control.*/, '');
  console.log(`real-cluster paths: ${paths.length}; the runtime took ${worker}`);
});

afterEach(async () => {
  if (control !== undefined) {
    const stopping = control.stop({ force: true }).catch(() => {});
    await until(() => control!.actor.getSnapshot().matches('stopped'), 'forced stop after a path', { timeout: 5000, on: [[control as never, 'stopped']] }).catch(() => {});
    await stopping;
    control.close();
    control = undefined;
  }
  killAll(pids);
  pids.clear();
});

/** The first worker's state in the runtime: a dotted path, or `gone` once forgotten. */
const firstWorker = (c: Control) => {
  const ref = c.actor.getSnapshot().context.workers[1];
  return ref === undefined ? 'gone' : dotted(ref.getSnapshot().value);
};
const modelFirst = (s: ModelState) => s.workers[1]?.state ?? 'gone';
/** The control's state without its size region (see the header). */
const withoutSize = (label: string) => label.replace(/size\.\w+, /, '');

async function runReal(path: ModelPath): Promise<void> {
  const last = path.steps.at(-1)!.state;
  const plan = procOf(last, 1)!.plan;
  control = createControl({
    ...modelTimings,
    ...path.config.settings,
    ...realTimings,
    exec: fixture,
    signals: false,
    inspect: recorder.inspect,
    env: { CLUSTERCHART_MODEL_SCRIPTS: JSON.stringify({ 1: { ignoreTerm: plan.ignoreTerm } }) },
  });
  const c = control;
  const changes = new EventEmitter();
  let seen: string[] = [];
  c.on('fork', (e) => e.worker.pid !== null && pids.add(e.worker.pid));
  // node reports `online` before the worker's module ran: the `online` step also waits until
  // the fixture says it is set up (its SIGTERM handler installed).
  const loaded = new Set<number>();
  c.on('message', (e) => {
    if ((e.message as { model?: string }).model === 'loaded') loaded.add(e.worker.id);
  });
  c.on('transition', () => changes.emit('change'));
  c.actor.on('*', (event) => {
    seen.push(emittedLabel(event as ControlEmitted));
    changes.emit('change');
  });
  const swallow = (p: Promise<unknown>) => void p.catch(() => {});
  const pid = () => c.actor.getSnapshot().context.workers[1]?.getSnapshot().context.pid ?? undefined;
  const send = (message: unknown) => Object.values(cluster.workers ?? {}).find((w) => w?.process.pid === pid())?.send(message as never);

  let before = initialState({ ...modelTimings, ...path.config.settings });
  for (const [i, s] of path.steps.entries()) {
    const x = s.stimulus;
    seen = [];
    switch (x.type) {
      case 'control.start':
        swallow(c.start());
        break;
      case 'control.shutdown':
        swallow(c.shutdown(1));
        break;
      case 'control.terminate':
        swallow(c.terminate(1));
        break;
      case 'world.ready':
        send({ model: 'ready' });
        break;
      case 'world.disconnectSelf':
        send({ model: 'disconnect' });
        break;
      case 'world.drained':
        process.kill(pid()!, 'SIGUSR2');
        break;
      case 'world.crash':
        process.kill(pid()!, 'SIGHUP');
        break;
      default:
        // online, an obeyed SIGTERM, a SIGKILL's exit, a timer: the real world does it.
        break;
    }
    // This step's state, or the next one's when the real world takes that next step by itself.
    const next = path.steps[i + 1];
    const accepted = [s.state, ...(next !== undefined && automatic.has(next.stimulus.type) ? [next.state] : [])];
    const wanted = s.state.emitted.filter((l) => /#1(\D|$)/.test(l) && !l.startsWith('disconnect#'));
    const matches = () =>
      accepted.some((m) => firstWorker(c) === modelFirst(m)) &&
      wanted.every((l) => seen.includes(l) || firstWorker(c) !== modelFirst(s.state)) &&
      (x.type !== 'world.online' || loaded.has(1));
    const timeout = x.type.startsWith('delay.') ? realTimings.startupTimeout + 3000 : 5000;
    const where = () =>
      `${path.name} on real workers: step ${i + 1}/${path.steps.length} (${describeStimulus(x, before)})\n` +
      `    model   ${accepted.map((m) => `${withoutSize(controlLabel(m.control))}; #1 ${modelFirst(m)}`).join('  or  ')}\n` +
      `    runtime ${withoutSize(runtimeLabel(c.actor.getSnapshot().value))}; #1 ${firstWorker(c)}; emitted ${seen.join(', ') || '(none)'}\n  path:\n${formatPath(path, i)}`;
    await until(matches, where(), { timeout, on: [[changes, 'change']] }).catch(() => {
      throw new Error(`timed out waiting for the model's state: ${where()}`);
    });
    const state = accepted.find((m) => firstWorker(c) === modelFirst(m))!;
    if (withoutSize(runtimeLabel(c.actor.getSnapshot().value)) !== withoutSize(controlLabel(state.control))) {
      throw new Error(`the control differs from the model: ${where()}`);
    }
    before = s.state;
  }
  // status() says what the actors say. The real world may take an automatic step meanwhile: a
  // worker that exits while status() waits for the agents' stats is listed as `exited`.
  const then = firstWorker(c);
  const status = await c.status();
  const now = firstWorker(c);
  expect([then, now, ...(now === 'gone' ? ['exited'] : [])]).toContain(status.workers.find((w) => w.id === 1)?.state ?? 'gone');
  expect(status.master.state).toBe(runtimeLabel(c.actor.getSnapshot().value).replace(/\(.*/, ''));
}

test(`at least 15 generated paths are realizable on real workers (${paths.length} chosen)`, () => {
  expect(paths.length).toBeGreaterThanOrEqual(15);
});

for (const path of paths) {
  const steps = path.steps.map((s, i) => describeStimulus(s.stimulus, i === 0 ? initialState(path.config.settings) : path.steps[i - 1]!.state)).join(' → ');
  test(`${path.config.name}: ${steps}`, async () => {
    await runReal(path);
  }, 30_000);
}
