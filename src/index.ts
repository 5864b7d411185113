/**
 * The public API of clusterchart, by name. Anything not listed here is internal.
 */
export {
  createControl,
  dotted,
  type Control,
  type ControlActor,
  type ControlEventMap,
  type ControlEventType,
  type ControlListener,
  type ControlOptions,
  type ControlStatus,
  type ErrorEvent,
  type TransitionEvent,
  type WorkerEnv,
  type WorkerState,
  type WorkerStatus,
} from './runtime/create-control.js';
export {
  controlMachine,
  type ControlCommand,
  type ControlContext,
  type ControlEmitted,
  type ControlEvent,
  type ControlFact,
  type ControlInput,
  type CrashCounts,
  type GiveUpCause,
  type WorkerInfo,
  type WorkerRef,
} from './machines/control.machine.js';
export {
  workerMachine,
  type ExitPhase,
  type ListeningAddress,
  type StopReason,
  type WorkerCommand,
  type WorkerContext,
  type WorkerEvent,
  type WorkerExit,
  type WorkerFact,
  type WorkerInput,
  type WorkerMachine,
  type WorkerNotice,
} from './machines/worker.machine.js';
export { reconcile, type ReconcileInput, type ReconcilePlan, type RolloutStep, type WorkerView } from './machines/reconcile.js';
export type { ClusterPort, ClusterFact, ForkRequest, WorkerStats } from './runtime/cluster-port.js';
export type { Clock } from './runtime/clock.js';
export {
  createSimulatedCluster,
  createSimulatedClock,
  type ScriptFor,
  type SimulatedClock,
  type SimulatedCluster,
  type WorkerScript,
} from './runtime/simulated-cluster.js';
export { defaultSettings, normalizeSettings, type ReadyOn, type SettingsInput, type SupervisionSettings } from './options.js';
export { ClusterchartError, errorCodes, isClusterchartError, type ErrorCode } from './errors.js';
export {
  createDashboard,
  createMetrics,
  livenessOf,
  readinessOf,
  type Dashboard,
  type DashboardOptions,
  type Liveness,
  type Metrics,
  type MetricsOptions,
  type Readiness,
} from './inspect/index.js';
export {
  createDiagram,
  diagramFormats,
  diagramMachines,
  diagramNames,
  type DiagramFormat,
  type DiagramName,
  type DiagramOptions,
} from './diagrams/index.js';
export {
  createControlServer,
  defaultControlPath,
  type ControlServer,
  type ControlServerOptions,
} from './server/control-server.js';
export { createControlClient, type ControlClient, type RequestHandlers } from './server/control-client.js';
