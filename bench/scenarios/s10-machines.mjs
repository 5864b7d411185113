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
      ctx.put(id, 'main', 'clusterchart', 'controlEvents', m.controlEventsPerSecond);
      ctx.put(id, 'main', 'clusterchart', 'mailboxEvents', m.mailboxEventsPerSecond);
      ctx.put(id, 'main', 'clusterchart', 'medianControlEvents', m.medianControlEventsPerSecond);
      ctx.put(id, 'main', 'clusterchart', 'heap', m.heapPerWorker);
    } catch (error) {
      ctx.fail(id, 'main', 'clusterchart', error);
    }
  }
}

export function report(ctx) {
  const rows = ctx.data[id]?.main ?? {};
  const facts = med(rows, 'clusterchart', 'facts');
  const events = med(rows, 'clusterchart', 'controlEvents');
  const mailbox = med(rows, 'clusterchart', 'mailboxEvents');
  const median = med(rows, 'clusterchart', 'medianControlEvents');
  const heap = med(rows, 'clusterchart', 'heap');
  const kib = (b) => (b === undefined ? '–' : `${(b / 1024).toFixed(1)} KiB`);
  const perSec = (v) => (v === undefined ? '–' : `${count(Math.round(v))}/s`);
  return {
    markdown: [
      'clusterchart only (no peer has machines). The control machine and its worker actors alone (bench/lib/machines-driver.mjs): no `createControl`, no port, no promises; every fork, disconnect and signal the machines ask for is answered at once with the facts a cluster reports (fork, online, listening, worker.ready; disconnect, exit), fed synchronously; time is XState\'s `SimulatedClock`, which only a canary\'s probation would move (the defaults have none: every replacement at once). 60 rolling restarts of 16 workers per round after a warm-up; the figures are the median of 3 processes, each its fastest of 7 rounds (the one least disturbed by other work on the machine: see the load average above); the median round is in the goal\'s detail. *Facts*: cluster.* and worker.* events fed into the control. *Control events*: every event the control actor processed — from its mailbox (facts, commands, its workers\' notices and done events, delayed events; counted around its logic\'s `transition`, no inspection while timed) plus those it raised for itself (`control.reconcile` after a new target, a timer, a worker becoming ready and an unexpected exit, and `workerExit` after every exit; counted in an untimed round under XState inspection, which also checks the mailbox count against `@xstate.event`). Heap per worker actor: (heap with 1000 ready workers − heap with none) / 1000, after gc.',
      '',
      table(['facts into the control', 'control events', 'of them from the mailbox', 'heap per worker actor'], [[perSec(facts), perSec(events), perSec(mailbox), kib(heap)]]),
    ].join('\n'),
    summary: { figure: `${perSec(events)} control events, ${kib(heap)}/worker`, best: 'n/a (no peer has machines)', ratio: '–' },
    goals: [
      {
        goal: 'S10 at least 50,000 events/s through the control machine',
        met: events === undefined ? null : events >= 50_000,
        detail: `${perSec(events)} control events (${perSec(mailbox)} from its mailbox, ${perSec(facts)} facts; median round ${perSec(median)})`,
      },
      { goal: 'S10 under 10 KiB heap per worker actor', met: heap === undefined ? null : heap < 10 * 1024, detail: kib(heap) },
    ],
  };
}
