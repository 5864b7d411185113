// S10, in a process of its own (--expose-gc): the control machine and its worker actors
// alone (bench/lib/machines-driver.mjs: no createControl, no port, no promises; facts fed
// synchronously, time on XState's SimulatedClock).
//  - events/s: 60 rolling restarts of 16 workers per round, after a warm-up; the fastest of
//    7 rounds (the one least disturbed by other work on the machine), and their median. *Facts*: cluster.* and worker.* events fed into the control. *Control events*:
//    every event the control actor processed: those from its mailbox (facts, commands, its
//    workers' notices and done events, delayed events; counted around its logic's
//    `transition`, no inspection while timed) and those it raised for itself
//    (`control.reconcile` after a new target, a timer, a worker becoming ready and an
//    unexpected exit, `control.workerExit` after every exit; counted in one
//    untimed round under XState inspection, which also checks the mailbox count against
//    `@xstate.event`).
//  - heap per worker actor: heap with 1000 ready workers minus heap with none, / 1000.
import { heapPerWorker, inspectedRestarts, loadMachines, timedRestarts } from './machines-driver.mjs';

const m = loadMachines(process.env.BENCH_CLUSTERCHART);
const workload = { size: 16, restarts: 60 };

timedRestarts(m, { ...workload, restarts: 20 });
const rounds = Array.from({ length: 7 }, () => timedRestarts(m, workload));
const inspected = inspectedRestarts(m, workload);
const { facts, processed } = rounds[0];
if (rounds.some((r) => r.processed !== processed) || inspected.processed !== processed || inspected.relayed !== processed) {
  throw new Error(`S10: mailbox events per round ${rounds.map((r) => r.processed)}, under inspection ${inspected.processed}, @xstate.event ${inspected.relayed}`);
}
const times = rounds.map((r) => r.ms).sort((a, b) => a - b);
const [ms] = times;
const medianMs = times[Math.floor(times.length / 2)];
const heap = heapPerWorker(m);
process.send({
  factsPerSecond: (facts / ms) * 1000,
  controlEventsPerSecond: ((processed + inspected.raised) / ms) * 1000,
  mailboxEventsPerSecond: (processed / ms) * 1000,
  medianControlEventsPerSecond: ((processed + inspected.raised) / medianMs) * 1000,
  facts,
  mailboxEvents: processed,
  raisedEvents: inspected.raised,
  heapPerWorker: heap,
});
