/**
 * Model-based tests: paths generated from the abstract model of the worker and control
 * charts (world.ts, configs.ts, paths.ts) run against the real runtime on the simulated
 * cluster (runner.ts); every step must show what the model shows. The last test checks
 * that the runtime's actors took every state and transition both machines define, and
 * prints `model coverage: …`.
 *
 * `CLUSTERCHART_DEEP=1` (npm run test:deep) explores deeper graphs and longer simple paths.
 */
import { afterAll, describe, expect, test, vi } from 'vitest';
import { CoverageRecorder } from './coverage.js';
import { controlConfigs, workerConfigs } from './configs.js';
import { type Generated, type ModelConfig, type ModelPath, generatePaths } from './paths.js';
import { type Harness, PathMismatch, formatPath, runPath } from './runner.js';
import { type ModelState, controlLabel, observe } from './world.js';

const deep = process.env.CLUSTERCHART_DEEP === '1';
/** The deep control graphs take 26–29 s alone on 2 cores, and up to 41 s beside the other deep files in CI. */
const timeout = deep ? 120_000 : 30_000;
const recorder = new CoverageRecorder();
const stats: string[] = [];

/** What `status()` must say at the end of a path, from the model. */
function expectedStatus(s: ModelState) {
  const c = s.control;
  const running = c.top === 'running';
  return {
    master: {
      state: c.top,
      size: c.size,
      generation: c.generation,
      health: running && c.health !== 'ok' ? 'danger' : c.stopReason === 'giveup' ? 'gaveUp' : 'ok',
      restarting: running && c.rollout !== 'idle',
    },
    workers: observe(s).workers,
  };
}

async function statusOf(h: Harness) {
  const status = await h.control.status();
  const { state, size, generation, health, restarting } = status.master;
  return {
    master: { state, size, generation, health, restarting },
    workers: status.workers.map((w) => `#${w.id} gen ${w.generation} slot ${w.slot} ${w.state}`),
  };
}

/** A zombie (an exited worker the control kept) makes XState warn about events sent to it. */
const hasZombie = (path: ModelPath) => path.steps.some((s) => Object.values(s.state.workers).some((w) => w.state === 'exited'));

async function runAll(generated: Generated, label: string): Promise<void> {
  const failures: string[] = [];
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const started = performance.now();
  let steps = 0;
  try {
    for (const path of generated.paths) {
      warn.mockClear();
      steps += path.steps.length;
      let h: Harness | undefined;
      try {
        h = runPath(path, recorder, { close: false });
        const last = path.steps.at(-1)!.state;
        const status = await statusOf(h);
        const expected = expectedStatus(last);
        if (JSON.stringify(status) !== JSON.stringify(expected)) {
          throw new PathMismatch(
            `${path.name}: status() at the end differs from the model (${controlLabel(last.control)}):\n` +
              `    model   ${JSON.stringify(expected)}\n    runtime ${JSON.stringify(status)}\n  path:\n${formatPath(path)}`,
          );
        }
        if (warn.mock.calls.length > 0 && !hasZombie(path)) {
          throw new PathMismatch(`${path.name}: XState warned: ${String(warn.mock.calls[0]?.[0])}\n  path:\n${formatPath(path)}`);
        }
      } catch (error) {
        if (!(error instanceof PathMismatch)) throw error;
        failures.push(error.message);
      } finally {
        h?.control.close();
      }
    }
  } finally {
    warn.mockRestore();
  }
  const ms = performance.now() - started;
  stats.push(`${label}: ${generated.states} abstract states, ${generated.paths.length} paths, ${steps} steps, run in ${ms.toFixed(0)} ms`);
  expect(generated.cut, 'paths cut on replay (the abstraction merged worlds that differ)').toBe(0);
  if (failures.length > 0) {
    throw new Error(`${failures.length} of ${generated.paths.length} paths differ from the model; the first:\n\n${failures.slice(0, 2).join('\n\n')}`);
  }
}

/** The configuration at its depth for this run (deeper under CLUSTERCHART_DEEP). */
const atDepth = (config: ModelConfig): ModelConfig => (deep ? { ...config, maxDepth: config.deepDepth ?? config.maxDepth + 2 } : config);

describe('the worker chart: generated paths on the simulated cluster', () => {
  for (const config of workerConfigs) {
    test(`${config.name}: shortest paths to every abstract state and through every transition`, { timeout }, async () => {
      await runAll(generatePaths(atDepth(config), 'shortest'), `${config.name} shortest`);
    });
  }
  // Simple paths (no abstract state twice) grow fast with the depth: ≤ 6 steps gives ~900
  // (every order in which one worker can meet two or three facts, commands and delays);
  // the deep run goes to 9.
  test(`worker(readyOn listening): every simple path of up to ${deep ? 9 : 6} steps`, { timeout }, async () => {
    const config = { ...workerConfigs[0]!, maxDepth: deep ? 9 : 6 };
    await runAll(generatePaths(config, 'simple'), `${config.name} simple ≤ ${config.maxDepth}`);
  });
});

describe('the control chart: generated paths on the simulated cluster', () => {
  for (const config of controlConfigs) {
    test(`${config.name}: shortest paths to every abstract state and through every transition`, { timeout }, async () => {
      await runAll(generatePaths(atDepth(config), 'shortest'), `${config.name} shortest`);
    });
  }
});

test('model coverage: every state and transition of both machines was taken by the runtime', () => {
  const report = recorder.report();
  console.log([...stats, report.line].join('\n'));
  expect(report.missing, report.line).toEqual([]);
});

afterAll(() => {
  vi.restoreAllMocks();
});
