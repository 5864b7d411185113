/**
 * Liveness and readiness of a control, for orchestrators (`/healthz`, `/readyz`): pure
 * functions of a status, so the rules are tested without a server.
 *
 * - Alive: the control's actor runs and the control has not given up.
 * - Ready: running, and at least `size` workers ready (with no size set: every worker not on
 *   its way out), and at least one. A rolling restart stays ready: it is surge-first. In
 *   danger (a crash loop backing off), any ready worker is enough: waiting does not bring the
 *   others, and taking the instance out of the load balancer would turn the workers that
 *   crash into an outage of the ones that serve (a bad deploy's old workers, say).
 */
import type { ControlStatus } from '../runtime/create-control.js';

export interface Liveness {
  alive: boolean;
  state: ControlStatus['master']['state'];
  health: ControlStatus['master']['health'];
}

export interface Readiness {
  ready: boolean;
  state: ControlStatus['master']['state'];
  health: ControlStatus['master']['health'];
  /** Workers wanted: the size, or every worker not stopping when no size is set. */
  size: number;
  /** Workers in `online.ready`. */
  readyWorkers: number;
  /** Why not ready; absent when ready. */
  reason?: string;
}

/** States of a worker on its way out: not counted as wanted when no size is set. */
const leaving = (state: string) => state === 'disconnecting' || state.startsWith('exiting') || state === 'exited';

export function livenessOf(status: ControlStatus, actorActive: boolean): Liveness {
  const { state, health } = status.master;
  return { alive: actorActive && health !== 'gaveUp', state, health };
}

export function readinessOf(status: ControlStatus): Readiness {
  const { state, health } = status.master;
  const size = status.master.size ?? status.workers.filter((w) => !leaving(w.state)).length;
  const readyWorkers = status.workers.filter((w) => w.state === 'online.ready').length;
  const reason =
    state !== 'running'
      ? `the control is ${state}`
      : readyWorkers === 0
        ? 'no worker is ready'
        : readyWorkers < size && health === 'ok'
          ? `${readyWorkers} of ${size} workers ready`
          : undefined;
  return { ready: reason === undefined, state, health, size, readyWorkers, ...(reason === undefined ? {} : { reason }) };
}
