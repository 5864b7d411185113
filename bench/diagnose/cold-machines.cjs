'use strict';
// The machines alone in a fresh process, as S7 meets them: a control on the simulated cluster
// (no processes) starts 4 workers, grows to 8, shrinks to 2, grows to 8 and shrinks to 2
// again. Per fresh process: the CPU of the first grow, the first and the second shrink, and
// in the first shrink the time the control's actor takes over each of the six exit facts
// (ROUNDS fresh processes, medians). One more process counts the control's microsteps in the
// first shrink with an XState inspection observer (which slows every step, so it is not timed). Extra node flags go to the children: node bench/diagnose/cold-machines.cjs --no-lazy
// Run after `npm run build`: node bench/diagnose/cold-machines.cjs
const path = require('node:path');

const ROUNDS = 25;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function once(count) {
  const { createControl, createSimulatedCluster } = require(path.join(__dirname, '..', '..', 'dist', 'index.cjs'));
  const sim = createSimulatedCluster({});
  let counting = false;
  let microsteps = 0;
  const inspect = (event) => {
    if (counting && event.type === '@xstate.microstep' && event.actorRef === control.actor) microsteps++;
  };
  const control = createControl({ size: 4, port: sim, clock: sim.clock, signals: false, agent: true, ...(count ? { inspect } : {}) });
  control.on('exit', () => {});
  // The time each exit fact takes inside the control's actor (its step, the worker actor's,
  // and the done event's), while `counting`.
  const exits = [];
  const send = control.actor.send.bind(control.actor);
  control.actor.send = (event) => {
    const start = performance.now();
    send(event);
    if (counting && event.type === 'cluster.exit') exits.push(performance.now() - start);
  };
  // As a real caller: await each call while the simulated clock moves on.
  const settle = async (promise) => {
    for (let i = 0; i < 20; i++) {
      sim.clock.advance(5);
      await null;
    }
    await promise;
    await null;
  };
  const cpu = async (fn) => {
    const start = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
  await settle(control.start());
  const grow = await cpu(() => settle(control.setSize(8)));
  counting = true;
  const shrink = await cpu(() => settle(control.setSize(2)));
  counting = false;
  await settle(control.setSize(8));
  const second = await cpu(() => settle(control.setSize(2)));
  const sum = exits.reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({ grow, shrink, second, microsteps, exits: sum, firstExit: exits[0], lastExit: exits.at(-1) }));
  control.close();
}

if (process.argv.includes('--child')) {
  void once(process.argv.includes('--count'));
} else {
  const { execFileSync } = require('node:child_process');
  const flags = process.argv.slice(2);
  const child = (...args) => JSON.parse(execFileSync(process.execPath, [...flags, __filename, '--child', ...args], { encoding: 'utf8' }));
  const runs = Array.from({ length: ROUNDS }, () => child());
  const { microsteps } = child('--count');
  const at = (key) => median(runs.map((r) => r[key])).toFixed(2);
  console.log(
    `fresh process${flags.length > 0 ? ` (${flags.join(' ')})` : ''}: 4 → 8 ${at('grow')} ms of CPU; 8 → 2 ${at('shrink')} ms, again ${at('second')} ms; control microsteps in the first 8 → 2: ${microsteps} (CPU: medians of ${ROUNDS})`,
  );
  console.log(`  the six exit facts of the first 8 → 2 take ${at('exits')} ms in the control's actor: the first ${at('firstExit')} ms, the last ${at('lastExit')} ms`);
}
