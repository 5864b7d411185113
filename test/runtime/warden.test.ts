/**
 * The orphan warden (src/runtime/warden.ts) with a real control in its own primary
 * (test/fixtures/primary.mjs): a SIGKILLed control takes down workers whose main thread is
 * blocked, and their children, with or without the agent; a control that stops leaves no
 * warden behind.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { descendantsOf } from '../../src/runtime/process-tree.js';
import { type JsonLineProcess, allGone, isAlive, killAll, spawnJsonLines } from '../helpers/processes.js';

const primary = fileURLToPath(new URL('../fixtures/primary.mjs', import.meta.url));
const childApp = fileURLToPath(new URL('../fixtures/agent/child-app.cjs', import.meta.url));
/** Every process a test started or learned of, killed by pid after it. */
const started = new Set<number>();

afterEach(() => {
  killAll(started);
  started.clear();
});

function runPrimary(options: Record<string, unknown>): JsonLineProcess {
  const p = spawnJsonLines([primary, JSON.stringify({ exec: childApp, readyOn: 'online', ...options })]);
  started.add(p.child.pid!);
  return p;
}

/** The workers' pids and their children's (reported by child-app.cjs), once all are known. */
async function treeOf(p: JsonLineProcess, size: number): Promise<{ workers: number[]; children: number[] }> {
  await p.line((l) => l.event === 'started', 'the control started');
  const workers = p.lines.filter((l) => l.event === 'fork').map((l) => (l.worker as { pid: number }).pid);
  for (const pid of workers) started.add(pid);
  const children: number[] = [];
  for (let i = 0; i < size; i++) {
    const line = await p.line(
      (l) => l.event === 'message' && (l.message as { app?: string }).app === 'child' && !children.includes((l.message as { pid: number }).pid),
      `child ${i + 1} of ${size} reported`,
    );
    children.push((line.message as { pid: number }).pid);
    started.add((line.message as { pid: number }).pid);
  }
  return { workers, children };
}

const wardensOf = (pid: number) =>
  descendantsOf(pid).filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0')[0] === '/bin/sh';
    } catch {
      return false;
    }
  });

test.each([
  ['with the agent', true],
  ['without the agent', false],
])('SIGKILL of the control takes down blocked workers and their children, %s', async (_, agent) => {
  const p = runPrimary({ size: 2, agent, env: { BLOCK: '1' } });
  const { workers, children } = await treeOf(p, 2);
  const [warden] = wardensOf(p.child.pid!);
  expect(warden, 'the control runs a warden while it has workers').toBeDefined();
  started.add(warden!);
  expect([...workers, ...children].every(isAlive)).toBe(true);

  p.child.kill('SIGKILL');
  await allGone([...workers, ...children, warden!], 3000, 'the blocked workers, their children and the warden');
}, 20_000);

test('a control that stops leaves no warden behind', async () => {
  const p = runPrimary({ size: 1, agent: true });
  await treeOf(p, 1);
  const wardens = wardensOf(p.child.pid!);
  expect(wardens).toHaveLength(1);
  for (const pid of wardens) started.add(pid);

  p.child.kill('SIGTERM');
  expect(await p.exited).toEqual({ code: 0, signal: null });
  await allGone(wardens, 2000, 'the warden of a control that stopped');
}, 20_000);
