/**
 * Soak: a random walk of graceful operations (setSize, add, remove, restart; some of them
 * overlapping) on real processes with the agent on, under HTTP load from keep-alive and
 * `Connection: close` clients, for at least 2 minutes and at least 500 worker replacements
 * after a warm-up. Checks: zero failed requests, zero non-2xx, no worker exiting unasked (a
 * crash), zero orphans (every pid ever forked, and everything below the control at the end,
 * is dead once it has stopped; at rest the live workers are exactly the size), and control
 * RSS growth under 10% across those 500+ replacements. The seed is printed; SOAK_SEED replays a walk, SOAK_MS and SOAK_REPLACEMENTS
 * change its length.
 *
 * Memory is read in the control, after gc, at the same phase both times: at rest at the
 * starting size, under the same load. The control runs with its young generation fixed at
 * V8's default maximum (16 MB per semi-space on 64-bit). Left alone, V8 starts it at 1 MB and
 * doubles it as objects survive scavenges, and under sustained load it reaches the maximum
 * sooner or later: about +30 MB of RSS, which a hand-written node:cluster master shows too
 * (bench/diagnose/heap-growth.cjs --load). That is warm-up with a fixed bound, not retention,
 * so the baseline starts at that bound. The test fails if the young generation's size differs
 * between the two readings.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { descendantsOf } from '../../src/runtime/process-tree.js';
import { allGone, freePort, isAlive, killAll, startLoad } from '../helpers/processes.js';
import { type Primary, startPrimary } from './fixtures/primary-client.js';

const MIN_MS = Number(process.env.SOAK_MS ?? 120_000);
const MIN_REPLACEMENTS = Number(process.env.SOAK_REPLACEMENTS ?? 500);
/** The walk stops here whatever it reached, so the suite stays bounded. */
const MAX_MS = MIN_MS + 60_000;
/** Replacements before the baseline reading. */
const WARM_REPLACEMENTS = 50;
const SIZE = 4;
const MIN_SIZE = 2;
const MAX_SIZE = 6;
/** V8's default maximum semi-space size on 64-bit, in MB (see the header). */
const SEMI_SPACE_MB = 16;

const app = fileURLToPath(new URL('../fixtures/apps/http-plain.cjs', import.meta.url));

/** mulberry32: a small seeded PRNG, so a failing walk can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Memory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  newSpace: number | null;
}

let primary: Primary | undefined;
let load: ReturnType<typeof startLoad> | undefined;

afterAll(async () => {
  await load?.stop();
  if (primary === undefined) return;
  primary.child.kill('SIGKILL');
  killAll(primary.pids);
});

test('random graceful operations under load: no failed request, no orphan, flat control RSS', async () => {
  const seed = Number(process.env.SOAK_SEED ?? Date.now() % 2 ** 31);
  // Written at once, not with the summary: a walk that never ends must still be replayable.
  process.stderr.write(`soak seed ${seed} (SOAK_SEED=${seed} replays this walk)\n`);
  const rand = random(seed);
  const port = await freePort();
  primary = startPrimary(
    { exec: app, size: SIZE, agent: true, restartProbation: 50, restartConcurrency: 4, env: { PORT: String(port) } },
    {},
    [`--min-semi-space-size=${SEMI_SPACE_MB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`],
  );
  const p = primary;
  await p.started;

  load = startLoad(port, { keepAlive: 4, close: 4 });
  const started = Date.now();
  const replacements = () => p.pids.size - SIZE;
  let size = SIZE;
  let baseline: { memory: Memory; replacements: number } | null = null;
  const walk: string[] = [];
  /** At rest at the starting size: the phase both memory readings are taken in. */
  const atRestAtSize = async () => {
    await p.op('setSize', { n: SIZE });
    size = SIZE;
    await p.op('rest', {}, 30_000);
  };

  /** One operation of the walk; the size the control aims at afterwards. */
  const step = (): [string, () => Promise<unknown>] => {
    const r = rand();
    if (r < 0.65) return ['restart', () => p.op('restart')];
    if (r < 0.77) {
      const n = MIN_SIZE + Math.floor(rand() * (MAX_SIZE - MIN_SIZE + 1));
      size = n;
      return [`setSize ${n}`, () => p.op('setSize', { n })];
    }
    if (r < 0.89) {
      const n = Math.min(1 + Math.floor(rand() * 2), MAX_SIZE - size);
      size += n;
      return [`add ${n}`, () => p.op('add', { n })];
    }
    const n = Math.min(1 + Math.floor(rand() * 2), size - MIN_SIZE);
    size -= n;
    return [`remove ${n}`, () => p.op('remove', { n })];
  };
  const measured = () => (baseline === null ? 0 : replacements() - baseline.replacements);

  while ((Date.now() - started < MIN_MS || measured() < MIN_REPLACEMENTS) && Date.now() - started < MAX_MS) {
    // Now and then two operations overlap: the second is sent before the first is done.
    const overlap = rand() < 0.2;
    const [name, run] = step();
    const first = run();
    if (overlap) {
      const [second, runSecond] = step();
      walk.push(`${name} ‖ ${second}`);
      await Promise.all([first.catch(() => {}), runSecond()]);
      await first;
    } else {
      walk.push(name);
      await first;
    }
    if (baseline === null && replacements() >= WARM_REPLACEMENTS) {
      await atRestAtSize();
      baseline = { memory: await p.op<Memory>('memory'), replacements: replacements() };
    }
  }
  // Back to the size it started at, then at rest: the live workers are exactly the size.
  await atRestAtSize();
  const end = await p.op<Memory>('memory');
  const status = await p.op<Array<{ pid: number; state: string }>>('status');
  // Everything below the control now: its workers and the orphan warden.
  const tree = descendantsOf(p.child.pid!);
  const result = await load.stop();
  const took = Date.now() - started;

  await p.op('stop');
  p.child.disconnect();
  await p.exited;
  const everyPid = [...new Set([...p.pids, ...tree])];
  await allGone(everyPid, 5000, 'processes after the stop').catch(() => {});
  const orphans = everyPid.filter(isAlive);

  const base = baseline?.memory;
  const growth = base === undefined ? null : (end.rss - base.rss) / base.rss;
  const mb = (bytes: number | null | undefined) => ((bytes ?? 0) / 2 ** 20).toFixed(1);
  const perReplacement = base === undefined ? null : (end.heapUsed - base.heapUsed) / measured();
  console.log(
    `soak seed ${seed}: ${walk.length} operations in ${Math.round(took / 1000)} s, ${replacements()} replacements ` +
      `(${measured()} measured), ${result.ok} requests ok, ${result.failed} failed, ${result.non2xx} non-2xx; ` +
      `control after gc, at rest: RSS ${mb(base?.rss)} → ${mb(end.rss)} MB (${growth === null ? '?' : (growth * 100).toFixed(1)} %), ` +
      `heap used ${mb(base?.heapUsed)} → ${mb(end.heapUsed)} MB (${perReplacement === null ? '?' : Math.round(perReplacement)} B per replacement), ` +
      `heap total ${mb(base?.heapTotal)} → ${mb(end.heapTotal)} MB, young generation ${mb(base?.newSpace)} → ${mb(end.newSpace)} MB`,
  );

  expect(took).toBeGreaterThanOrEqual(Math.min(MIN_MS, MAX_MS));
  expect(measured()).toBeGreaterThanOrEqual(MIN_REPLACEMENTS);
  expect(status.filter((w) => w.state === 'online.ready')).toHaveLength(SIZE);
  expect(status).toHaveLength(SIZE);
  expect(tree.length).toBeGreaterThanOrEqual(SIZE);
  expect(result.ok).toBeGreaterThan(1000);
  expect({ failed: result.failed, non2xx: result.non2xx, errors: result.errors }).toEqual({ failed: 0, non2xx: 0, errors: [] });
  expect(orphans).toEqual([]);
  expect(p.errors).toEqual([]);
  expect(base).toBeDefined();
  expect(end.newSpace).toBe(base!.newSpace);
  expect(growth!).toBeLessThan(0.1);
}, 300_000);
