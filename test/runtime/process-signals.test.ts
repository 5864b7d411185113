/**
 * A control embedded in its own primary process (test/fixtures/primary.mjs, signals on):
 * what happens to it and its workers on SIGTERM, SIGINT, SIGHUP, SIGKILL and give-up.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { type JsonLineProcess, allGone, freePort, isAlive, killAll, spawnJsonLines } from '../helpers/processes.js';

const primary = fileURLToPath(new URL('../fixtures/primary.mjs', import.meta.url));
const app = (name: string) => fileURLToPath(new URL(`../fixtures/apps/${name}`, import.meta.url));
const started: JsonLineProcess[] = [];

async function runPrimary(options: Record<string, unknown>, limits: { openFiles?: number } = {}) {
  const port = await freePort();
  const env = { PORT: String(port), ...(options.env as object | undefined) };
  const p = spawnJsonLines([primary, JSON.stringify({ ...options, env })], {}, limits);
  started.push(p);
  return p;
}
const workerPids = (p: JsonLineProcess) =>
  p.lines.filter((l) => l.event === 'fork').map((l) => (l.worker as { pid: number }).pid);

afterEach(() => {
  for (const p of started.splice(0)) killAll([p.child.pid!, ...workerPids(p)]);
});

test('SIGKILL of the control leaves no worker alive 2 s later', async () => {
  const p = await runPrimary({ exec: app('http-plain.cjs'), size: 3, agent: true });
  await p.line((l) => l.event === 'started', 'the control started');
  const pids = workerPids(p);
  expect(pids).toHaveLength(3);
  p.child.kill('SIGKILL');
  const took = await allGone(pids, 2000, 'workers of a SIGKILLed control');
  expect(took).toBeLessThan(2000);
});

test.each(['SIGTERM', 'SIGINT'] as const)('%s to the control drains every worker and exits 0', async (signal) => {
  const p = await runPrimary({ exec: app('http-slow-drain.cjs'), size: 2, env: { DRAIN_MS: '300' } });
  await p.line((l) => l.event === 'started', 'the control started');
  const pids = workerPids(p);
  p.child.kill(signal);
  expect(await p.exited).toEqual({ code: 0, signal: null });
  const exits = p.lines.filter((l) => l.event === 'exit').map((l) => l.exit as { expected: boolean; code: number });
  expect(exits).toEqual([expect.objectContaining({ expected: true, code: 0 }), expect.objectContaining({ expected: true, code: 0 })]);
  expect(pids.filter(isAlive)).toEqual([]);
});

test('a second SIGTERM forces the stop', async () => {
  const p = await runPrimary({ exec: app('stubborn.cjs'), size: 1, shutdownTimeout: 20_000 });
  await p.line((l) => l.event === 'started', 'the control started');
  p.child.kill('SIGTERM');
  await p.line((l) => l.event === 'stop', 'the graceful stop began');
  // A second request, as a person or a script sends it: later than a duplicate delivery of the first.
  setTimeout(() => p.child.kill('SIGTERM'), 200);
  await p.exited;
  const exit = p.lines.find((l) => l.event === 'exit')?.exit as { signal: string };
  // stubborn.cjs ignores SIGTERM, so the forced stop escalates to SIGKILL after terminateTimeout.
  expect(exit.signal).toBe('SIGKILL');
  expect(workerPids(p).filter(isAlive)).toEqual([]);
}, 20_000);

test('a SIGTERM delivered twice at once (to the process, then to its group, as `timeout` sends it) stops gracefully', async () => {
  const p = await runPrimary({ exec: app('http-slow-drain.cjs'), size: 2, env: { DRAIN_MS: '300' } });
  await p.line((l) => l.event === 'started', 'the control started');
  p.child.kill('SIGTERM');
  // The second a few ms later, as `timeout`'s second kill() reaches a process that handled
  // the first meanwhile (were the first still pending, the kernel would merge the two).
  setTimeout(() => p.child.kill('SIGTERM'), 5);
  expect(await p.exited).toEqual({ code: 0, signal: null });
  expect(p.lines.filter((l) => l.event === 'stop').map((l) => l.force)).toEqual([false]);
  const exits = p.lines.filter((l) => l.event === 'exit').map((l) => l.exit as { expected: boolean; code: number });
  expect(exits).toEqual([expect.objectContaining({ expected: true, code: 0 }), expect.objectContaining({ expected: true, code: 0 })]);
});

test('SIGHUP restarts every worker', async () => {
  const p = await runPrimary({ exec: app('http-plain.cjs'), size: 2, restartProbation: 100 });
  await p.line((l) => l.event === 'started', 'the control started');
  const before = workerPids(p);
  p.child.kill('SIGHUP');
  await p.line((l) => l.event === 'restart', 'the restart finished');
  expect(before.filter(isAlive)).toEqual([]);
  expect(workerPids(p)).toHaveLength(4);
});

test('a fork the system refuses (out of file descriptors) is a startup crash that backs off, and SIGTERM still stops the control', async () => {
  // 24 open files leave room for about two workers: spawn then fails with EMFILE, which
  // node:cluster reports as an `error` and never as an `exit`.
  const p = await runPrimary({ exec: app('http-plain.cjs'), size: 6 }, { openFiles: 24 });
  const refused = await p.line((l) => l.event === 'exit' && (l.worker as { pid: number | null }).pid === null, 'the exit of a refused fork');
  expect(refused.exit).toMatchObject({ phase: 'startup', expected: false, code: null, signal: null });
  await p.line((l) => l.event === 'danger', 'the backoff');
  expect(p.lines).toContainEqual(expect.objectContaining({ event: 'error', message: expect.stringMatching(/^Worker #\d+ could not be forked: spawn .* EMFILE/) }));
  p.child.kill('SIGTERM');
  // It hung here, in `stopping`, with workers of no pid that would never exit.
  await p.line((l) => l.event === 'stopped', 'the stop to finish', 5000);
  expect(await p.exited).toEqual({ code: 0, signal: null });
  expect(workerPids(p).filter(isAlive)).toEqual([]);
});

test('give-up exits 1 with every worker stopped, once the pending start() has rejected', async () => {
  const p = await runPrimary({ exec: app('crash-at-start.cjs'), size: 2, maxRestarts: 2, throttleDelay: 50 });
  expect(await p.exited).toEqual({ code: 1, signal: null });
  expect(p.lines.some((l) => l.event === 'giveup')).toBe(true);
  // The embedder's handler of start()'s rejection ran before the exit.
  expect(p.lines).toContainEqual({ event: 'startFailed', code: 'CC_ERR_CONTROL_GAVE_UP' });
  expect(workerPids(p).filter(isAlive)).toEqual([]);
});

test('a control that fails (here its inspector throws) kills its workers and exits 1', async () => {
  const p = await runPrimary({ exec: app('http-plain.cjs'), size: 2, inspectorThrowsAtReady: true });
  expect(await p.exited).toEqual({ code: 1, signal: null });
  expect(p.lines.filter((l) => l.event === 'error').map((l) => l.message)).toEqual(['inspector broke']);
  expect(p.lines).toContainEqual({ event: 'startFailed', code: 'CC_ERR_CONTROL_FAILED' });
  const pids = workerPids(p);
  expect(pids).toHaveLength(2);
  await allGone(pids, 2000, 'workers of a failed control');
});
