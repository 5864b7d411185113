/**
 * The ClusterPort over node:cluster: the only module that imports it. Node's worker events
 * become facts (`cluster.fork`, `cluster.online`, …) keyed by the control's worker ids; the
 * machines' effects become `cluster.fork(env)`, the shutdown message plus
 * `worker.disconnect()`, and signals to the worker's process tree.
 */
import cluster, { type Address, type Worker } from 'node:cluster';
import { existsSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { asError, createError, warningCodes } from '../errors.js';
import { checkEnv } from '../options.js';
import {
  type ChildNotice,
  type ShutdownMessage,
  type StatsReply,
  type StatsRequest,
  TERMINATE_NOTICE,
  isAgentMessage,
  isChildNotice,
  isStatsReply,
  workerEnv,
} from './agent-protocol.js';
import type { ClusterFact, ClusterPort, ForkRequest, WorkerStats } from './cluster-port.js';
import type { ListeningAddress } from '../machines/worker.machine.js';
import type { ControlOptions } from './create-control.js';
import { createHandoffWatch } from './connection-handoffs.js';
import { checkExec } from './exec-check.js';
import { type TreeSignal, identityOf, killTrees } from './process-tree.js';
import { createWarden } from './warden.js';

/**
 * One control per process: node:cluster is process-wide. The claim is the port holding it,
 * released by that port's `close()` only (a stale second close() must not free another's).
 * It lives under a registry symbol, not in a module variable: the ESM and the CommonJS build
 * of clusterchart, both loaded in one process (an ESM app whose CommonJS dependency requires
 * it too), are two modules but must see one claim.
 */
const CLAIM_KEY = Symbol.for('clusterchart.cluster-port');
const claims = globalThis as unknown as Record<symbol, ClusterPort | undefined>;

/** How long the warden's list may keep the pids of workers that exited (see updateWardenWithin). */
const EXIT_BATCH_MS = 250;

/** The agent's CommonJS build, preloaded with `--require` into every worker. */
function agentPath(): string {
  const candidates = ['./worker.cjs', '../../dist/worker.cjs'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}

/**
 * `onError` receives what goes wrong while carrying out an effect (a signal refused with
 * EPERM, a failed fork): effects never throw into the machines.
 */
export function createNodeClusterPort(options: ControlOptions, onError: (error: Error) => void = () => {}): ClusterPort {
  if (!cluster.isPrimary) throw createError('CC_ERR_CONTROL_NOT_PRIMARY');
  if (claims[CLAIM_KEY] !== undefined) throw createError('CC_ERR_CONTROL_EXISTS');
  const userExecArgv = options.execArgv ?? process.execArgv;
  // The user's loaders only: the agent's own --require below resolves no script name.
  if (options.exec !== undefined) checkExec(options.exec, userExecArgv, options.env);
  // maxMemory reads /proc (see rss below); without it, only the agent reports a worker's memory.
  if (options.maxMemory != null && options.agent !== true && process.platform !== 'linux') {
    throw createError('CC_ERR_OPTION_INVALID', { option: 'maxMemory', reason: "needs agent: true outside Linux: the worker agent reports each worker's memory" });
  }
  const execArgv = [...userExecArgv, ...(options.agent === true ? ['--require', agentPath()] : [])];
  cluster.setupPrimary({
    ...(options.exec === undefined ? {} : { exec: options.exec }),
    ...(options.args === undefined ? {} : { args: options.args }),
    execArgv,
  });

  const listeners = new Set<(fact: ClusterFact) => void>();
  /** Our id → node's Worker, and node's worker id → our id. */
  const workers = new Map<number, Worker>();
  const ids = new Map<number, number>();
  const pendingStats = new Map<number, (stats: WorkerStats | null) => void>();
  let nonce = 0;

  /** The pids of every worker still running, adopted ones included. */
  const livePids = () =>
    Object.values(cluster.workers ?? {}).flatMap((w) => (w === undefined || w.isDead() || w.process.pid === undefined ? [] : [w.process.pid]));
  // Takes the workers down if this process dies without its exit hook (SIGKILL).
  const warden = createWarden(warnNoWarden);
  // Each update wakes the warden, which reads its line byte by byte, so updates are batched:
  // forks reach it within a millisecond, exits within EXIT_BATCH_MS, and the last exit at
  // once. A pid that stays listed a little longer than it lives is harmless: the list is read
  // only if this process dies, and the kernel does not reuse a pid that soon.
  let pendingUpdate: { timer: NodeJS.Timeout; due: number } | null = null;
  const updateWarden = () => {
    if (pendingUpdate !== null) clearTimeout(pendingUpdate.timer);
    pendingUpdate = null;
    warden.watch(livePids());
  };
  /** Brings the warden's list up to date within `ms`, unless an update is due sooner. */
  const updateWardenWithin = (ms: number) => {
    const due = performance.now() + ms;
    if (pendingUpdate !== null && pendingUpdate.due <= due) return;
    if (pendingUpdate !== null) clearTimeout(pendingUpdate.timer);
    pendingUpdate = { timer: setTimeout(updateWarden, ms).unref(), due };
  };

  const report = (fact: ClusterFact) => {
    for (const listener of [...listeners]) listener(fact);
  };
  const idOf = (worker: Worker) => ids.get(worker.id);

  const envFor = (slot: number, id: number): Record<string, string | undefined> => {
    let env = options.env ?? {};
    if (typeof env === 'function') {
      // A static env was checked with the other options; what the function gives, at each fork.
      const given: unknown = env(slot);
      checkEnv(`env(${slot})`, given);
      env = given;
    }
    return { ...env, [workerEnv.slot]: String(slot), [workerEnv.id]: String(id), NODE_APP_INSTANCE: String(slot) };
  };

  /** Workers whose fork was reported: node:cluster's own `fork` event may follow a catch-up. */
  const forkReported = new WeakSet<Worker>();

  // node:cluster facts, in a lookup table: event → how it becomes a fact.
  const handlers = {
    fork: (worker: Worker) => {
      if (forkReported.has(worker)) return;
      const id = idOf(worker);
      // A fork of the app's own is adopted only while its process runs: not one that created
      // no process (ENOENT, EAGAIN, EMFILE: its `error` came first, and no `exit` ever comes,
      // so a stop would wait for it forever), nor one that has exited already (node:cluster
      // lists it until its channel closes too, which a child holding the channel delays).
      if (id === undefined && (worker.process.pid === undefined || worker.isDead())) return;
      forkReported.add(worker);
      updateWardenWithin(0);
      const pid = worker.process.pid ?? 0;
      if (id === undefined) report({ type: 'cluster.fork', id: null, handle: worker.id, pid });
      else report({ type: 'cluster.fork', id, pid });
    },
    online: (worker: Worker) => withId(worker, (id) => report({ type: 'cluster.online', id })),
    listening: (worker: Worker, address: Address) => withId(worker, (id) => report({ type: 'cluster.listening', id, address: address as ListeningAddress })),
    disconnect: (worker: Worker) => withId(worker, (id) => report({ type: 'cluster.disconnect', id })),
    exit: (worker: Worker, code: number | null, signal: string | null) => {
      killChildrenOf(worker);
      if (livePids().length === 0) updateWarden();
      else updateWardenWithin(EXIT_BATCH_MS);
      withId(worker, (id) => {
        workers.delete(id);
        ids.delete(worker.id);
        report({ type: 'cluster.exit', id, code, signal });
      });
    },
    message: (worker: Worker, message: unknown) =>
      withId(worker, (id) => {
        if (isAgentMessage(message)) {
          if (message.clusterchart === 'ready') report({ type: 'worker.ready', id });
          return;
        }
        // PM2's wait_ready: `process.send('ready')`. It reaches `message` listeners too, as
        // the app's own message.
        if (message === 'ready') report({ type: 'worker.ready', id });
        report({ type: 'cluster.message', id, message });
      }),
  };
  /**
   * Errors of a worker's channel must never become unhandled throws. A write to a worker that
   * is dying (EPIPE, ECONNRESET, a closed channel) says nothing its exit will not.
   */
  const onChannelError = (error: Error) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPIPE' && code !== 'ECONNRESET' && code !== 'ERR_IPC_CHANNEL_CLOSED') onError(error);
  };
  /**
   * Per worker, the child processes its agent said it started and that have not ended, each
   * with its start time, to tell it from a later process that got its pid. Only a child the
   * process table shows as the worker's own is recorded: not one that already ended, not
   * another process named by a stray message (Linux only: elsewhere nothing is recorded).
   */
  const childrenOf = new WeakMap<Worker, Map<number, string>>();
  const noteChild = (worker: Worker, { pid, running }: ChildNotice) => {
    let children = childrenOf.get(worker);
    if (!running) return void children?.delete(pid);
    const identity = identityOf(pid);
    if (identity === null || identity.parent !== worker.process.pid) return;
    if (children === undefined) childrenOf.set(worker, (children = new Map()));
    children.set(pid, identity.started);
  };
  /**
   * A worker that dies by SIGKILL or an abort (out of memory, a native crash) leaves its
   * children to init: the agent's exit hook never ran. Those still running, with their own
   * children, are killed now. (After any other exit the agent has killed them already.)
   */
  const killChildrenOf = (worker: Worker) => {
    const children = childrenOf.get(worker);
    if (children === undefined) return;
    childrenOf.delete(worker);
    const alive = [...children].filter(([pid, started]) => identityOf(pid)?.started === started);
    guarded(killTrees)(alive.map(([pid]) => ({ pid, signal: 'SIGKILL' })));
  };
  /** The agent's own messages are internal (agent-protocol.ts): node:cluster does not relay them. */
  const onInternalMessage = (worker: Worker, message: unknown) => {
    if (isStatsReply(message)) settleStats(message);
    else if (isChildNotice(message)) noteChild(worker, message);
  };
  const handoffs = createHandoffWatch();
  const watch = (worker: Worker) => {
    worker.on('error', onChannelError);
    handoffs.watch(worker);
    worker.process.on('internalMessage', (message: unknown) => onInternalMessage(worker, message));
  };
  const withId = (worker: Worker, fn: (id: number) => void) => {
    const id = idOf(worker);
    if (id !== undefined) fn(id);
  };
  const settleStats = (reply: StatsReply) => {
    pendingStats.get(reply.nonce)?.({ connections: reply.connections, memory: reply.memory });
  };
  for (const [event, handler] of Object.entries(handlers)) cluster.on(event, handler as (...args: unknown[]) => void);

  const pidOf = (id: number) => workers.get(id)?.process.pid;
  const guarded =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A) => {
      try {
        fn(...args);
      } catch (error) {
        onError(asError(error));
      }
    };

  /**
   * Forks wait their turn, one per turn of the event loop. Each `cluster.fork()` holds the
   * primary until the child has exec'd, which on a busy machine waits for a core: a burst of
   * them in one go (set-size 100, 60 ms each on 2 cores while the first ones boot) held it for
   * seconds, deaf to signals, to the control socket, and to the connections it hands to the
   * workers. Between two forks, all of those get their turn.
   */
  const forkQueue = new Map<number, ForkRequest>();
  let forkTurn: NodeJS.Immediate | null = null;
  const forkNext = () => {
    forkTurn = null;
    const next = forkQueue.values().next();
    if (next.done === true) return;
    forkQueue.delete(next.value.id);
    if (forkQueue.size > 0) forkTurn = setImmediate(forkNext);
    forkNow(next.value);
  };
  /** A worker asked to go before its turn to fork: it never starts, and ends as a fork that created no process. */
  const cancelFork = (id: number) => {
    if (!forkQueue.delete(id)) return false;
    queueMicrotask(() => report({ type: 'cluster.exit', id, code: null, signal: null }));
    return true;
  };
  /**
   * Signals go out after the turn that asked for them, all of that turn's in one go: one read
   * of the process table for every tree (a read opens a file per process on the machine, a few
   * ms, and ten times that on a busy one), however many workers a stop or a rollout signals at
   * once. The machine that asked has armed its next timer by then, so terminateTimeout counts
   * from its decision, not from the end of the walks before it.
   */
  const signalQueue: TreeSignal[] = [];
  let signalTurn: NodeJS.Immediate | null = null;
  const sendSignals = () => {
    if (signalTurn !== null) clearImmediate(signalTurn);
    signalTurn = null;
    guarded(killTrees)(signalQueue.splice(0));
  };
  const dropForks = () => {
    forkQueue.clear();
    if (forkTurn !== null) clearImmediate(forkTurn);
    forkTurn = null;
  };

  const forkNow = ({ id, slot }: ForkRequest) => {
    let worker: Worker;
    /**
     * No process (the env function threw, the system refused it): to the machines this
     * worker ended at startup, so it counts toward the crash loop like any other.
     */
    const failed = (error: unknown) => {
      onError(forkFailed(id, error));
      report({ type: 'cluster.exit', id, code: null, signal: null });
    };
    try {
      worker = cluster.fork(envFor(slot, id));
    } catch (error) {
      // In a turn of its own (forkNext), outside any step of the machines.
      failed(error);
      return;
    }
    if (worker.process.pid === undefined) {
      // Refused for want of resources (EMFILE, ENFILE, EAGAIN) or access (EACCES, ENOENT),
      // spawn does not throw: its `error` comes on the next tick, then node:cluster's `fork`,
      // and never an `exit`, and node:cluster keeps the worker listed for good.
      forkReported.add(worker);
      delete cluster.workers?.[worker.id];
      worker.once('error', failed);
      return;
    }
    workers.set(id, worker);
    ids.set(worker.id, id);
    watch(worker);
  };

  const port: ClusterPort = {
    fork(request) {
      forkQueue.set(request.id, request);
      forkTurn ??= setImmediate(forkNext);
    },
    adopt(handle, id) {
      const worker = cluster.workers?.[handle];
      if (worker === undefined) return;
      workers.set(id, worker);
      ids.set(handle, id);
      watch(worker);
      // Catch the new actor up with what already happened to a worker adopted late: its
      // facts before this moment found no id and were dropped. (It is alive: a dead one is
      // not reported, and the fork fact and its adoption come in the same tick.)
      // `state` is set by node:cluster but not in its types.
      const { state } = worker as Worker & { state?: string };
      if (state === 'online' || state === 'listening') report({ type: 'cluster.online', id });
      if (state === 'listening') report({ type: 'cluster.listening', id, address: null });
    },
    disconnect: guarded((id: number) => {
      if (cancelFork(id)) return;
      const worker = workers.get(id);
      if (worker === undefined || !worker.isConnected()) return;
      // The agent hears the disconnect itself and tells the app (see worker-agent.ts).
      if (options.agent !== true) worker.send({ clusterchart: 'shutdown' } satisfies ShutdownMessage, () => {});
      worker.disconnect();
    }),
    signal: guarded((id: number, signal: NodeJS.Signals) => {
      if (cancelFork(id)) return;
      const worker = workers.get(id);
      const pid = worker?.process.pid;
      if (pid === undefined) return;
      // The agent takes a SIGTERM it was not told of for the process group's (agent-protocol.ts).
      if (signal === 'SIGTERM' && worker!.isConnected()) worker!.send(TERMINATE_NOTICE as never, () => {});
      signalQueue.push({ pid, signal });
      signalTurn ??= setImmediate(sendSignals);
    }),
    lowerPriority: guarded((id: number, increment: number) => {
      const pid = pidOf(id);
      if (pid !== undefined) lowerPriority(pid, increment);
    }),
    send(id, message) {
      const worker = workers.get(id);
      if (worker?.isConnected()) worker.send(message as never, () => {});
    },
    stats(id, timeout) {
      const worker = workers.get(id);
      if (worker === undefined || !worker.isConnected()) return Promise.resolve(null);
      const n = ++nonce;
      return new Promise((resolve) => {
        const timer = setTimeout(() => settle(null), timeout);
        const settle = (stats: WorkerStats | null) => {
          clearTimeout(timer);
          pendingStats.delete(n);
          resolve(stats);
        };
        pendingStats.set(n, settle);
        worker.send({ cmd: 'NODE_CLUSTERCHART_STATS?', nonce: n } satisfies StatsRequest as never, () => {});
      });
    },
    rss(id) {
      const pid = workers.get(id)?.process.pid;
      if (pid === undefined) return null;
      try {
        const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        return kib === undefined ? null : Number(kib) * 1024;
      } catch {
        // No /proc (not Linux), or the process is gone.
        return null;
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      // Workers the app forked before this control existed are reported first, so the control
      // adopts them before any command (a start() right after createControl() counts them).
      for (const worker of Object.values(cluster.workers ?? {})) if (worker !== undefined) handlers.fork(worker);
      return () => listeners.delete(listener);
    },
    killAll() {
      dropForks();
      signalQueue.push(...livePids().map((pid) => ({ pid, signal: 'SIGKILL' as const })));
      sendSignals();
    },
    close() {
      if (claims[CLAIM_KEY] !== port) return;
      delete claims[CLAIM_KEY];
      for (const [event, handler] of Object.entries(handlers)) cluster.off(event, handler as (...args: unknown[]) => void);
      for (const settle of pendingStats.values()) settle(null);
      dropForks();
      sendSignals();
      listeners.clear();
      if (pendingUpdate !== null) clearTimeout(pendingUpdate.timer);
      warden.close();
    },
  };
  claims[CLAIM_KEY] = port;
  return port;
}

/** The coded error of a fork that created no process. */
function forkFailed(id: number, cause: unknown): Error {
  return createError('CC_ERR_WORKER_FORK_FAILED', { id, reason: asError(cause).message }, cause);
}

/**
 * The process's nice value, `increment` above this control's own (what a worker inherits at
 * fork), capped at 19; idempotent, and never raises a priority. A worker already gone is fine.
 */
function lowerPriority(pid: number, increment: number): void {
  try {
    const target = Math.min(19, getPriority() + increment);
    if (getPriority(pid) < target) setPriority(pid, target);
  } catch (error) {
    if ((error as { info?: { code?: string } }).info?.code !== 'ESRCH') throw error;
  }
}

/** The warden could not start (no /bin/sh, Windows): say so once; the control still runs. */
function warnNoWarden(cause: Error): void {
  process.emitWarning(`clusterchart: ${warningCodes.CC_WRN_001} (${cause.message})`, { code: 'CC_WRN_001' });
}
