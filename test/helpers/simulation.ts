/**
 * A control on the simulated cluster and clock, with a log of every emitted event stamped
 * with its simulated instant, and an invariant hook run after every step.
 */
import { createControl } from '../../src/runtime/create-control.js';
import { type ScriptFor, createSimulatedCluster } from '../../src/runtime/simulated-cluster.js';
import { statusOf, viewsOf } from '../../src/machines/control.machine.js';
import type { ControlEmitted } from '../../src/machines/control.machine.js';
import type { SettingsInput } from '../../src/options.js';

export type Logged = ControlEmitted & { at: number };

/**
 * Resolves once every promise that can settle at this simulated instant has (setImmediate runs
 * after the microtasks): the continuations of the control's methods, as a real process runs
 * them before its next timer.
 */
export const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

export function simulate(settings: SettingsInput = {}, scriptFor?: ScriptFor) {
  const sim = createSimulatedCluster(scriptFor === undefined ? {} : { scriptFor });
  const control = createControl({ ...settings, port: sim, clock: sim.clock, signals: false });
  const log: Logged[] = [];
  control.actor.on('*', (event) => log.push({ ...(event as ControlEmitted), at: sim.clock.now() }));
  const snapshot = () => control.actor.getSnapshot();
  const workers = () => viewsOf(snapshot().context.workers);
  const api = {
    sim,
    control,
    clock: sim.clock,
    log,
    snapshot,
    workers,
    /** Every worker's status as the reconciler sees it (starting, ready, failing, stopping), by id. */
    states: () =>
      Object.fromEntries(Object.entries(snapshot().context.workers).map(([id, ref]) => [id, statusOf(ref)])),
    ready: () => workers().filter((w) => w.status === 'ready').length,
    live: () => workers().filter((w) => w.status !== 'stopping').length,
    /** Instants at which events of `type` were emitted. */
    times: (type: ControlEmitted['type']) => log.filter((e) => e.type === type).map((e) => e.at),
    of: <T extends ControlEmitted['type']>(type: T) => log.filter((e) => e.type === type) as Array<Extract<ControlEmitted, { type: T }> & { at: number }>,
    forks: () => sim.calls.filter((c) => c.call === 'fork'),
    /** Advance in steps of `step` ms, calling `check` after each. */
    advance(ms: number, check?: () => void, step = 1) {
      if (check === undefined) return sim.clock.advance(ms);
      for (let t = 0; t < ms; t += step) {
        sim.clock.advance(Math.min(step, ms - t));
        check();
      }
    },
    /** Start and let the workers boot. */
    start(ms = 100) {
      void control.start().catch(() => {});
      sim.clock.advance(ms);
    },
  };
  return api;
}
