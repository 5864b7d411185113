/**
 * The rules of the control statechart (DESIGN.md "Control statechart"), each on the
 * simulated cluster with exact states and instants.
 */
import { describe, expect, test, vi } from 'vitest';
import { settled, simulate } from '../helpers/simulation.js';

/** A healthy worker is older than minRestartAge (2000 ms by default). */
const settle = 3000;

describe('size', () => {
  test.each([
    ['exit 0', { code: 0, signal: null }],
    ['exit 1', { code: 1, signal: null }],
    ['a signal', { code: null, signal: 'SIGKILL' }],
  ] as const)('is restored at once after %s', (_, { code, signal }) => {
    const s = simulate({ size: 3 });
    s.start(settle);
    s.sim.crash(2, code, signal);
    expect(s.of('exit')[0]?.exit).toMatchObject({ id: 2, expected: false, code, signal });
    expect(s.forks().map((f) => f.at)).toEqual([0, 0, 0, settle]);
    expect(s.live()).toBe(3);
    s.advance(20);
    expect(s.ready()).toBe(3);
    expect(s.forks().at(-1)?.detail).toEqual({ slot: 1, generation: 1 });
  });

  test('is restored after an unrequested disconnect', () => {
    const s = simulate({ size: 2 }, ({ id }) => (id === 1 ? { disconnectAfter: settle } : {}));
    s.start(settle + 10);
    // The worker disconnected itself; it counts until its exit (1 ms later) is classified.
    expect(s.forks().map((f) => f.at)).toEqual([0, 0]);
    s.advance(1);
    expect(s.forks().map((f) => f.at)).toEqual([0, 0, settle + 11]);
    s.advance(30);
    expect(s.ready()).toBe(2);
    expect(s.of('exit')[0]?.exit).toMatchObject({ id: 1, phase: 'runtime', expected: false });
  });

  test('a size or an add beyond 1024 workers is refused, and nothing forks', async () => {
    const s = simulate({ size: 1000 });
    s.start(settle);
    await expect(s.control.setSize(5000)).rejects.toMatchObject({ code: 'CC_ERR_ARGUMENT_INVALID', message: "Invalid argument to setSize(): expected a whole number from 0 to 1024 or 'cpus', got 5000." });
    await expect(s.control.add(25)).rejects.toMatchObject({ code: 'CC_ERR_ARGUMENT_INVALID', message: expect.stringContaining('1025') });
    // From untyped JavaScript: no size is not a size to move to.
    for (const none of [null, undefined]) {
      await expect(s.control.setSize(none as never)).rejects.toMatchObject({ code: 'CC_ERR_ARGUMENT_INVALID', message: `Invalid argument to setSize(): expected a whole number from 0 to 1024 or 'cpus', got ${String(none)}.` });
    }
    expect(s.forks()).toHaveLength(1000);
    expect(s.snapshot().context.size).toBe(1000);
  });

  test('growing forks the missing workers at once', () => {
    const s = simulate({ size: 1 });
    s.start(100);
    void s.control.setSize(4);
    expect(s.forks().map((f) => f.at)).toEqual([0, 100, 100, 100]);
    s.advance(20);
    expect(s.ready()).toBe(4);
    expect(s.snapshot().matches({ running: { size: 'steady' } })).toBe(true);
  });

  test('the last setSize wins across overlapping calls', async () => {
    const s = simulate({ size: 2 });
    s.start(100);
    const first = s.control.setSize(6);
    s.advance(5);
    const second = s.control.setSize(1);
    s.advance(3);
    const third = s.control.setSize(3);
    s.advance(100);
    await Promise.all([first, second, third]);
    expect(s.live()).toBe(3);
    expect(s.ready()).toBe(3);
    expect(s.of('setSize').map((e) => e.size)).toEqual([6, 1, 3]);
    expect(s.snapshot().context.size).toBe(3);
  });

  test('add and remove are relative', async () => {
    const s = simulate({ size: 2 });
    s.start(100);
    const added = s.control.add(3);
    s.advance(30);
    await added;
    expect(s.live()).toBe(5);
    const removed = s.control.remove(2);
    s.advance(30);
    await removed;
    expect(s.live()).toBe(3);
    expect(s.snapshot().context.size).toBe(3);
    // A count past the size is refused (a typo would stop everything); the whole size is fine.
    await expect(s.control.remove(10)).rejects.toMatchObject({ code: 'CC_ERR_ARGUMENT_INVALID', message: expect.stringContaining('cannot take 10 workers away from a size of 3') });
    expect(s.snapshot().context.size).toBe(3);
    const emptied = s.control.remove(3);
    s.advance(30);
    await emptied;
    expect(s.live()).toBe(0);
    expect(s.snapshot().context.size).toBe(0);
  });

  test('setSize() and remove() resolve once the workers they stopped are gone, not when they begin to leave', async () => {
    const s = simulate({ size: 4 }, () => ({ drainTime: 1000 }));
    s.start(100);
    let shrunk = false;
    void s.control.setSize(2).then(() => (shrunk = true));
    s.advance(500);
    await settled();
    // Two workers serve already, but the other two are still draining.
    expect(s.ready()).toBe(2);
    expect(shrunk).toBe(false);
    s.advance(600);
    await settled();
    expect(shrunk).toBe(true);
    expect(Object.keys(s.snapshot().context.workers)).toHaveLength(2);

    let removed = false;
    void s.control.remove(1).then(() => (removed = true));
    s.advance(500);
    await settled();
    expect(removed).toBe(false);
    s.advance(600);
    await settled();
    expect(removed).toBe(true);
    expect(Object.keys(s.snapshot().context.workers)).toHaveLength(1);
  });

  test('shrinking shuts the extra workers down in parallel', () => {
    const s = simulate({ size: 4 }, () => ({ drainTime: 1000 }));
    s.start(100);
    void s.control.setSize(1);
    expect(s.of('shutdown').map((e) => [e.at, e.worker.id])).toEqual([
      [100, 4],
      [100, 3],
      [100, 2],
    ]);
    s.advance(1000);
    expect(s.of('exit').map((e) => e.at)).toEqual([1100, 1100, 1100]);
  });

  test('scale-down picks older generation, then not yet ready, then newest', () => {
    const s = simulate({ size: 2, restartProbation: 0 }, ({ id }) => (id === 5 ? { readyAfter: null } : {}));
    s.start(100);
    // Generation 2 for workers 3 and 4 (a restart), then two more workers of generation 2.
    void s.control.restart();
    s.advance(200);
    expect(s.workers().map((w) => [w.id, w.generation])).toEqual([
      [3, 2],
      [4, 2],
    ]);
    void s.control.add(2);
    s.advance(100);
    // 5 never gets ready; 6 is ready and the newest.
    expect(s.workers().map((w) => [w.id, w.status])).toEqual([
      [3, 'ready'],
      [4, 'ready'],
      [5, 'starting'],
      [6, 'ready'],
    ]);
    void s.control.remove(2);
    expect(s.of('shutdown').slice(-2).map((e) => e.worker.id)).toEqual([5, 6]);
  });

  test('workers forked by the app itself are adopted and counted', () => {
    const s = simulate({ size: 2 });
    s.sim.forkExternal();
    s.start(100);
    expect(s.sim.calls.filter((c) => c.call === 'adopt')).toEqual([{ at: 0, call: 'adopt', id: 1, detail: { handle: 1 } }]);
    // One adopted + one forked = the size.
    expect(s.forks()).toHaveLength(1);
    expect(s.ready()).toBe(2);
    expect(s.of('fork').map((e) => e.worker)).toEqual([
      { id: 1, pid: 1000, slot: 0, generation: 1 },
      { id: 2, pid: 1001, slot: 1, generation: 1 },
    ]);
  });

  test('add() up to exactly 1024 workers is accepted (the cap is inclusive)', async () => {
    const s = simulate({ size: 1023 });
    s.start(100);
    const added = s.control.add(1);
    s.advance(100);
    await added;
    expect(s.snapshot().context.size).toBe(1024);
    await expect(s.control.add(1)).rejects.toMatchObject({ code: 'CC_ERR_ARGUMENT_INVALID' });
  });
});

describe('restart', () => {
  test('forks first, never lets ready workers drop below the size, and replaces every worker', async () => {
    const s = simulate({ size: 4, restartProbation: 500, restartConcurrency: 1 }, () => ({ drainTime: 50 }));
    s.start(settle);
    const done = s.control.restart();
    let maxLive = 0;
    s.advance(
      10_000,
      () => {
        expect(s.ready()).toBeGreaterThanOrEqual(4);
        maxLive = Math.max(maxLive, s.live());
      },
      1,
    );
    await done;
    expect(maxLive).toBe(5);
    expect(s.workers().every((w) => w.generation === 2 && w.status === 'ready')).toBe(true);
    expect(s.times('startRestart')).toEqual([settle]);
    expect(s.of('restart')).toHaveLength(1);
    // Surge-first: each old worker is shut down only after its replacement is ready.
    const order = s.log.filter((e) => e.type === 'fork' || e.type === 'shutdown').map((e) => `${e.type}:${'worker' in e ? e.worker.id : ''}`);
    expect(order.slice(4)).toEqual(['fork:5', 'shutdown:4', 'fork:6', 'shutdown:3', 'fork:7', 'shutdown:2', 'fork:8', 'shutdown:1']);
  });

  test('the canary must stay up restartProbation before the rollout goes on', () => {
    const s = simulate({ size: 2, restartProbation: 1000 });
    s.start(settle);
    void s.control.restart();
    // The canary (worker 3) is ready 20 ms after its fork; the next step waits 1000 ms more.
    expect(s.forks().slice(2).map((f) => f.at)).toEqual([settle]);
    s.advance(1019);
    expect(s.of('shutdown')).toHaveLength(0);
    expect(s.snapshot().matches({ running: { rollout: { restarting: 'probation' } } })).toBe(true);
    s.advance(1);
    expect(s.of('shutdown').map((e) => [e.at, e.worker.id])).toEqual([[settle + 1020, 2]]);
    expect(s.forks().slice(2).map((f) => f.at)).toEqual([settle, settle + 1020]);
  });

  test('a canary that dies in probation costs one worker: the old ones stay and health enters danger', () => {
    const s = simulate({ size: 2, restartProbation: 1000, maxRestarts: Infinity }, ({ generation }) =>
      generation === 2 ? { exitAfter: 500 } : {},
    );
    s.start(settle);
    void s.control.restart();
    s.advance(600);
    expect(s.of('shutdown').filter((e) => e.worker.generation === 1)).toHaveLength(0);
    expect(s.workers().filter((w) => w.generation === 1 && w.status === 'ready')).toHaveLength(2);
    expect(s.times('danger')).toEqual([settle + 510]);
    expect(s.snapshot().matches({ running: { rollout: { restarting: 'canary' } } })).toBe(true);
  });

  test('a canary shut down in probation (an expected exit) sends the rollout back to a new canary, in health', async () => {
    const s = simulate({ size: 2, restartProbation: 1000 });
    s.start(settle);
    void s.control.restart();
    s.advance(500);
    expect(s.snapshot().matches({ running: { rollout: { restarting: 'probation' } } })).toBe(true);
    void s.control.shutdown(3);
    // The canary drains and exits 1 ms after its disconnect; its replacement is the new canary.
    s.advance(10);
    expect(s.of('exit').map((e) => [e.worker.id, e.exit.expected])).toEqual([[3, true]]);
    expect(s.snapshot().matches({ running: { rollout: { restarting: 'canary' }, health: 'ok' } })).toBe(true);
    expect(s.forks().slice(2).map((f) => f.detail)).toEqual([
      { slot: 0, generation: 2 },
      { slot: 0, generation: 2 },
    ]);
    expect(s.of('shutdown').filter((e) => e.worker.generation === 1)).toHaveLength(0);
  });

  test('a replacement that never gets ready keeps the old worker, enters danger, and the rollout resumes once replacements succeed', async () => {
    let failing = true;
    const s = simulate({ size: 2, startupTimeout: 1000, restartProbation: 0, maxRestarts: Infinity }, ({ generation }) =>
      generation === 2 && failing ? { readyAfter: null } : {},
    );
    s.start(settle);
    const done = s.control.restart();
    s.advance(1001);
    expect(s.of('exit')[0]?.exit).toMatchObject({ id: 3, phase: 'startup', expected: false });
    expect(s.times('danger')).toEqual([settle + 1001]);
    expect(s.workers().filter((w) => w.generation === 1)).toHaveLength(2);
    expect(s.ready()).toBe(2);
    failing = false;
    s.advance(5000);
    await done;
    expect(s.workers().map((w) => w.generation)).toEqual([2, 2]);
    expect(s.of('restart')).toHaveLength(1);
  });

  test('a restart during a restart coalesces into one restart event, at the latest generation', async () => {
    const s = simulate({ size: 3, restartProbation: 100, restartConcurrency: 1 });
    s.start(settle);
    const first = s.control.restart();
    s.advance(150);
    const second = s.control.restart();
    s.advance(5000);
    await Promise.all([first, second]);
    expect(s.of('startRestart').map((e) => e.generation)).toEqual([2]);
    expect(s.of('restart').map((e) => e.generation)).toEqual([3]);
    expect(s.workers().map((w) => w.generation)).toEqual([3, 3, 3]);
  });

  test('works with no size set: the size is the live count', async () => {
    const s = simulate({});
    s.sim.forkExternal();
    s.sim.forkExternal();
    s.start(100);
    expect(s.forks()).toHaveLength(0);
    expect(s.ready()).toBe(2);
    const done = s.control.restart();
    s.advance(5000, () => expect(s.ready()).toBeGreaterThanOrEqual(2), 5);
    await done;
    expect(s.workers().map((w) => [w.generation, w.status])).toEqual([
      [2, 'ready'],
      [2, 'ready'],
    ]);
    expect(s.of('restart')).toHaveLength(1);
    // Without a size, a dead worker is not replaced.
    s.sim.crash(s.workers()[0]!.id);
    s.advance(100);
    expect(s.live()).toBe(1);
  });

  test('restartConcurrency replaces that many at a time', () => {
    const s = simulate({ size: 4, restartConcurrency: 2, restartProbation: 0 });
    s.start(settle);
    void s.control.restart();
    s.advance(20);
    // No canary: two at once, then the next two once the first two are ready.
    expect(s.forks().slice(4).map((f) => f.at)).toEqual([settle, settle, settle + 20, settle + 20]);
  });

  test('with a probation, the canary goes first, then restartConcurrency at a time', () => {
    const s = simulate({ size: 4, restartConcurrency: 2, restartProbation: 100 });
    s.start(settle);
    void s.control.restart();
    s.advance(200);
    // The canary is ready 20 ms after its fork, probation ends 100 ms later.
    expect(s.forks().slice(4).map((f) => f.at)).toEqual([settle, settle + 120, settle + 120, settle + 140]);
  });

  test('at the defaults: no canary, every replacement at once, and no ready worker lost', async () => {
    const s = simulate({ size: 4 }, () => ({ drainTime: 50 }));
    s.start(settle);
    const done = s.control.restart();
    let minReady = Infinity;
    let maxLive = 0;
    s.advance(
      1000,
      () => {
        minReady = Math.min(minReady, s.ready());
        maxLive = Math.max(maxLive, s.live());
      },
      1,
    );
    await done;
    expect(s.forks().slice(4).map((f) => f.at)).toEqual([settle, settle, settle, settle]);
    expect(minReady).toBeGreaterThanOrEqual(4);
    expect(maxLive).toBe(8);
    // Every old worker is shut down once its replacement is ready, none before.
    expect(s.of('shutdown').every((e) => e.at >= settle + 20)).toBe(true);
    expect(s.workers().map((w) => [w.generation, w.status])).toEqual([
      [2, 'ready'],
      [2, 'ready'],
      [2, 'ready'],
      [2, 'ready'],
    ]);
  });
  test('an old worker that exits during the canary\'s probation does not start the probation over', () => {
    const s = simulate({ size: 3, restartProbation: 1000, restartConcurrency: 1 });
    s.start(settle);
    void s.control.restart().catch(() => {});
    s.advance(500); // the canary got ready 20 ms in: on probation until 1020 ms
    expect(s.snapshot().matches({ running: { rollout: { restarting: 'probation' } } })).toBe(true);
    s.sim.crash(1);
    s.advance(520);
    expect(s.snapshot().matches({ running: { rollout: { restarting: 'rolling' } } })).toBe(true);
  });

  test('restart() resolves once the replacements serve, even when the old workers never got ready', async () => {
    const s = simulate({ size: 2 }, ({ generation }) => (generation === 1 ? { readyAfter: null } : { readyAfter: 300 }));
    void s.control.start().catch(() => {});
    s.advance(50);
    let done = false;
    const restarted = s.control.restart().then(() => (done = true));
    // The old workers serve nothing: they go at once, and no old worker is left.
    s.advance(100);
    expect(s.workers().every((w) => w.generation === 2 || w.status === 'stopping')).toBe(true);
    await settled();
    expect(done).toBe(false);
    s.advance(400);
    await restarted;
    expect(s.workers().map((w) => [w.generation, w.status])).toEqual([
      [2, 'ready'],
      [2, 'ready'],
    ]);
  });

  test.each([0, 1000])('the restart event comes once the replacements serve, also when the old workers were killed by hand (probation %i)', (restartProbation) => {
    const s = simulate({ size: 2, restartProbation }, ({ generation }) => (generation === 1 ? {} : { readyAfter: 300 }));
    s.start(settle);
    void s.control.restart();
    s.advance(50);
    // Someone SIGKILLs both old workers while their replacements boot: nothing old is left.
    s.sim.crash(1, null, 'SIGKILL');
    s.sim.crash(2, null, 'SIGKILL');
    s.advance(100);
    expect(s.of('restart')).toEqual([]);
    s.advance(300);
    expect(s.workers().map((w) => [w.generation, w.status])).toEqual([[2, 'ready'], [2, 'ready']]);
    const readyAt = Math.max(...s.times('ready').slice(2));
    expect(s.times('restart')).toEqual([readyAt]);
    expect(s.snapshot().matches({ running: { rollout: 'idle' } })).toBe(true);
  });

  test('unsized: a worker the app forks during a restart (its own replacement of a killed one) is kept, not shut down as a surplus', () => {
    const s = simulate({}, ({ generation }) => (generation === 1 ? {} : { readyAfter: 300 }));
    s.sim.forkExternal();
    s.sim.forkExternal();
    s.start(settle);
    void s.control.restart();
    s.advance(50);
    // Both old workers are killed by hand; the app forks a replacement of each itself.
    s.sim.crash(1, null, 'SIGKILL');
    s.sim.forkExternal();
    s.sim.crash(2, null, 'SIGKILL');
    s.sim.forkExternal();
    s.advance(1000);
    expect(s.of('shutdown')).toEqual([]);
    expect(s.workers().map((w) => [w.generation, w.status])).toEqual([[2, 'ready'], [2, 'ready'], [2, 'ready'], [2, 'ready']]);
    expect(s.of('restart')).toHaveLength(1);
  });

  test('setSize(0) while the canary boots stops every worker and ends the restart', async () => {
    const s = simulate({ size: 2, restartProbation: 1000 });
    s.start(settle);
    const restarted = s.control.restart();
    const emptied = s.control.setSize(0);
    s.advance(10_000);
    expect(s.workers()).toEqual([]);
    await Promise.all([restarted, emptied]);
  });
});

describe('a bad deploy (a rollout whose replacements crash past the give-up limits)', () => {
  test('ends the rollout, not the service: the old workers keep serving and restart() rejects', async () => {
    let bad = true;
    // Size 12 at the defaults: the first wave alone passes maxRestarts (10).
    const s = simulate({ size: 12 }, ({ generation }) => (generation === 2 && bad ? { exitAtStart: true } : {}));
    s.start(settle);
    const restarted = s.control.restart();
    s.advance(100);
    await expect(restarted).rejects.toMatchObject({ code: 'CC_ERR_RESTART_ABANDONED', details: { generation: 2, cause: 'window', exits: 11 } });
    expect(s.of('restartAbandoned')).toMatchObject([{ generation: 2, cause: 'window', exits: 11, window: 60_000, maxRestarts: 10 }]);
    expect(s.of('giveup')).toEqual([]);
    expect(s.of('restart')).toEqual([]);
    expect(s.snapshot().matches({ running: { rollout: 'idle' } })).toBe(true);
    // No old worker was shut down, and no replacement is left booting.
    expect(s.of('shutdown').filter((e) => e.worker.generation === 1)).toEqual([]);
    s.advance(60_000);
    expect(s.workers().map((w) => `${w.generation}:${w.status}`)).toEqual(Array(12).fill('1:ready'));
    expect(s.times('safe')).toHaveLength(1);
    // The crashes were spent on the rollout: a fixed deploy rolls out.
    bad = false;
    await Promise.all([s.control.restart(), Promise.resolve().then(() => s.advance(1000))]);
    expect(s.workers().map((w) => `${w.generation}:${w.status}`)).toEqual(Array(12).fill('3:ready'));
  });

  test('after the rollout was abandoned, a replaced old worker\'s crash-looping successor holds forks back but never gives up: the others serve on', async () => {
    const s = simulate({ size: 3, maxRestarts: 2 }, ({ generation }) => (generation === 2 ? { exitAtStart: true } : {}));
    s.start(settle);
    const restarted = s.control.restart();
    s.advance(100);
    await expect(restarted).rejects.toMatchObject({ code: 'CC_ERR_RESTART_ABANDONED' });
    // An old worker dies; its slot is refilled with what is on disk, the bad version.
    s.sim.crash(s.workers().find((w) => w.generation === 1)!.id);
    s.advance(600_000);
    expect(s.of('giveup')).toEqual([]);
    expect(s.snapshot().matches('running')).toBe(true);
    expect(s.workers().filter((w) => w.status === 'ready').map((w) => w.generation)).toEqual([1, 1]);
    // Backoff spaced the forks out: at most one per maxThrottleDelay (30 s) once it saturated.
    const forksAfter = s.forks().filter((f) => f.at > 200).length;
    expect(forksAfter).toBeGreaterThan(10);
    expect(forksAfter).toBeLessThan(40);
    expect(s.of('danger').at(-1)?.delay).toBe(30_000);
  });

  test('a restart ends the backoff: the next version forks at once, and its own crashes back off from throttleDelay again', async () => {
    let badUpTo = 3;
    const s = simulate({ size: 2, maxRestarts: 4 }, ({ generation }) => (generation >= 2 && generation <= badUpTo ? { exitAtStart: true } : {}));
    /** Advances the clock until `restarted` settles (in steps of 100 ms, for at most a minute): its code, or 'ok'. */
    const outcome = async (restarted: Promise<void>) => {
      let result: string | undefined;
      void restarted.then(() => (result = 'ok'), (error: { code: string }) => (result = error.code));
      for (let t = 0; t < 60_000 && result === undefined; t += 100) {
        s.advance(100);
        await settled();
      }
      return result;
    };
    s.start(settle);
    expect(await outcome(s.control.restart())).toBe('CC_ERR_RESTART_ABANDONED');
    // Abandoned in a backoff; the next would be longer still.
    expect(s.snapshot().matches({ running: { health: { danger: 'backoff' } } })).toBe(true);
    const firstDelays = s.of('danger').map((d) => d.delay);
    expect(firstDelays.at(-1)).toBeGreaterThanOrEqual(4000);
    const at = s.clock.now();
    const second = outcome(s.control.restart());
    // Its probe is forked at once, not after the old version's backoff (one at a time in
    // danger), and its crashes back off from 500 ms.
    expect(await second).toBe('CC_ERR_RESTART_ABANDONED');
    expect(s.forks().filter((f) => f.at === at)).toHaveLength(1);
    expect(s.of('danger').slice(firstDelays.length, firstDelays.length + 3).map((d) => d.delay)).toEqual([500, 1000, 2000]);
    expect(s.snapshot().matches({ running: { health: { danger: 'backoff' } } })).toBe(true);
    // A fixed version: forked at once, and the crash loop ends once it is healthy.
    badUpTo = 0;
    const fixedAt = s.clock.now();
    expect(await outcome(s.control.restart())).toBe('ok');
    expect(s.clock.now() - fixedAt).toBeLessThanOrEqual(100);
    expect(s.workers().map((w) => `${w.generation}:${w.status}`)).toEqual(['4:ready', '4:ready']);
    s.advance(2000);
    expect(s.snapshot().matches({ running: { health: 'ok' } })).toBe(true);
    expect(s.times('safe').at(-1)).toBeGreaterThan(fixedAt);
  });

  test('after the rollout was abandoned, its generation backs off even when it crashes older than minRestartAge', async () => {
    // Generation 2 crashes 3 s after it is ready: no danger exit by age.
    const s = simulate({ size: 3, maxRestarts: 2, restartProbation: 5000, minRestartAge: 2000 }, ({ generation }) => (generation === 2 ? { exitAfter: 3000 } : {}));
    s.start(settle);
    const restarted = s.control.restart();
    restarted.catch(() => {});
    s.advance(60_000);
    await expect(restarted).rejects.toMatchObject({ code: 'CC_ERR_RESTART_ABANDONED' });
    const before = s.forks().length;
    s.sim.crash(s.workers().find((w) => w.generation === 1)!.id);
    s.advance(600_000);
    expect(s.of('giveup')).toEqual([]);
    expect(s.workers().filter((w) => w.status === 'ready' && w.generation === 1)).toHaveLength(2);
    // Without backoff it forked every ~3 s (about 200 in 10 minutes).
    expect(s.forks().length - before).toBeLessThan(40);
    expect(s.of('danger').at(-1)?.delay).toBe(30_000);
  });

  test('with a canary, after the canary has crashed past the limits; the old workers never leave', async () => {
    const s = simulate({ size: 2, restartConcurrency: 1, restartProbation: 1000, maxRestarts: 3 }, ({ generation }) =>
      generation === 2 ? { exitAtStart: true } : {},
    );
    s.start(settle);
    const restarted = s.control.restart();
    let minReady = Infinity;
    s.advance(30_000, () => (minReady = Math.min(minReady, s.ready())), 10);
    await expect(restarted).rejects.toMatchObject({ code: 'CC_ERR_RESTART_ABANDONED', details: { exits: 4 } });
    expect(minReady).toBe(2);
    expect(s.of('exit').map((e) => e.worker.generation)).toEqual([2, 2, 2, 2]);
    expect(s.workers().map((w) => `${w.generation}:${w.status}`)).toEqual(['1:ready', '1:ready']);
    expect(s.snapshot().value).toMatchObject({ running: { rollout: 'idle' } });
  });

  test('keeps the replacements that got ready, at the size; those still booting go', async () => {
    // Replacements 3 and 4 get ready; the next ones crash at start.
    const s = simulate({ size: 4, maxRestarts: 3, restartConcurrency: 2 }, ({ id, generation }) =>
      generation === 2 && id > 6 ? { exitAtStart: true } : generation === 2 && id > 4 ? { onlineAfter: 5, readyAfter: 10 } : {},
    );
    s.start(settle);
    const restarted = s.control.restart();
    s.advance(30_000);
    await expect(restarted).rejects.toMatchObject({ code: 'CC_ERR_RESTART_ABANDONED' });
    const byGeneration = s.workers().map((w) => `${w.generation}:${w.status}`).sort();
    expect(byGeneration.filter((w) => w === '2:ready').length).toBeGreaterThan(0);
    expect(byGeneration.every((w) => w.endsWith(':ready'))).toBe(true);
    expect(byGeneration).toHaveLength(4);
    expect(s.of('giveup')).toEqual([]);
  });

  test('after a coalesced restart, the booting workers of every generation newer than the serving one go', async () => {
    // Generation 2 takes 8 s to get ready; generation 3 crashes at start.
    const s = simulate({ size: 1, maxRestarts: 2, restartConcurrency: 2, restartProbation: 1000 }, ({ generation }) =>
      generation === 2 ? { readyAfter: 8000 } : generation === 3 ? { exitAtStart: true } : {},
    );
    s.start(settle);
    void s.control.restart().catch(() => {});
    s.advance(5);
    const second = s.control.restart();
    let minReady = Infinity;
    s.advance(30_000, () => (minReady = Math.min(minReady, s.ready())), 5);
    await expect(second).rejects.toMatchObject({ code: 'CC_ERR_RESTART_ABANDONED', details: { generation: 3 } });
    expect(minReady).toBe(1);
    expect(s.of('shutdown').map((e) => e.worker.generation)).toEqual([2]);
    expect(s.workers().map((w) => `${w.generation}:${w.status}`)).toEqual(['1:ready']);
  });

  test('only the new generation\'s crashes count toward abandoning it; the old one\'s toward the give-up', async () => {
    // During a healthy canary's probation, three old workers crash: the old version, not the deploy.
    const s = simulate({ size: 5, maxRestarts: 2, restartProbation: 10_000 }, ({ id, generation }) =>
      generation === 1 && id <= 3 ? { exitAfter: 3000 + id * 10 } : {},
    );
    s.start(2900);
    void s.control.restart().catch(() => {});
    s.advance(1000);
    expect(s.of('restartAbandoned')).toEqual([]);
    expect(s.of('giveup')).toMatchObject([{ cause: 'window', exits: 3 }]);
  });

  test('crashes from before the restart do not count toward abandoning it', async () => {
    // Three old workers crash once each before the restart; the canary crashes once, then starts.
    let canaryCrashes = 1;
    const s = simulate({ size: 3, maxRestarts: 3, restartProbation: 1000 }, ({ id, generation }) =>
      generation === 1 && id <= 3 ? { exitAfter: 5000 + id * 100 } : generation === 2 && canaryCrashes-- > 0 ? { exitAtStart: true } : {},
    );
    s.start(6000);
    expect(s.of('exit')).toHaveLength(3);
    const restarted = s.control.restart();
    s.advance(30_000);
    await restarted;
    expect(s.of('restartAbandoned')).toEqual([]);
    expect(s.workers().map((w) => `${w.generation}:${w.status}`)).toEqual(['2:ready', '2:ready', '2:ready']);
  });

  test('gives up as before when no worker of an older generation serves', async () => {
    // The old worker crashes too, 50 ms into the rollout: from then on nothing serves.
    const s = simulate({ size: 1, maxRestarts: 3 }, ({ generation }) => (generation === 2 ? { exitAtStart: true } : { exitAfter: settle + 40 }));
    s.start(settle);
    const restarted = s.control.restart();
    s.advance(30_000);
    // restart() waits for replacements that serve: the give-up rejects it.
    await expect(restarted).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_GAVE_UP' });
    // The first crash was the rollout's (the old worker served then); the next four count toward the give-up.
    expect(s.of('exit').map((e) => e.worker.generation)).toEqual([2, 1, 2, 2, 2]);
    expect(s.snapshot().context.stopReason).toBe('giveup');
    expect(s.of('restartAbandoned')).toEqual([]);
    expect(s.of('giveup')).toHaveLength(1);
  });

  test('an abandoned rollout shuts its booting replacements down even when one of them got ready: ready never drops', async () => {
    const s = simulate({ size: 3, maxRestarts: 1 }, ({ id, generation }) =>
      generation !== 2 ? {} : id === 4 ? {} : id === 5 ? { readyAfter: 5000 } : { exitAtStart: true },
    );
    s.start(settle);
    const restarted = s.control.restart();
    let fewest = Infinity;
    s.advance(3000, () => (fewest = Math.min(fewest, s.ready())));
    await expect(restarted).rejects.toMatchObject({ code: 'CC_ERR_RESTART_ABANDONED' });
    expect(fewest).toBe(3);
    expect(s.of('shutdown').map((e) => e.worker.id)).toContain(5);
  });

  test("a healthy minRestartAge during a rollout starts the rollout's streak over", () => {
    let crashing = true;
    const s = simulate({ size: 2, maxRestarts: 2, restartWindow: 1, restartProbation: 100_000, restartConcurrency: 1 }, ({ generation }) =>
      generation === 2 && crashing ? { exitAtStart: true } : {},
    );
    s.start(settle);
    void s.control.restart().catch(() => {});
    s.advance(1000); // two canaries crashed at start: the rollout's streak is 2
    expect(s.of('exit')).toHaveLength(2);
    crashing = false;
    s.advance(4000); // the third canary is healthy: safe
    expect(s.times('safe')).toHaveLength(1);
    crashing = true;
    const canary = s.workers().find((w) => w.generation === 2)!;
    s.sim.crash(canary.id);
    s.advance(100); // its replacement crashes at start: streak 2 of a new episode, not 4
    expect(s.of('exit')).toHaveLength(4);
    expect(s.of('restartAbandoned')).toEqual([]);
  });
});

describe('danger', () => {
  test('crash loop: the fork delay doubles 500, 1000, 2000 … capped at 30000', () => {
    const s = simulate({ size: 1, maxRestarts: Infinity }, () => ({ exitAtStart: true }));
    s.start(0);
    s.advance(200_000);
    const forks = s.forks().map((f) => f.at);
    const exits = s.of('exit').map((e) => e.at);
    // Each fork waits the current delay after the crash before it.
    const delays = forks.slice(1).map((at, i) => at - exits[i]!);
    expect(delays.slice(0, 9)).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    // Each backoff announces its delay, at the crash it follows.
    expect(s.of('danger').slice(0, 9).map((e) => [e.at, e.delay])).toEqual(exits.slice(0, 9).map((at, i) => [at, delays[i]]));
    expect(s.times('safe')).toEqual([]);
  });

  test.each([
    ['before online', { exitAtStart: true }, [0, 0, 0, 0, 510, 1520, 3530, 7540]],
    ['after online, before ready (disconnect, then exit)', { exitAfter: 5 }, [0, 0, 0, 0, 515, 1530, 3545, 7560]],
  ] as const)('size 4 crashing at start (%s) forks one probe at a time: at most 10 forks in 10 s', (_, script, forks) => {
    const s = simulate({ size: 4, maxRestarts: Infinity }, () => script);
    s.start(10_000);
    expect(s.forks().length).toBeLessThanOrEqual(10);
    expect(s.forks().map((f) => f.at)).toEqual(forks);
  });

  test('an exit younger than minRestartAge enters danger; a healthy minRestartAge resets the delay', () => {
    let crashing = true;
    const s = simulate({ size: 1, maxRestarts: Infinity }, () => (crashing ? { exitAfter: 100 } : {}));
    s.start(0);
    s.advance(2000);
    expect(s.of('danger').map((e) => [e.at, e.delay])).toEqual([[110, 500], [720, 1000], [1830, 2000]]);
    crashing = false;
    s.advance(60_000);
    const safe = s.times('safe');
    expect(safe).toHaveLength(1);
    // Healthy again: the next young crash starts over at 500 ms.
    crashing = true;
    // An old worker's crash: replaced at once; the replacement crashes young (+110 ms).
    s.sim.crash(s.workers()[0]!.id);
    const crashAt = s.clock.now();
    s.advance(700);
    expect(s.of('danger').at(-1)).toMatchObject({ at: crashAt + 110, delay: 500 });
    expect(s.forks().at(-1)?.at).toBe(crashAt + 610);
  });

  test('an old worker\'s crash is replaced at once, without danger', () => {
    const s = simulate({ size: 1 });
    s.start(settle);
    s.sim.crash(1);
    expect(s.times('danger')).toEqual([]);
    expect(s.forks().map((f) => f.at)).toEqual([0, settle]);
  });

  test('gives up after more than maxRestarts unexpected exits within restartWindow, and stops every worker', async () => {
    const s = simulate({ size: 2, maxRestarts: 3, restartWindow: 10_000 }, ({ id }) => (id === 1 ? {} : { exitAtStart: true }));
    const started = s.control.start();
    s.advance(20_000);
    await expect(started).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_GAVE_UP' });
    const [giveup] = s.of('giveup');
    expect(giveup).toMatchObject({ cause: 'window', exits: 4, window: 10_000, maxRestarts: 3 });
    expect(s.snapshot().value).toBe('stopped');
    expect(s.snapshot().context.stopReason).toBe('giveup');
    expect(s.sim.alive()).toEqual([]);
    expect(s.of('stopped')).toMatchObject([{ reason: 'giveup' }]);
    // Giving up in danger is not a return to health.
    expect(s.times('safe')).toEqual([]);
  });

  test('the window slides: exits spread wider than restartWindow never give up', () => {
    const s = simulate({ size: 1, maxRestarts: 2, restartWindow: 1000 }, () => ({}));
    s.start(settle);
    for (let i = 0; i < 6; i++) {
      s.sim.crash(s.workers()[0]!.id);
      s.advance(settle);
    }
    expect(s.of('giveup')).toEqual([]);
    expect(s.snapshot().matches('running')).toBe(true);
  });

  test('an exit exactly restartWindow ago no longer counts toward the give-up', () => {
    const s = simulate({ size: 1, maxRestarts: 1, restartWindow: 1000, minRestartAge: 0 });
    s.start(settle);
    s.sim.crash(s.workers()[0]!.id);
    s.advance(1000);
    s.sim.crash(s.workers()[0]!.id);
    expect(s.of('exit').map((e) => e.at)).toEqual([settle, settle + 1000]);
    expect(s.of('giveup')).toEqual([]);
    s.advance(1);
    s.sim.crash(s.workers()[0]!.id);
    expect(s.of('giveup')).toMatchObject([{ cause: 'window', exits: 2 }]);
  });

  test('start() after a give-up begins with fresh crash counts', async () => {
    let crashing = true;
    const s = simulate({ size: 1, maxRestarts: 2, restartWindow: 60_000 }, () => (crashing ? { exitAtStart: true } : {}));
    const started = s.control.start();
    s.advance(10_000);
    await expect(started).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_GAVE_UP' });
    crashing = false;
    const again = s.control.start();
    s.advance(settle);
    await again;
    // One crash of a healthy worker: far from the limits of a fresh start.
    s.sim.crash(s.workers()[0]!.id);
    s.advance(100);
    expect(s.of('giveup')).toHaveLength(1);
    expect(s.snapshot().matches('running')).toBe(true);
  });
});

describe('stop', () => {
  test('shuts all workers down in parallel and ends stopped', async () => {
    const s = simulate({ size: 4 }, () => ({ drainTime: 1000 }));
    s.start(100);
    const stopped = s.control.stop();
    expect(s.of('shutdown').map((e) => e.at)).toEqual([100, 100, 100, 100]);
    s.advance(999);
    expect(s.snapshot().value).toBe('stopping');
    s.advance(1);
    await stopped;
    expect(s.snapshot().value).toBe('stopped');
    expect(s.of('exit').map((e) => [e.at, e.exit.expected])).toEqual(Array(4).fill([1100, true]));
    expect(s.of('stop')).toMatchObject([{ force: false, reason: 'stop' }]);
    expect(s.clock.pending()).toBe(0);
    expect(Object.keys(s.snapshot().children)).toEqual([]);
  });

  test('force terminates at once, and a forced stop during a graceful one escalates', async () => {
    const s = simulate({ size: 2 }, () => ({ ignoreDisconnect: true }));
    s.start(100);
    void s.control.stop();
    s.advance(10);
    const forced = s.control.stop({ force: true });
    expect(s.sim.calls.filter((c) => c.call === 'signal').map((c) => [c.at, c.detail])).toEqual([
      [110, 'SIGTERM'],
      [110, 'SIGTERM'],
    ]);
    s.advance(1);
    await forced;
    expect(s.snapshot().value).toBe('stopped');
  });

  test('a stopped control starts again', async () => {
    const s = simulate({ size: 2 });
    s.start(100);
    const stopped = s.control.stop();
    s.advance(10);
    await stopped;
    const started = s.control.start();
    s.advance(30);
    await started;
    expect(s.ready()).toBe(2);
    expect(s.workers().map((w) => w.id)).toEqual([3, 4]);
  });

  test('a start() during a stop starts once stopped; stopped again or closed before that, it rejects and sends nothing', async () => {
    const draining = () => simulate({ size: 2 }, () => ({ drainTime: 50 }));
    const s = draining();
    s.start(100);
    void s.control.stop();
    const started = s.control.start();
    s.advance(50);
    expect(s.snapshot().value).toBe('stopped');
    // Once the promises have settled, start() has sent its start.
    await settled();
    expect(s.snapshot().value).toMatchObject({ running: {} });
    s.advance(100);
    await started;
    expect(s.ready()).toBe(2);

    const again = draining();
    again.start(100);
    void again.control.stop();
    const superseded = again.control.start();
    const stoppedAgain = again.control.stop();
    again.advance(50);
    await expect(superseded).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_STOPPED' });
    await stoppedAgain;
    again.advance(100);
    expect(again.snapshot().value).toBe('stopped');
    expect(again.forks()).toHaveLength(2);

    const closed = draining();
    closed.start(100);
    void closed.control.stop();
    const refused = closed.control.start();
    closed.advance(50);
    closed.control.close();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await expect(refused).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_CLOSED' });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  test('stop() of a control that never started, with no worker, changes nothing', async () => {
    const s = simulate({ size: 1 });
    await s.control.stop();
    expect(s.snapshot().value).toBe('idle');
    expect(s.log).toEqual([]);
  });
});

describe('shutdown and terminate', () => {
  test('shutdown(id) drains one worker; the size brings a replacement', async () => {
    const s = simulate({ size: 2 }, () => ({ drainTime: 100 }));
    s.start(settle);
    const done = s.control.shutdown(1);
    expect(s.of('shutdown').map((e) => e.worker.id)).toEqual([1]);
    expect(s.forks().map((f) => f.at)).toEqual([0, 0, settle]);
    s.advance(100);
    await done;
    expect(s.of('exit')[0]?.exit).toMatchObject({ id: 1, expected: true });
    expect(s.times('danger')).toEqual([]);
  });

  test('shutdown(id) of a worker leaving on its own stops counting it: its replacement forks at once', () => {
    const s = simulate({ size: 1, startupTimeout: 1000 }, ({ id }) => (id === 1 ? { readyAfter: null, ignoreTerm: true } : {}));
    // Worker 1 misses its startup timeout and ignores the SIGTERM: failing, it still counts.
    s.start(1000);
    expect(s.forks().map((f) => f.at)).toEqual([0]);
    void s.control.shutdown(1);
    expect(s.forks().map((f) => f.at)).toEqual([0, 1000]);
  });

  test('shutdown() of all drains every worker at once', () => {
    const s = simulate({ size: 3 });
    s.start(settle);
    void s.control.shutdown('all');
    expect(s.of('shutdown').map((e) => e.at)).toEqual([settle, settle, settle]);
  });

  test('terminate(id) and terminate() signal SIGTERM', () => {
    const s = simulate({ size: 3 });
    s.start(settle);
    void s.control.terminate(2);
    expect(s.sim.calls.filter((c) => c.call === 'signal').map((c) => [c.id, c.detail])).toEqual([[2, 'SIGTERM']]);
    s.advance(1);
    // Worker 2 exited and worker 4 replaced it; terminate() now reaches 1, 3 and 4.
    void s.control.terminate();
    expect(s.sim.calls.filter((c) => c.call === 'signal').map((c) => c.id)).toEqual([2, 1, 3, 4]);
  });

  test('an unknown id is refused with a code', async () => {
    const s = simulate({ size: 1 });
    s.start(100);
    await expect(s.control.shutdown(99)).rejects.toMatchObject({ code: 'CC_ERR_WORKER_UNKNOWN' });
  });

  test('shutdown() of all resolves only once every one of them has exited', async () => {
    const s = simulate({ size: 3 }, ({ id }) => ({ drainTime: id * 100 }));
    s.start(settle);
    let done = false;
    void s.control.shutdown().then(() => (done = true));
    s.advance(150); // worker 1 has exited; 2 and 3 still drain
    await settled();
    expect(done).toBe(false);
    s.advance(200);
    await settled();
    expect(done).toBe(true);
  });
});

describe('give-up of a crash loop that backoff spreads wider than the window', () => {
  test('size 4 crashing at start gives up at the 11th crash with defaults (maxRestarts 10, window 60 s)', async () => {
    const s = simulate({ size: 4 }, () => ({ exitAtStart: true }));
    const started = s.control.start();
    s.advance(120_000);
    await expect(started).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_GAVE_UP' });
    expect(s.forks()).toHaveLength(11);
    // Backoff puts the 11th crash 61.5 s after the first four: outside the 60 s window.
    expect(s.of('giveup')).toMatchObject([{ at: 61_580, cause: 'streak', exits: 11, maxRestarts: 10 }]);
    // The error says which limit the crashes went over: not "11 exits within 60 s".
    await expect(started).rejects.toMatchObject({
      details: { cause: 'streak', exits: 11 },
      message: expect.stringContaining('11 crashes in a row, each at startup or younger than minRestartAge (2000 ms)'),
    });
  });

  test('a healthy minRestartAge ends the episode: the streak starts over', () => {
    let crashing = true;
    const s = simulate({ size: 1, maxRestarts: 3, restartWindow: 1000 }, () => (crashing ? { exitAtStart: true } : {}));
    s.start(3000);
    expect(s.of('exit')).toHaveLength(3);
    crashing = false;
    s.advance(30_000);
    expect(s.times('safe')).toHaveLength(1);
    crashing = true;
    s.sim.crash(s.workers()[0]!.id);
    s.advance(3000);
    expect(s.of('giveup')).toEqual([]);
  });

  test('a minRestartAge spent booting is not healthy: an app that never gets ready backs off and gives up', async () => {
    // startupTimeout (3 s) past minRestartAge (1 s): each worker is old enough, never ready;
    // a window shorter than the time between exits leaves the give-up to the streak.
    const s = simulate({ size: 1, startupTimeout: 3000, minRestartAge: 1000, restartWindow: 2000, maxRestarts: 3, throttleDelay: 200 }, () => ({ readyAfter: null }));
    const started = s.control.start();
    started.catch(() => {});
    s.advance(120_000);
    expect(s.of('giveup')).toMatchObject([{ cause: 'streak', exits: 4 }]);
    await expect(started).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_GAVE_UP' });
    expect(s.times('safe')).toEqual([]);
    // Backoff went on doubling: no healthy minRestartAge started it over.
    expect(s.of('danger').map((e) => e.delay)).toEqual([200, 400, 800]);
  });

  test('workers still booting from before a crash loop neither hold its probes back nor count as healthy: backoff doubles, no safe', () => {
    // #1 and #2 hang at boot; every later worker crashes at start. The one-probe budget counted
    // the two as unready probes, so no probe was forked, and an empty set of probes was healthy.
    const s = simulate({ size: 4, startupTimeout: 60_000, minRestartAge: 1000, throttleDelay: 200, maxRestarts: 100 }, ({ id }) =>
      id <= 2 ? { readyAfter: null } : { exitAtStart: true },
    );
    void s.control.start().catch(() => {});
    s.advance(30_000);
    // It said `safe` every cycle, and the delay never grew past 200 ms.
    expect(s.times('safe')).toEqual([]);
    expect(s.of('danger').map((e) => e.delay).slice(0, 4)).toEqual([200, 400, 800, 1600]);
  });

  test('healthy probes are not enough while a worker forked before them still boots', () => {
    // #1 hangs at boot until its startup timeout; #2 crashes at start; the probes are fine.
    const s = simulate({ size: 2, startupTimeout: 10_000, minRestartAge: 1000, throttleDelay: 200 }, ({ id }) =>
      id === 1 ? { readyAfter: null } : id === 2 ? { exitAtStart: true } : {},
    );
    void s.control.start().catch(() => {});
    s.advance(9000);
    expect(s.of('ready').map((e) => e.worker.id)).toEqual([3]);
    expect(s.times('safe')).toEqual([]);
    // #1's startup timeout is one more crash of the loop; its replacement is ready, and then it is safe.
    s.advance(5000);
    expect(s.of('danger').map((e) => e.delay)).toEqual([200, 400]);
    expect(s.times('safe')).toHaveLength(1);
  });

  test('a probe the control shuts down while it is awaited (a shrink) ends the episode: it is not waited for', async () => {
    const s = simulate({ size: 2, minRestartAge: 1000, throttleDelay: 100 }, ({ id }) => (id >= 3 ? { readyAfter: 5000 } : {}));
    s.start(100);
    s.sim.crash(s.workers()[0]!.id);
    // Backoff, then the probe (#3) forks and boots slowly: older than minRestartAge, not ready.
    s.advance(1500);
    expect(s.snapshot().matches({ running: { health: { danger: { probing: 'awaitingReady' } } } })).toBe(true);
    const shrunk = s.control.setSize(1);
    s.advance(100);
    await shrunk;
    expect(s.of('shutdown').map((e) => e.worker.id)).toEqual([3]);
    expect(s.of('safe')).toHaveLength(1);
    expect(s.snapshot().matches({ running: { health: 'ok' } })).toBe(true);
  });

  test('a probe that gets ready after minRestartAge ends the episode once it is ready', () => {
    let slow = false;
    const s = simulate({ size: 1, minRestartAge: 1000, maxRestarts: 5, throttleDelay: 100 }, () => (slow ? { readyAfter: 2500 } : { exitAtStart: true }));
    const crashes = () => s.of('exit').length;
    void s.control.start().catch(() => {});
    s.advance(150, () => {}, 1);
    expect(crashes()).toBeGreaterThan(0);
    slow = true;
    s.advance(2000);
    // The probe is older than minRestartAge but still booting: not safe yet.
    expect(s.of('safe')).toEqual([]);
    s.advance(2000);
    expect(s.ready()).toBe(1);
    expect(s.of('safe')).toHaveLength(1);
    expect(s.snapshot().context.crashStreak).toBe(0);
  });
});
