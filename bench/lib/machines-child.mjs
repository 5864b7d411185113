// S10, in a process of its own (--expose-gc): the control machine and its worker actors
// alone, on clusterchart's simulated cluster and clock (no processes, no real time).
//  - events/s: facts (cluster.* and worker.* events) fed into the control by 60 rolling
//    restarts of 16 workers, per second of wall time; and every event any actor of the
//    system processed (control + workers), from XState's inspection.
//  - heap per worker actor: heap with 1000 ready workers minus heap with none, / 1000.
import { createRequire } from 'node:module';
import { settlerOf } from './settle.mjs';

const require = createRequire(import.meta.url);
const { createControl, createSimulatedCluster } = require(process.env.BENCH_CLUSTERCHART);

function counted(sim) {
  let facts = 0;
  const port = Object.create(sim);
  port.subscribe = (listener) => sim.subscribe((fact) => (facts++, listener(fact)));
  return { port, facts: () => facts };
}

async function eventsPerSecond({ size = 16, restarts = 60 } = {}) {
  const sim = createSimulatedCluster();
  const { port, facts } = counted(sim);
  let actorEvents = 0;
  const control = createControl({ port, clock: sim.clock, signals: false, size, inspect: (e) => e.type === '@xstate.event' && actorEvents++ });
  const settle = settlerOf(sim);
  await settle(control.start());
  const before = { facts: facts(), actorEvents };
  const t0 = performance.now();
  for (let i = 0; i < restarts; i++) await settle(control.restart());
  const ms = performance.now() - t0;
  control.close();
  return { facts: facts() - before.facts, actorEvents: actorEvents - before.actorEvents, ms };
}

async function heapPerWorker(n = 1000) {
  const measure = async (size) => {
    const sim = createSimulatedCluster();
    const control = createControl({ port: sim, clock: sim.clock, signals: false, size });
    const start = control.start();
    let done = false;
    start.then(() => (done = true));
    while (!done) {
      sim.clock.advance(50);
      await Promise.resolve();
    }
    for (let i = 0; i < 3; i++) global.gc();
    const heap = process.memoryUsage().heapUsed;
    return { heap, control };
  };
  const empty = await measure(0);
  const full = await measure(n);
  const perWorker = (full.heap - empty.heap) / n;
  empty.control.close();
  full.control.close();
  return perWorker;
}

// Warm-up, then the measured runs.
await eventsPerSecond({ restarts: 20 });
const rate = await eventsPerSecond();
const heap = await heapPerWorker();
process.send({
  factsPerSecond: (rate.facts / rate.ms) * 1000,
  actorEventsPerSecond: (rate.actorEvents / rate.ms) * 1000,
  facts: rate.facts,
  heapPerWorker: heap,
});
