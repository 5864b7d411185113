/**
 * An in-memory cluster on a simulated clock: fake workers follow a script each (boot time,
 * never ready, crash at start or after T, ignore disconnect or SIGTERM, exit code and
 * signal), so every rule of the machines can be tested exactly and in milliseconds.
 * It behaves as node:cluster does: `disconnect` is reported before `exit`, and a worker that
 * exits after a requested disconnect exits with code 0.
 */
import type { Clock } from './clock.js';
import type { ClusterFact, ClusterPort, ForkRequest, WorkerStats } from './cluster-port.js';

/** How one fake worker behaves. Times are ms on the simulated clock. */
export interface WorkerScript {
  /** fork → online. Default 10. */
  onlineAfter?: number;
  /** online → listening (and the `ready()` message); null: never ready. Default 10. */
  readyAfter?: number | null;
  /** Exit before `online` (a startup failure), after `onlineAfter`. */
  exitAtStart?: boolean;
  /** Exit unrequested this long after `online` (a crash, or exit(0) when `exitCode` is 0). */
  exitAfter?: number | null;
  /** Code of an unrequested exit. Default 1. */
  exitCode?: number;
  /** Signal of an unrequested exit (then the code is null). */
  exitSignal?: string | null;
  /** Disconnect itself (unrequested) this long after `online`, exiting 1 ms later. */
  disconnectAfter?: number | null;
  /** After a requested disconnect: ms of draining before it exits 0. Default 5. */
  drainTime?: number;
  /** Its IPC channel closes on disconnect, but the process keeps running. */
  ignoreDisconnect?: boolean;
  /** SIGTERM has no effect (SIGKILL always does). */
  ignoreTerm?: boolean;
  /** What its agent reports; null: no agent (stats time out). */
  stats?: WorkerStats | null;
}

export type ScriptFor = (request: ForkRequest) => WorkerScript;

/** A clock that stops at every due timer on its way forward, so each fact carries its exact instant. */
export interface SimulatedClock extends Clock {
  /** Move time forward by `ms`, firing each due timer at its own instant. */
  advance(ms: number): void;
  /** Timers still scheduled. */
  pending(): number;
}

export function createSimulatedClock(): SimulatedClock {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { due: number; seq: number; fn: () => void }>();
  const next = () => {
    let best: [number, { due: number; seq: number; fn: () => void }] | undefined;
    for (const entry of timers) {
      const [, t] = entry;
      if (best === undefined || t.due < best[1].due || (t.due === best[1].due && t.seq < best[1].seq)) best = entry;
    }
    return best;
  };
  return {
    now: () => now,
    setTimeout(fn, timeout) {
      const id = ++seq;
      timers.set(id, { due: now + Math.max(0, timeout), seq: id, fn: fn as () => void });
      return id;
    },
    clearTimeout(id) {
      timers.delete(id as number);
    },
    advance(ms) {
      const target = now + ms;
      for (let entry = next(); entry !== undefined && entry[1].due <= target; entry = next()) {
        timers.delete(entry[0]);
        now = entry[1].due;
        entry[1].fn();
      }
      now = target;
    },
    pending: () => timers.size,
  };
}

type Phase = 'starting' | 'online' | 'disconnected' | 'exited';

interface FakeWorker {
  id: number | null;
  handle: number;
  pid: number;
  script: Required<WorkerScript>;
  phase: Phase;
  timers: Set<unknown>;
  disconnectRequested: boolean;
}

export interface SimulatedCluster extends ClusterPort {
  readonly clock: SimulatedClock;
  /** Every call the control made, in order, for assertions. */
  readonly calls: Array<{ at: number; call: 'fork' | 'disconnect' | 'signal' | 'send' | 'adopt' | 'lowerPriority'; id: number; detail?: unknown }>;
  /** Fork a worker as the app itself would (not through the control). */
  forkExternal(script?: WorkerScript): number;
  /** Make a live worker exit now, as a crash or an external kill would. */
  crash(id: number, code?: number | null, signal?: string | null): void;
  /** Pids of processes that have not exited. */
  alive(): number[];
}

const defaults: Required<WorkerScript> = {
  onlineAfter: 10,
  readyAfter: 10,
  exitAtStart: false,
  exitAfter: null,
  exitCode: 1,
  exitSignal: null,
  disconnectAfter: null,
  drainTime: 5,
  ignoreDisconnect: false,
  ignoreTerm: false,
  stats: { connections: 0, memory: 30_000_000 },
};

export function createSimulatedCluster(options: { scriptFor?: ScriptFor; clock?: SimulatedClock } = {}): SimulatedCluster {
  const clock = options.clock ?? createSimulatedClock();
  const scriptFor = options.scriptFor ?? (() => ({}));
  const listeners = new Set<(fact: ClusterFact) => void>();
  const byId = new Map<number, FakeWorker>();
  const byHandle = new Map<number, FakeWorker>();
  const calls: SimulatedCluster['calls'] = [];
  let nextPid = 1000;
  let nextHandle = 1;

  const report = (fact: ClusterFact) => {
    for (const listener of [...listeners]) listener(fact);
  };
  const later = (w: FakeWorker, ms: number, fn: () => void) => {
    const timer = clock.setTimeout(() => {
      w.timers.delete(timer);
      fn();
    }, ms);
    w.timers.add(timer);
  };

  const exit = (w: FakeWorker, code: number | null, signal: string | null) => {
    if (w.phase === 'exited') return;
    for (const timer of w.timers) clock.clearTimeout(timer);
    w.timers.clear();
    const id = w.id;
    const wasOnline = w.phase === 'online';
    // Dead before anyone hears of it: a disconnect the control sends back must not revive it.
    w.phase = 'exited';
    if (wasOnline && id !== null) report({ type: 'cluster.disconnect', id });
    if (id !== null) report({ type: 'cluster.exit', id, code, signal });
  };

  const boot = (w: FakeWorker) => {
    const s = w.script;
    later(w, s.onlineAfter, () => {
      if (s.exitAtStart) return exit(w, s.exitSignal === null ? s.exitCode : null, s.exitSignal);
      w.phase = 'online';
      const id = w.id;
      if (id !== null) report({ type: 'cluster.online', id });
      if (s.readyAfter !== null) {
        later(w, s.readyAfter, () => {
          const readyId = w.id;
          if (readyId === null) return;
          report({ type: 'cluster.listening', id: readyId, address: { address: '127.0.0.1', port: 8000, addressType: 4 } });
          report({ type: 'worker.ready', id: readyId });
        });
      }
      if (s.exitAfter !== null) later(w, s.exitAfter, () => exit(w, s.exitSignal === null ? s.exitCode : null, s.exitSignal));
      if (s.disconnectAfter !== null) {
        later(w, s.disconnectAfter, () => {
          const disconnectId = w.id;
          w.phase = 'disconnected';
          if (disconnectId !== null) report({ type: 'cluster.disconnect', id: disconnectId });
          later(w, 1, () => exit(w, s.exitCode, null));
        });
      }
    });
  };

  const spawn = (id: number | null, script: WorkerScript): FakeWorker => {
    const w: FakeWorker = {
      id,
      handle: nextHandle++,
      pid: nextPid++,
      script: { ...defaults, ...script },
      phase: 'starting',
      timers: new Set(),
      disconnectRequested: false,
    };
    byHandle.set(w.handle, w);
    if (id !== null) byId.set(id, w);
    return w;
  };

  return {
    clock,
    calls,
    fork(request) {
      calls.push({ at: clock.now(), call: 'fork', id: request.id, detail: { slot: request.slot, generation: request.generation } });
      const w = spawn(request.id, scriptFor(request));
      report({ type: 'cluster.fork', id: request.id, pid: w.pid });
      boot(w);
    },
    forkExternal(script = {}) {
      const w = spawn(null, script);
      report({ type: 'cluster.fork', id: null, handle: w.handle, pid: w.pid });
      boot(w);
      return w.pid;
    },
    adopt(handle, id) {
      calls.push({ at: clock.now(), call: 'adopt', id, detail: { handle } });
      const w = byHandle.get(handle);
      if (w === undefined) return;
      w.id = id;
      byId.set(id, w);
    },
    disconnect(id) {
      calls.push({ at: clock.now(), call: 'disconnect', id });
      const w = byId.get(id);
      if (w === undefined || w.phase !== 'online' || w.disconnectRequested) return;
      w.disconnectRequested = true;
      later(w, w.script.drainTime, () => {
        w.phase = 'disconnected';
        report({ type: 'cluster.disconnect', id });
        if (!w.script.ignoreDisconnect) exit(w, 0, null);
      });
    },
    signal(id, signal) {
      calls.push({ at: clock.now(), call: 'signal', id, detail: signal });
      const w = byId.get(id);
      if (w === undefined || w.phase === 'exited') return;
      if (signal === 'SIGTERM' && w.script.ignoreTerm) return;
      later(w, 1, () => exit(w, null, signal));
    },
    lowerPriority(id, increment) {
      calls.push({ at: clock.now(), call: 'lowerPriority', id, detail: increment });
    },
    send(id, message) {
      calls.push({ at: clock.now(), call: 'send', id, detail: message });
    },
    async stats(id) {
      const w = byId.get(id);
      return w === undefined || w.phase === 'exited' ? null : w.script.stats;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    crash(id, code = 1, signal = null) {
      const w = byId.get(id);
      if (w !== undefined) exit(w, signal === null ? code : null, signal);
    },
    killAll() {
      for (const w of byHandle.values()) exit(w, null, 'SIGKILL');
    },
    alive: () => [...byHandle.values()].filter((w) => w.phase !== 'exited').map((w) => w.pid),
    close() {
      listeners.clear();
    },
  };
}
