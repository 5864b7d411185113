/**
 * The model configurations the generated paths come from. Each one drives the part of the
 * charts it is named after; together they reach every state and transition of both
 * machines (the coverage check in model.test.ts holds them to it). Their bounds are
 * explained in paths.ts; the depths are the longest rule each one must reach, plus room.
 */
import type { ModelConfig } from './paths.js';

const allFacts = ['online', 'ready', 'exitAtStart', 'disconnectSelf', 'drained', 'obeySigterm', 'crash', 'exitFirst'] as const;

/**
 * The worker chart, one worker (size 1) driven through every fact, command and delay until it
 * has exited, for each `readyOn`; the first may also be forked by the app itself (adopted).
 */
export const workerConfigs: ModelConfig[] = (['listening', 'message', 'online'] as const).map((readyOn) => ({
  name: `worker(readyOn ${readyOn})`,
  settings: { size: 1, readyOn, maxRestarts: 100 },
  commands: ['start', 'shutdownOne', 'terminateOne'],
  faults: allFacts,
  forkExternal: 1,
  firstWorkerOnly: true,
  maxDepth: 12,
}));

/**
 * Start, stop (graceful, forced, escalated), start again; commands, facts and forks while
 * stopping or stopped. Commands to single workers in `running` are the worker configs' part.
 */
export const lifecycleConfig: ModelConfig = {
  name: 'control lifecycle',
  settings: { size: 1, maxRestarts: 100 },
  commands: ['start', 'stop', 'stopForce', 'shutdownAll', 'terminateAll'],
  faults: ['online', 'ready', 'drained', 'obeySigterm'],
  forkExternal: 1,
  strays: 1,
  messages: 1,
  maxDepth: 7,
  filter: (x, s) =>
    s.control.top === 'running'
      ? x.type !== 'control.shutdown' && x.type !== 'control.terminate' && x.type !== 'world.forkExternal'
      : true,
};

/**
 * setSize, add and remove, overlapping, a worker the app forks itself while running, and
 * maxMemory's readings (a worker over the limit is replaced, then goes).
 */
export const resizeConfig: ModelConfig = {
  name: 'control resize',
  settings: { size: 1, maxRestarts: 100 },
  commands: ['start', 'add', 'remove', 'setSize', 'overMemory'],
  sizes: [0, 2],
  faults: ['online', 'ready', 'drained'],
  forkExternal: 1,
  maxSize: 2,
  maxDepth: 6,
  deepDepth: 7,
  filter: (x, s) => x.type !== 'world.forkExternal' || s.control.top === 'running',
};

/**
 * Rolling restarts: canary, probation, rolling, a canary dying in probation, coalescing, and
 * a worker the app forks while the canary is on probation.
 */
export const rolloutConfig: ModelConfig = {
  name: 'control rollout',
  settings: { size: 1, maxRestarts: 100 },
  commands: ['start', 'restart'],
  faults: ['online', 'ready', 'drained', 'crash'],
  forkExternal: 1,
  maxGeneration: 3,
  maxDepth: 9,
  // Depth 11 (the deep default) grows past the traversal limit since a crash loop's probe no
  // longer waits for the older workers still booting.
  deepDepth: 10,
  filter: (x, s) => x.type !== 'world.forkExternal' || s.control.rollout === 'restarting.probation',
};

/**
 * Rolling restarts at the defaults: no canary (restartProbation 0), every replacement at once
 * (restartConcurrency Infinity); a replacement crashing, and a restart during a restart.
 */
export const rolloutWithoutCanaryConfig: ModelConfig = {
  name: 'control rollout without canary',
  settings: { size: 2, maxRestarts: 100, restartProbation: 0, restartConcurrency: Infinity },
  commands: ['start', 'restart'],
  faults: ['online', 'ready', 'drained', 'crash'],
  maxGeneration: 3,
  maxDepth: 7,
  // Depth 9 (the deep default, maxDepth + 2) grows past the traversal limit.
  deepDepth: 8,
};

/**
 * Crash loops: danger, backoff, probing, back to ok (a healthy probe, or a probe the control
 * shuts down: a shrink to 0), and giving up.
 */
export const dangerConfig: ModelConfig = {
  name: 'control danger',
  settings: { size: 1, maxRestarts: 3 },
  commands: ['start', 'setSize'],
  sizes: [0],
  maxSize: 1,
  faults: ['online', 'ready', 'exitAtStart', 'crash'],
  maxDepth: 12,
};

/**
 * A bad deploy: the replacements crash at start past the give-up limits while the old worker
 * serves, so the rollout ends instead of the control.
 */
export const badDeployConfig: ModelConfig = {
  name: 'control bad deploy',
  settings: { size: 1, maxRestarts: 1, restartProbation: 0 },
  commands: ['start', 'restart'],
  faults: ['online', 'ready', 'exitAtStart'],
  maxGeneration: 3,
  maxDepth: 9,
  // The old worker gets ready before the restart; after it, only replacements crash.
  filter: (x, s) => x.type !== 'world.exitAtStart' || s.control.generation >= 2,
};

/**
 * No size set: the control keeps what runs (workers the app forks itself); add, remove and
 * restart are relative to that; a stop during a rollout, then a start; a worker over
 * maxMemory goes without a replacement (except during a rollout, which keeps a size).
 */
export const unsizedConfig: ModelConfig = {
  name: 'control unsized',
  settings: { size: null, maxRestarts: 100 },
  commands: ['start', 'stop', 'add', 'remove', 'restart', 'shutdownOne', 'overMemory'],
  faults: ['obeySigterm'],
  forkExternal: 1,
  maxSize: 2,
  maxDepth: 6,
  filter: (x, s) => x.type !== 'world.forkExternal' || s.control.top === 'idle',
};

export const controlConfigs = [lifecycleConfig, resizeConfig, rolloutConfig, rolloutWithoutCanaryConfig, dangerConfig, badDeployConfig, unsizedConfig];
