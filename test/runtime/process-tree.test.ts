/**
 * process-tree on a real chain of processes (test/fixtures/agent/tree.cjs):
 * - descendantsOf lists children and grandchildren, parents first, and nothing else;
 * - killTrees signals the whole chain, each tree with its own signal, and ignores processes
 *   that are already gone;
 * - the `ps` fallback (non-Linux) finds the same tree.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { descendantsOf, killTrees } from '../../src/runtime/process-tree.js';
import { allGone } from '../helpers/processes.js';

const treeFixture = fileURLToPath(new URL('../fixtures/agent/tree.cjs', import.meta.url));

/** Every pid of every tree a test started; afterEach SIGKILLs them, by pid. */
const started = new Set<number>();

afterEach(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  started.clear();
});

/** Starts a chain of `depth` processes below a root; resolves once all are up, root first. */
async function startChain(depth: number): Promise<{ root: ChildProcess; pids: number[] }> {
  const root = spawn(process.execPath, [treeFixture, String(depth)], { stdio: ['ignore', 'pipe', 'inherit'] });
  if (root.pid !== undefined) started.add(root.pid);
  let output = '';
  root.stdout!.setEncoding('utf8');
  const line = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the chain of ${depth} did not report within 5 s`)), 5000);
    root.stdout!.on('data', (chunk: string) => {
      output += chunk;
      if (!output.includes('\n')) return;
      clearTimeout(timer);
      resolve(output.slice(0, output.indexOf('\n')));
    });
  });
  const pids = JSON.parse(await line) as number[];
  for (const pid of pids) started.add(pid);
  return { root, pids };
}


describe('descendantsOf', () => {
  it('lists children and grandchildren, parents first', async () => {
    const { pids } = await startChain(3);
    const [root, ...below] = pids;
    expect(descendantsOf(root!)).toEqual(below);
    expect(descendantsOf(below[0]!)).toEqual(below.slice(1));
  });

  it('is empty for a leaf and for a pid that does not exist', async () => {
    const { pids } = await startChain(1);
    expect(descendantsOf(pids[1]!)).toEqual([]);
    expect(descendantsOf(2 ** 22 + 1)).toEqual([]);
  });

  it('finds the same tree through `ps` where there is no /proc', async () => {
    const { pids } = await startChain(2);
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    // Takes the non-Linux path on this machine; restored before anything else runs.
    Object.defineProperty(process, 'platform', { ...platform, value: 'darwin' });
    try {
      expect(descendantsOf(pids[0]!)).toEqual(pids.slice(1));
    } finally {
      Object.defineProperty(process, 'platform', platform);
    }
  });
});

describe('killTrees', () => {
  it('signals the descendants and the pid', async () => {
    const { root, pids } = await startChain(3);
    const exited = once(root, 'exit');
    killTrees([{ pid: root.pid!, signal: 'SIGKILL' }]);
    expect(await exited).toEqual([null, 'SIGKILL']);
    await allGone(pids, 2000, 'the signalled tree');
  });

  it('delivers the signal asked for', async () => {
    const { root, pids } = await startChain(1);
    const exited = once(root, 'exit');
    killTrees([{ pid: root.pid!, signal: 'SIGTERM' }]);
    expect(await exited).toEqual([null, 'SIGTERM']);
    await allGone(pids, 2000, 'the signalled tree');
  });

  it('ignores processes that are already gone', async () => {
    const { root } = await startChain(0);
    const exited = once(root, 'exit');
    root.kill('SIGKILL');
    await exited;
    expect(() => killTrees([{ pid: root.pid!, signal: 'SIGKILL' }])).not.toThrow();
  });

  it('signals every tree it is given, each with its own signal, and skips one already gone', async () => {
    const [first, second, gone] = await Promise.all([startChain(2), startChain(1), startChain(0)]);
    const exits = [once(first.root, 'exit'), once(second.root, 'exit')];
    const goneExit = once(gone.root, 'exit');
    gone.root.kill('SIGKILL');
    await goneExit;
    killTrees([
      { pid: first.root.pid!, signal: 'SIGKILL' },
      { pid: gone.root.pid!, signal: 'SIGKILL' },
      { pid: second.root.pid!, signal: 'SIGTERM' },
    ]);
    expect(await Promise.all(exits)).toEqual([
      [null, 'SIGKILL'],
      [null, 'SIGTERM'],
    ]);
    await allGone([...first.pids, ...second.pids], 2000, 'the signalled trees');
  });
});
