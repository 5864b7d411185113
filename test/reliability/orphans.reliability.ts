/**
 * S3 of the benchmarks as a test: the control is SIGKILLed (no exit hook can run) while its
 * workers (agent on) are (a) plain, (b) blocked in a busy loop on their main thread, (c)
 * parents of a child process of their own. 3 s later nothing of its tree runs.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { freePort, isAlive, killAll } from '../helpers/processes.js';
import { type Primary, startPrimary } from './fixtures/primary-client.js';

const SURVIVOR_WAIT_MS = 3000;
const fixture = (path: string) => fileURLToPath(new URL(path, import.meta.url));

let primary: Primary | undefined;

afterEach(() => {
  if (primary === undefined) return;
  primary.child.kill('SIGKILL');
  killAll(primary.pids);
  primary = undefined;
});

const cases = [
  ['(a) plain workers', fixture('../fixtures/apps/http-plain.cjs'), 4],
  ['(b) workers whose main thread is blocked', fixture('./fixtures/blocked.cjs'), 4],
  ['(c) workers with a child process of their own', fixture('./fixtures/spawner.cjs'), 8],
] as const;

test.each(cases)('SIGKILL of the control with %s leaves no survivor after 3 s', async (_, app, processes) => {
  const port = await freePort();
  primary = startPrimary({ exec: app, size: 4, agent: true, env: { PORT: String(port) } }, {});
  const p = primary;
  await p.started;
  // Every process known (for (c), the children too), then (b) has blocked for a while.
  const deadline = Date.now() + 10_000;
  while (p.pids.size < processes && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(p.pids.size).toBe(processes);
  await new Promise((r) => setTimeout(r, 500));
  const tree = [...p.pids];
  expect(tree.every(isAlive)).toBe(true);

  p.child.kill('SIGKILL');
  await p.exited;
  await new Promise((r) => setTimeout(r, SURVIVOR_WAIT_MS));
  expect(tree.filter(isAlive)).toEqual([]);
}, 30_000);
