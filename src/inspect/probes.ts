/**
 * Liveness and readiness of a control, for orchestrators (`/healthz`, `/readyz`): pure
 * functions of a status, so the rules are tested without a server.
 *
 * - Alive: the control's actor runs and the control has not given up.
 * - Ready: running, not in danger, and at least `size` workers ready (with no size set:
 *   every worker not on its way out). A rolling restart stays ready: it is surge-first.
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
      : health !== 'ok'
        ? `health is ${health}`
        : readyWorkers < size
          ? `${readyWorkers} of ${size} workers ready`
          : undefined;
  return { ready: reason === undefined, state, health, size, readyWorkers, ...(reason === undefined ? {} : { reason }) };
}
