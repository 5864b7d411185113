/**
 * The port between the runtime and a cluster: the only way clusterchart touches worker
 * processes. `node-cluster.ts` implements it with node:cluster; `simulated-cluster.ts`
 * implements it in memory on a simulated clock, for tests.
 */
import type { ControlFact } from '../machines/control.machine.js';

/** What the control asks the cluster to fork. */
export interface ForkRequest {
  id: number;
  slot: number;
  generation: number;
}

/** A fact without its instant; the runtime stamps `at` from its clock. */
export type ClusterFact = ControlFact extends infer F ? (F extends { at: number } ? Omit<F, 'at'> : F) : never;

/** Open connections and memory of one worker, from its agent. */
export interface WorkerStats {
  connections: number;
  memory: number;
}

export interface ClusterPort {
  /** Start a worker process; its facts then arrive through `subscribe`, with `id`. */
  fork(request: ForkRequest): void;
  /** Send the shutdown message and close the worker's IPC channel (`worker.disconnect()`). */
  disconnect(id: number): void;
  /** Signal the worker's process and its descendants (the node:cluster port: after this turn, with every signal asked in it). */
  signal(id: number, signal: NodeJS.Signals): void;
  /** Add `increment` to the nice value of the worker's process (capped at 19; never raises it). */
  lowerPriority(id: number, increment: number): void;
  /** Send a message to the worker (ignored when it cannot receive). */
  send(id: number, message: unknown): void;
  /** A worker the app forked itself (reported with `id: null, handle`) now has this id. */
  adopt(handle: number, id: number): void;
  /** Ask the worker's agent for its stats; null when it does not answer within `timeout` ms. */
  stats(id: number, timeout: number): Promise<WorkerStats | null>;
  /**
   * The resident memory (bytes) of the worker's process, read by the port itself, without its
   * agent (the node:cluster port on Linux: /proc), so a worker whose event loop is blocked is
   * read too; null when it cannot. Optional: maxMemory then asks the agent (`stats`).
   */
  rss?(id: number): number | null;
  /**
   * Facts in the order they happen; workers that already run when it is called come first, as
   * forks with `id: null` (to adopt). Returns the unsubscribe function.
   */
  subscribe(listener: (fact: ClusterFact) => void): () => void;
  /** SIGKILL every worker process now, synchronously (process `exit`). */
  killAll(): void;
  /** Release what the port holds (listeners, the process-wide claim). */
  close(): void;
}
