/**
 * The contract between the control and the worker agent (`clusterchart/worker`): the
 * variables every worker finds in its environment, and the messages the two exchange over
 * the cluster IPC channel, of two kinds:
 * - the ones the app may hear too (`ready`, `shutdown`) carry `clusterchart: <kind>`, so they
 *   never collide with the app's own messages;
 * - the agent's own traffic (stats, child processes, the terminate notice) travels as Node internal messages
 *   (`cmd: 'NODE_…'`): they reach `internalMessage` listeners only, never the `message`
 *   listeners of the app in the worker or of `cluster` in the primary.
 * Last, the few of node:cluster's own internal messages that the runtime reads.
 */

/** The variables every worker finds in its environment, besides the app's own. */
export const workerEnv = { slot: 'CLUSTERCHART_SLOT', id: 'CLUSTERCHART_ID' } as const;

/** A worker whose environment switches this on gets its output lines prefixed (`run --log-prefix`, log-prefix.ts). */
export const logPrefixEnv = 'CLUSTERCHART_LOG_PREFIX';

/** A switch in a variable: true/on/yes/1 and false/off/no/0 (any case); undefined for any other text. */
export function readSwitch(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^(true|on|yes|1)$/i.test(value)) return true;
  return /^(false|off|no|0)$/i.test(value) ? false : undefined;
}

/** Worker → control: the app is ready to serve (`readyOn: 'message'`). */
export interface ReadyMessage {
  clusterchart: 'ready';
}

/** Control → worker (internal): report open connections and memory; answer with the same nonce. */
export interface StatsRequest {
  cmd: 'NODE_CLUSTERCHART_STATS?';
  nonce: number;
}

/** Worker → control (internal): the answer to a StatsRequest. */
export interface StatsReply {
  cmd: 'NODE_CLUSTERCHART_STATS';
  nonce: number;
  /** Sum of `getConnections()` over every net/http server of the worker. */
  connections: number;
  /** `process.memoryUsage().rss` in bytes. */
  memory: number;
}

/**
 * Worker → control (internal): the app started a child process (`running: true`), or one of
 * them ended. The agent takes its children along when the worker exits; a worker that dies by
 * SIGKILL or abort (out of memory, a native crash) cannot, and the control kills the children
 * it was told of once it sees the exit.
 */
export interface ChildNotice {
  cmd: 'NODE_CLUSTERCHART_CHILD';
  pid: number;
  running: boolean;
}

/**
 * Control → worker: drain and exit. Sent just before `worker.disconnect()` to a worker
 * without the agent; the agent hears the disconnect itself and hands the app this message.
 */
export interface ShutdownMessage {
  clusterchart: 'shutdown';
}

/** The messages the app may hear too. */
export type AgentMessage = ReadyMessage | ShutdownMessage;

/**
 * Control → worker, just before the control's own SIGTERM (terminate, a startup timeout): the
 * signal is meant, end now. A SIGTERM or SIGINT without it, while the control is connected
 * and has not asked the worker to go, came to the whole process group (Ctrl-C in a terminal,
 * systemd's control-group stop), and the agent drains instead (worker-agent.ts). A Node
 * internal message (`cmd: 'NODE_…'`): it reaches the agent's `internalMessage` listener and
 * never the app's `message` listeners.
 */
export const TERMINATE_NOTICE = { cmd: 'NODE_CLUSTERCHART_TERMINATE' } as const;

export function isTerminateNotice(message: unknown): boolean {
  return cmdOf(message) === TERMINATE_NOTICE.cmd;
}

/** True when `message` is one of clusterchart's own messages. */
export function isAgentMessage(message: unknown): message is AgentMessage {
  return typeof message === 'object' && message !== null && typeof (message as { clusterchart?: unknown }).clusterchart === 'string';
}

const cmdOf = (message: unknown): unknown => (typeof message === 'object' && message !== null ? (message as { cmd?: unknown }).cmd : undefined);

export function isStatsRequest(message: unknown): message is StatsRequest {
  return cmdOf(message) === 'NODE_CLUSTERCHART_STATS?' && typeof (message as StatsRequest).nonce === 'number';
}

export function isStatsReply(message: unknown): message is StatsReply {
  return cmdOf(message) === 'NODE_CLUSTERCHART_STATS';
}

export function isChildNotice(message: unknown): message is ChildNotice {
  const pid = (message as ChildNotice | null)?.pid;
  // A real child's pid: 0, 1 or a negative pid would make a kill hit a group, or everything.
  return cmdOf(message) === 'NODE_CLUSTERCHART_CHILD' && Number.isInteger(pid) && (pid as number) > 1;
}

/**
 * node:cluster's own request to a worker to disconnect (`worker.disconnect()` in the
 * primary), which a worker's `process` emits as `internalMessage`.
 */
export function isClusterDisconnect(message: unknown): boolean {
  return cmdOf(message) === 'NODE_CLUSTER' && (message as { act?: unknown }).act === 'disconnect';
}

/** node:cluster's round-robin handing a worker a connection (its socket travels with it). */
export interface ClusterHandoff {
  cmd: 'NODE_CLUSTER';
  act: 'newconn';
  key: string;
  seq: number;
}

/** A worker's answer to node:cluster's message `seq`: for a handoff, whether it took the connection. */
export interface ClusterAnswer {
  cmd: 'NODE_CLUSTER';
  ack: number;
  accepted?: boolean;
}

export function isClusterHandoff(message: unknown): message is ClusterHandoff {
  return cmdOf(message) === 'NODE_CLUSTER' && (message as ClusterHandoff).act === 'newconn';
}

export function isClusterAnswer(message: unknown): message is ClusterAnswer {
  return cmdOf(message) === 'NODE_CLUSTER' && typeof (message as ClusterAnswer).ack === 'number';
}
