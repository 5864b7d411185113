/**
 * `createMetrics()`: a control's figures in Prometheus text format, through `prom-client`
 * on a private Registry (never the global one, so two controls or the app's own metrics
 * never collide). Counters follow the control's events from the moment of creation; gauges
 * are read from `control.status()` at each scrape (one status per scrape, shared by every
 * gauge).
 */
import type * as PromClient from 'prom-client';
import type { Registry } from 'prom-client';
import { leafPaths, readChart } from '../diagrams/read-chart.js';
import { onFirstUse, requireDependency } from '../load-on-use.js';
import { workerMachine } from '../machines/worker.machine.js';
import type { Control, ControlEventMap, ControlStatus } from '../runtime/create-control.js';

export interface MetricsOptions {
  /** Prefix of every metric name. Default `clusterchart_`. */
  prefix?: string;
}

export interface Metrics {
  /** The private registry, to merge with others (`Registry.merge`) or scrape directly. */
  readonly registry: Registry;
  /** The Content-Type of `text()`: Prometheus text format 0.0.4. */
  readonly contentType: string;
  /** Every metric in Prometheus text format, gauges read now. */
  text(): Promise<string>;
  /** Stops following the control's events. */
  close(): void;
}

const phases = ['startup', 'runtime', 'stopping'] as const;

/** prom-client, loaded with the first metrics (the library never loads it otherwise). */
const promClient = onFirstUse(() => requireDependency<typeof PromClient>('prom-client'));

export function createMetrics(control: Control, options: MetricsOptions = {}): Metrics {
  const { Counter, Gauge, Registry } = promClient();
  const prefix = options.prefix ?? 'clusterchart_';
  const registry = new Registry();
  const registers = [registry];
  /** Every state a worker can be in, so each has a series (0 when empty) from the first scrape. */
  const workerStates = leafPaths(readChart(workerMachine));

  // One status per scrape: every gauge's collect awaits the same promise.
  let pending: Promise<ControlStatus> | null = null;
  const current = () => {
    pending ??= control.status().finally(() => {
      pending = null;
    });
    return pending;
  };

  new Gauge({
    name: `${prefix}workers`,
    help: 'Workers by state (dotted path of the worker statechart, e.g. online.ready).',
    labelNames: ['state'],
    registers,
    async collect() {
      const { workers } = await current();
      this.reset();
      for (const state of workerStates) this.set({ state }, 0);
      for (const w of workers) this.inc({ state: w.state });
    },
  });
  new Gauge({
    name: `${prefix}danger`,
    help: '1 while the control is in danger (crash-loop backoff), else 0.',
    registers,
    async collect() {
      this.set((await current()).master.health === 'danger' ? 1 : 0);
    },
  });
  new Gauge({
    name: `${prefix}size`,
    help: 'Target number of workers (absent when no size is set).',
    registers,
    async collect() {
      const { size } = (await current()).master;
      this.reset();
      if (size !== null) this.set(size);
    },
  });
  new Gauge({
    name: `${prefix}generation`,
    help: 'Current worker generation; each rolling restart adds one.',
    registers,
    async collect() {
      this.set((await current()).master.generation);
    },
  });
  const perWorker = (name: string, help: string, pick: (w: ControlStatus['workers'][number]) => number | null) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['worker', 'slot', 'pid'],
      registers,
      async collect() {
        const { workers } = await current();
        this.reset();
        for (const w of workers) {
          const value = pick(w);
          if (value !== null) this.set({ worker: String(w.id), slot: String(w.slot), pid: String(w.pid ?? '') }, value);
        }
      },
    });
  perWorker('worker_memory_bytes', 'Resident memory of each worker, from its agent (absent without the agent).', (w) => w.memory);
  perWorker('worker_connections', 'Open connections of each worker, from its agent (absent without the agent).', (w) => w.connections);

  const forks = new Counter({ name: `${prefix}worker_forks_total`, help: 'Workers forked (or adopted).', registers });
  const exits = new Counter({
    name: `${prefix}worker_exits_total`,
    help: 'Worker exits by phase (startup, runtime, stopping) and whether the control asked for them.',
    labelNames: ['phase', 'expected'],
    registers,
  });
  for (const phase of phases) for (const expected of ['true', 'false']) exits.inc({ phase, expected }, 0);
  const restarts = new Counter({ name: `${prefix}restarts_total`, help: 'Rolling restarts completed.', registers });
  const abandoned = new Counter({ name: `${prefix}restarts_abandoned_total`, help: 'Rolling restarts abandoned: their replacements crashed past the give-up limits while older workers served.', registers });
  const backoffs = new Counter({ name: `${prefix}backoffs_total`, help: 'Forks the crash-loop backoff delayed (one per danger event; the delay doubles each time).', registers });
  const kills = new Counter({ name: `${prefix}worker_kills_total`, help: 'Workers sent SIGKILL because they outlived terminateTimeout (a stop that was not graceful).', registers });
  const giveups = new Counter({ name: `${prefix}giveups_total`, help: 'Times the control gave up (too many unexpected exits).', registers });

  const onFork = () => forks.inc();
  const onExit = ({ exit }: ControlEventMap['exit']) => exits.inc({ phase: exit.phase, expected: String(exit.expected) });
  const onRestart = () => restarts.inc();
  const onAbandoned = () => abandoned.inc();
  const onBackoff = () => backoffs.inc();
  const onGiveup = () => giveups.inc();
  const onKill = () => kills.inc();
  control.on('fork', onFork).on('exit', onExit).on('restart', onRestart).on('restartAbandoned', onAbandoned).on('danger', onBackoff).on('giveup', onGiveup).on('kill', onKill);

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    close() {
      control.off('fork', onFork).off('exit', onExit).off('restart', onRestart).off('restartAbandoned', onAbandoned).off('danger', onBackoff).off('giveup', onGiveup).off('kill', onKill);
    },
  };
}
