/**
 * S3 of the benchmarks as a test: the control is SIGKILLed (no exit hook can run) while its
 * workers (agent on) are (a) plain, (b) blocked in a busy loop on their main thread, (c)
 * parents of a child process of their own. Within 3 s nothing of the control's process tree
 * (workers, their children, the orphan warden) runs.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { descendantsOf } from '../../src/runtime/process-tree.js';
import { allGone, freePort, isAlive, killAll, until } from '../helpers/processes.js';
import { type Primary, startPrimary } from './fixtures/primary-client.js';

const SURVIVOR_WAIT_MS = 3000;
const fixture = (path: string) => fileURLToPath(new URL(path, import.meta.url));

let primary: Primary | undefined;
let tree: number[] = [];

afterEach(() => {
  if (primary === undefined) return;
  primary.child.kill('SIGKILL');
  killAll([...primary.pids, ...tree]);
  primary = undefined;
  tree = [];
});

const blockedCount = (p: Primary) => p.messages.filter((m) => typeof (m as { blocked?: unknown } | null)?.blocked === 'number').length;

/** [case, app, when the tree is complete (every process known; for (b), every worker blocked)] */
const cases: Array<[string, string, (p: Primary) => boolean]> = [
  ['(a) plain workers', fixture('../fixtures/apps/http-plain.cjs'), (p) => p.pids.size === 4],
  ['(b) workers whose main thread is blocked', fixture('./fixtures/blocked.cjs'), (p) => p.pids.size === 4 && blockedCount(p) === 4],
  ['(c) workers with a child process of their own', fixture('./fixtures/spawner.cjs'), (p) => p.pids.size === 8],
];

test.each(cases)('SIGKILL of the control with %s leaves no survivor after 3 s', async (what, app, complete) => {
  const port = await freePort();
  primary = startPrimary({ exec: app, size: 4, agent: true, env: { PORT: String(port) } }, {});
  const p = primary;
  await p.started;
  await until(() => complete(p), `${what}: every process reported`, { on: [[p.events, 'pid'], [p.events, 'message']] });
  tree = descendantsOf(p.child.pid!);
  expect(tree).toEqual(expect.arrayContaining([...p.pids]));
  expect(tree.every(isAlive)).toBe(true);

  p.child.kill('SIGKILL');
  await p.exited;
  // Throws, naming the survivors, if any process of the tree is alive after 3 s.
  await allGone(tree, SURVIVOR_WAIT_MS, what);
}, 30_000);
