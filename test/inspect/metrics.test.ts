/**
 * `/metrics` content: valid Prometheus text; workers by state; counters for forks, exits by
 * phase and expectedness, restarts, danger entries and give-ups move with the control's
 * events on the simulated cluster; per-worker memory and connections from the agents;
 * a private registry (two controls never collide, the global registry stays empty).
 */
import { register } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/inspect/metrics.js';
import { parsePrometheus, simulatedControl, valueOf } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function setup(settings: Parameters<typeof simulatedControl>[0] = {}, scriptFor?: Parameters<typeof simulatedControl>[1]) {
  const sim = simulatedControl(settings, scriptFor);
  const metrics = createMetrics(sim.control);
  cleanups.push(() => {
    metrics.close();
    sim.control.close();
  });
  const scrape = async () => parsePrometheus(await metrics.text()).samples;
  return { ...sim, metrics, scrape };
}

describe('createMetrics', () => {
  it('speaks Prometheus text format with the expected families', async () => {
    const { metrics, control, clock } = setup({ size: 2 });
    void control.start();
    clock.advance(100);
    const { types } = parsePrometheus(await metrics.text());
    expect(Object.fromEntries(types)).toEqual({
      clusterchart_workers: 'gauge',
      clusterchart_danger: 'gauge',
      clusterchart_size: 'gauge',
      clusterchart_generation: 'gauge',
      clusterchart_worker_memory_bytes: 'gauge',
      clusterchart_worker_connections: 'gauge',
      clusterchart_worker_forks_total: 'counter',
      clusterchart_worker_exits_total: 'counter',
      clusterchart_restarts_total: 'counter',
      clusterchart_restarts_abandoned_total: 'counter',
      clusterchart_backoffs_total: 'counter',
      clusterchart_worker_kills_total: 'counter',
      clusterchart_giveups_total: 'counter',
    });
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('counts workers by state, with every state of the worker chart present', async () => {
    const { control, clock, scrape } = setup({ size: 2 });
    let samples = await scrape();
    expect(valueOf(samples, 'clusterchart_workers', { state: 'online.ready' })).toBe(0);
    expect(valueOf(samples, 'clusterchart_workers', { state: 'exiting.killing' })).toBe(0);
    void control.start();
    clock.advance(100);
    samples = await scrape();
    expect(valueOf(samples, 'clusterchart_workers', { state: 'online.ready' })).toBe(2);
    expect(valueOf(samples, 'clusterchart_size')).toBe(2);
    expect(valueOf(samples, 'clusterchart_generation')).toBe(1);
    expect(valueOf(samples, 'clusterchart_danger')).toBe(0);
    expect(valueOf(samples, 'clusterchart_worker_memory_bytes', { worker: '1', slot: '0', pid: '1000' })).toBe(30_000_000);
    expect(valueOf(samples, 'clusterchart_worker_connections', { worker: '2', slot: '1', pid: '1001' })).toBe(0);
  });

  it('moves the counters when a worker is killed', async () => {
    const { control, clock, sim, scrape } = setup({ size: 2, minRestartAge: 50 });
    void control.start();
    clock.advance(100);
    const before = await scrape();
    expect(valueOf(before, 'clusterchart_worker_forks_total')).toBe(2);
    expect(valueOf(before, 'clusterchart_worker_exits_total', { phase: 'runtime', expected: 'false' })).toBe(0);

    sim.crash(1, null, 'SIGKILL');
    clock.advance(100);
    const after = await scrape();
    expect(valueOf(after, 'clusterchart_worker_exits_total', { phase: 'runtime', expected: 'false' })).toBe(1);
    expect(valueOf(after, 'clusterchart_worker_exits_total', { phase: 'stopping', expected: 'true' })).toBe(0);
    expect(valueOf(after, 'clusterchart_worker_forks_total')).toBe(3);
    expect(valueOf(after, 'clusterchart_workers', { state: 'online.ready' })).toBe(2);
    expect(valueOf(after, 'clusterchart_worker_memory_bytes', { worker: '1', slot: '0', pid: '1000' })).toBeUndefined();
  });

  it('counts expected exits of a rolling restart and the restart itself', async () => {
    const { control, clock, scrape } = setup({ size: 2, restartProbation: 10 });
    void control.start();
    clock.advance(100);
    const done = control.restart();
    clock.advance(1000);
    await done;
    const samples = await scrape();
    expect(valueOf(samples, 'clusterchart_restarts_total')).toBe(1);
    expect(valueOf(samples, 'clusterchart_worker_exits_total', { phase: 'stopping', expected: 'true' })).toBe(2);
    expect(valueOf(samples, 'clusterchart_worker_forks_total')).toBe(4);
    expect(valueOf(samples, 'clusterchart_generation')).toBe(2);
  });

  it('shows danger as 1 while in danger, and counts every backoff and the give-up', async () => {
    const { control, clock, scrape } = setup({ size: 1, minRestartAge: 1000, throttleDelay: 100, maxRestarts: 2, restartWindow: 60_000 }, () => ({
      exitAfter: 5,
    }));
    void control.start().catch(() => {});
    clock.advance(30);
    let samples = await scrape();
    expect(valueOf(samples, 'clusterchart_danger')).toBe(1);
    expect(valueOf(samples, 'clusterchart_backoffs_total')).toBe(1);
    clock.advance(5000);
    samples = await scrape();
    // Three crashes: two backoffs (100, then 200 ms), and the third gives up.
    expect(valueOf(samples, 'clusterchart_backoffs_total')).toBe(2);
    expect(valueOf(samples, 'clusterchart_giveups_total')).toBe(1);
    expect(valueOf(samples, 'clusterchart_danger')).toBe(0);
    expect(valueOf(samples, 'clusterchart_worker_exits_total', { phase: 'startup', expected: 'false' })).toBe(3);
  });

  it('counts a rollout abandoned by a bad deploy, which is no give-up', async () => {
    const { control, clock, scrape } = setup({ size: 2, maxRestarts: 1 }, ({ generation }) => (generation === 2 ? { exitAtStart: true } : {}));
    void control.start();
    clock.advance(3000);
    const restarted = control.restart();
    clock.advance(5000);
    await expect(restarted).rejects.toMatchObject({ code: 'CC_ERR_RESTART_ABANDONED' });
    const samples = await scrape();
    expect(valueOf(samples, 'clusterchart_restarts_abandoned_total')).toBe(1);
    expect(valueOf(samples, 'clusterchart_restarts_total')).toBe(0);
    expect(valueOf(samples, 'clusterchart_giveups_total')).toBe(0);
  });

  it('counts the workers a stop had to SIGKILL', async () => {
    const { control, clock, scrape } = setup({ size: 2 }, ({ id }) => (id === 1 ? { ignoreDisconnect: true, ignoreTerm: true } : { ignoreDisconnect: true }));
    void control.start();
    clock.advance(100);
    expect(valueOf(await scrape(), 'clusterchart_worker_kills_total')).toBe(0);
    const stopped = control.stop();
    clock.advance(20_000);
    await stopped;
    // Worker 2 left on its SIGTERM; worker 1 only on SIGKILL.
    expect(valueOf(await scrape(), 'clusterchart_worker_kills_total')).toBe(1);
  });

  it('uses a private registry: two controls side by side, nothing in the global one', async () => {
    const a = setup({ size: 1 });
    const b = setup({ size: 3 });
    void a.control.start();
    void b.control.start();
    a.clock.advance(100);
    b.clock.advance(100);
    expect(valueOf(await a.scrape(), 'clusterchart_size')).toBe(1);
    expect(valueOf(await b.scrape(), 'clusterchart_size')).toBe(3);
    expect(await register.getMetricsAsJSON()).toEqual([]);
  });

  it('stops counting after close()', async () => {
    const { control, clock, metrics, sim } = setup({ size: 1 });
    void control.start();
    clock.advance(100);
    metrics.close();
    sim.crash(1);
    clock.advance(100);
    expect(valueOf(parsePrometheus(await metrics.text()).samples, 'clusterchart_worker_forks_total')).toBe(1);
  });

  it('runs one status per scrape, whatever the number of gauges', async () => {
    const { control, metrics } = setup({ size: 1 });
    let calls = 0;
    const status = control.status.bind(control);
    control.status = () => {
      calls += 1;
      return status();
    };
    await metrics.text();
    expect(calls).toBe(1);
  });
});

describe('parsePrometheus (the test parser itself)', () => {
  it('refuses malformed text', () => {
    expect(() => parsePrometheus('metric_without_type 1\n')).toThrow(/without TYPE/);
    expect(() => parsePrometheus('# TYPE x_total counter\nx_total{a=b} 1\n')).toThrow(/bad sample/);
    expect(() => parsePrometheus('# TYPE x gauge\nx one\n')).toThrow(/bad value/);
    expect(() => parsePrometheus('# TYPE x counter\nx 1\n')).toThrow(/_total/);
  });
});
