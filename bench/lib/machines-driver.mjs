// S10's driver: the control machine and its worker actors alone. No createControl, no port,
// no promises: one XState actor of `controlMachine` (its worker actors spawned by it), whose
// effects only queue the facts a cluster would answer with, fed back synchronously.
//  - fork → cluster.fork, cluster.online, cluster.listening, worker.ready (as the simulated
//    cluster reports them; readyOn 'listening' makes the worker ready on `listening`)
//  - disconnect → cluster.disconnect, cluster.exit (code 0)
//  - signal → cluster.disconnect, cluster.exit (the signal)
// Time is XState's SimulatedClock: it moves only when nothing is left to feed and the
// rollout waits for a delay (a canary's restartProbation; none at the defaults).
import { createRequire } from 'node:module';

/** `lib`: the path of clusterchart's CommonJS build (dist/index.cjs or the bench's copy). */
export function loadMachines(lib) {
  const require = createRequire(lib);
  const { controlMachine, workerMachine, normalizeSettings } = require(lib);
  // The xstate clusterchart itself resolves, so that the clock and actors are of one copy.
  const { createActor, SimulatedClock } = createRequire(require.resolve(lib))('xstate');
  return { controlMachine, workerMachine, normalizeSettings, createActor, SimulatedClock };
}

/**
 * A started control actor of `size` workers on a simulated clock. `facts` counts the facts
 * fed, `commands` the commands sent, `processed` every event the control actor processed
 * (its logic's `transition` runs once per event taken from its mailbox: facts, commands,
 * worker notices, done events of workers, delayed events; raised events are handled inside
 * that call and are not counted).
 */
export function createMachinesDriver(m, { size, inspect } = {}) {
  const settings = m.normalizeSettings({ size }, 2);
  const clock = new m.SimulatedClock();
  const queue = [];
  let head = 0;
  /** Processes that have not had their exit queued yet. */
  const live = new Set();
  let nextPid = 1000;
  const counts = { facts: 0, commands: 0, processed: 0, emitted: 0 };
  const leave = (id, code, signal) => {
    if (!live.delete(id)) return;
    queue.push({ type: 'cluster.disconnect', id }, { type: 'cluster.exit', id, code, signal });
  };
  const machine = m.controlMachine.provide({
    actors: {
      worker: m.workerMachine.provide({
        actions: {
          fork: (_, { id }) => {
            live.add(id);
            queue.push(
              { type: 'cluster.fork', id, pid: nextPid++ },
              { type: 'cluster.online', id },
              { type: 'cluster.listening', id, address: { port: 8000 } },
              { type: 'worker.ready', id },
            );
          },
          disconnect: (_, { id }) => leave(id, 0, null),
          signal: (_, { id, signal }) => leave(id, null, signal),
        },
      }),
    },
    actions: { adopt: () => {} },
  });
  const transition = machine.transition.bind(machine);
  machine.transition = (snapshot, event, scope) => {
    counts.processed++;
    return transition(snapshot, event, scope);
  };
  const actor = m.createActor(machine, { input: { settings }, clock, ...(inspect ? { inspect } : {}) });
  // The runtime listens to every emitted event; so does the driver (it only counts them).
  actor.on('*', () => counts.emitted++);
  actor.start();

  /** Feeds every queued fact (and those they lead to), stamped with the clock's instant. */
  const drain = () => {
    while (head < queue.length) {
      const fact = queue[head];
      queue[head++] = undefined;
      fact.at = clock.now();
      counts.facts++;
      actor.send(fact);
    }
    queue.length = head = 0;
  };
  const command = (event) => {
    counts.commands++;
    actor.send(event);
    drain();
  };
  const running = () => actor.getSnapshot().value.running;
  return {
    actor,
    counts,
    /** Starts the control and feeds facts until `size` workers are ready. */
    start() {
      command({ type: 'control.start' });
      if (running()?.size !== 'steady') throw new Error(`S10 driver: not at size after start (${JSON.stringify(actor.getSnapshot().value)})`);
    },
    /** One rolling restart, to its end: facts fed, probation waited out on the clock. */
    restart() {
      command({ type: 'control.restart' });
      for (let waits = 0; running()?.rollout !== 'idle'; waits++) {
        if (waits > 2) throw new Error(`S10 driver: the rollout does not end (${JSON.stringify(actor.getSnapshot().value)})`);
        clock.increment(settings.restartProbation);
        drain();
      }
    },
    stop() {
      actor.stop();
    },
  };
}

/**
 * Rolling restarts of `size` workers, timed (no inspection). Returns the counts of the timed
 * part and its wall time.
 */
export function timedRestarts(m, { size = 16, restarts = 60 } = {}) {
  const driver = createMachinesDriver(m, { size });
  driver.start();
  const before = { ...driver.counts };
  const t0 = performance.now();
  for (let i = 0; i < restarts; i++) driver.restart();
  const ms = performance.now() - t0;
  const { counts } = driver;
  const result = {
    ms,
    facts: counts.facts - before.facts,
    commands: counts.commands - before.commands,
    processed: counts.processed - before.processed,
    emitted: counts.emitted - before.emitted,
  };
  driver.stop();
  return result;
}

/** The events the control raises for itself (never sent to it: they are not in its mailbox). */
const internalEvents = new Set(['control.reconcile', 'control.workerExit', 'control.giveUp']);

/**
 * The same rolling restarts, untimed, under XState inspection: the events inspection reports
 * for the control actor (`@xstate.event` to it), which the timed counter must equal, and the
 * events raised inside the control: each is taken in a microstep of its own (an eventless
 * microstep that follows carries the same event, but only transitions without an event).
 */
export function inspectedRestarts(m, { size = 16, restarts = 60 } = {}) {
  let control;
  let counting = false;
  let relayed = 0;
  let raised = 0;
  const inspect = (e) => {
    if (!counting || e.actorRef !== control) return;
    if (e.type === '@xstate.event') relayed++;
    else if (e.type === '@xstate.microstep' && internalEvents.has(e.event.type)) {
      const eventless = e._transitions.length > 0 && e._transitions.every((t) => t.eventType === '');
      if (!eventless) raised++;
    }
  };
  const driver = createMachinesDriver(m, { size, inspect });
  control = driver.actor;
  driver.start();
  const before = driver.counts.processed;
  counting = true;
  for (let i = 0; i < restarts; i++) driver.restart();
  const processed = driver.counts.processed - before;
  driver.stop();
  return { relayed, processed, raised };
}

/** Heap with `n` ready worker actors minus heap with none, per worker (needs --expose-gc). */
export function heapPerWorker(m, n = 1000) {
  const measure = (size) => {
    const driver = createMachinesDriver(m, { size });
    driver.start();
    for (let i = 0; i < 3; i++) global.gc();
    return { heap: process.memoryUsage().heapUsed, driver };
  };
  const empty = measure(0);
  const full = measure(n);
  const perWorker = (full.heap - empty.heap) / n;
  empty.driver.stop();
  full.driver.stop();
  return perWorker;
}
