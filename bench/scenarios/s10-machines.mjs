/** S10: the machines alone (bench/lib/machines-child.mjs): events/s and heap per worker actor. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { count } from '../lib/stats.mjs';
import { med, table } from '../lib/table.mjs';

export const id = 'S10';
export const title = 'the machines alone';

function measure(clusterchart) {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('../lib/machines-child.mjs', import.meta.url)), [], {
      execArgv: ['--expose-gc'],
      env: { ...process.env, BENCH_CLUSTERCHART: clusterchart },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`machines-child exited ${code}`));
    });
  });
}

export async function run(ctx) {
  for (let r = 1; r <= ctx.runs; r++) {
    ctx.step({ tool: 'clusterchart', run: r, runs: ctx.runs });
    try {
      const m = await measure(ctx.clusterchart);
      ctx.put(id, 'main', 'clusterchart', 'facts', m.factsPerSecond);
      ctx.put(id, 'main', 'clusterchart', 'actorEvents', m.actorEventsPerSecond);
      ctx.put(id, 'main', 'clusterchart', 'heap', m.heapPerWorker);
    } catch (error) {
      ctx.fail(id, 'main', 'clusterchart', error);
    }
  }
}

export function report(ctx) {
  const rows = ctx.data[id]?.main ?? {};
  const facts = med(rows, 'clusterchart', 'facts');
  const events = med(rows, 'clusterchart', 'actorEvents');
  const heap = med(rows, 'clusterchart', 'heap');
  const kib = (b) => (b === undefined ? '–' : `${(b / 1024).toFixed(1)} KiB`);
  const perSec = (v) => (v === undefined ? '–' : `${count(Math.round(v))}/s`);
  return {
    markdown: [
      'clusterchart only (no peer has machines). On the simulated cluster and clock: 60 rolling restarts of 16 workers after a warm-up. *Facts*: cluster.* and worker.* events fed into the control machine; *actor events*: every event processed by any actor (control and workers), counted by XState inspection. Heap per worker actor: (heap with 1000 ready workers − heap with none) / 1000, after gc.',
      '',
      table(['facts into the control', 'actor events', 'heap per worker actor'], [[perSec(facts), perSec(events), kib(heap)]]),
    ].join('\n'),
    summary: { figure: `${perSec(facts)} facts, ${kib(heap)}/worker`, best: 'n/a (no peer has machines)', ratio: '–' },
    goals: [
      { goal: 'S10 at least 50,000 events/s through the control machine', met: facts === undefined ? null : facts >= 50_000, detail: `${perSec(facts)} facts (${perSec(events)} actor events)` },
      { goal: 'S10 under 10 KiB heap per worker actor', met: heap === undefined ? null : heap < 10 * 1024, detail: kib(heap) },
    ],
  };
}
