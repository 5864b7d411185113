'use strict';
// S7 as it runs, in a fresh primary each time: start 4 workers, grow to 8, shrink to 2, timed
// by node:cluster's own events instead of polling. A bare primary (workers with clusterchart's
// agent) and clusterchart (setSize, agent on), in turn, ROUNDS fresh processes each, medians.
// - 4 → 8: when the first and the last of the four `cluster.fork()` calls start, the time
//   spent inside them (the spawns), when the last new worker listens, the primary's CPU.
// - 8 → 2: when the first and the last of the six `worker.disconnect()` calls happen, when
//   the primary reaps the first and the last of the six (node:cluster's `exit`), its CPU.
//   (S7 itself counts a worker gone once it is a zombie: the reaping is not in its figure.)
// bench/diagnose/shrink.cjs times warm shrinks, many in one process.
// Run after `npm run build`: node bench/diagnose/fresh-resize.cjs [NODE FLAGS FOR THE PRIMARIES]
// (e.g. --no-lazy: the workers get none of them). compile-log.cjs runs one primary of it
// under V8's function log, between the two marks around the shrink.
const cluster = require('node:cluster');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const app = path.join(root, 'bench', 'apps', 'http-plain.cjs');
const ROUNDS = 10;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const listeningOf = (worker) => new Promise((resolve) => worker.once('listening', resolve));

/** Calls of `object[name]`, in ms since `since()`, and how long each took, while since() is set. */
function timeCalls(object, name, since) {
  const calls = [];
  const original = object[name];
  object[name] = function timed(...args) {
    const at = performance.now();
    const result = Reflect.apply(original, this, args);
    if (since() !== undefined) calls.push({ at: at - since(), took: performance.now() - at });
    return result;
  };
  return calls;
}

/** Times `run()` until `done()`: the primary's CPU, with `t0` set meanwhile. */
async function measure(window, run, done) {
  await pause(300);
  const cpu0 = process.cpuUsage();
  window.t0 = performance.now();
  run();
  while (!done()) await pause(1);
  const cpu = process.cpuUsage(cpu0);
  window.t0 = undefined;
  return (cpu.user + cpu.system) / 1000;
}

/** One grow and one shrink in this process: `which` is 'bare' or 'clusterchart'. Prints one JSON line. */
async function resize(which) {
  process.env.PORT = '0';
  const window = { t0: undefined };
  const since = () => window.t0;
  const forks = timeCalls(cluster, 'fork', since);
  const disconnects = timeCalls(cluster.Worker.prototype, 'disconnect', since);
  const listening = [];
  const reaped = [];
  cluster.on('listening', () => window.t0 !== undefined && listening.push(performance.now() - window.t0));
  cluster.on('exit', () => window.t0 !== undefined && reaped.push(performance.now() - window.t0));
  let grow;
  let shrink;
  if (which === 'bare') {
    cluster.setupPrimary({ exec: app, execArgv: ['--require', path.join(root, 'dist', 'worker.cjs')] });
    const workers = Array.from({ length: 4 }, () => cluster.fork());
    await Promise.all(workers.map(listeningOf));
    grow = () => workers.push(...Array.from({ length: 4 }, () => cluster.fork()));
    shrink = () => workers.slice(2).forEach((w) => w.disconnect());
  } else {
    const { createControl } = require(path.join(root, 'dist', 'index.cjs'));
    const control = createControl({ exec: app, size: 4, agent: true, signals: false, execArgv: [] });
    await control.start();
    grow = () => control.setSize(8).catch(() => {});
    shrink = () => control.setSize(2).catch(() => {});
  }
  const growCpu = await measure(window, grow, () => listening.length === 4);
  // Named marks for compile-log.cjs: each shows in V8's function log when it first runs.
  const markedShrink = () => {
    (function shrinkBegins() {})();
    shrink();
  };
  const shrinkCpu = await measure(window, markedShrink, () => reaped.length === 6);
  (function shrinkEnds() {})();
  console.log(
    JSON.stringify({
      forkFirst: forks[0].at,
      forkLast: forks[3].at,
      spawns: forks.reduce((sum, c) => sum + c.took, 0),
      listening: listening[3],
      growCpu,
      disconnectFirst: disconnects[0].at,
      disconnectLast: disconnects[5].at,
      disconnectLongest: Math.max(...disconnects.map((c) => c.took)),
      firstReaped: reaped[0],
      lastReaped: reaped[5],
      shrinkCpu,
    }),
  );
  for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGKILL');
  process.exit(0);
}

if (process.argv[2] === 'bare' || process.argv[2] === 'clusterchart') {
  void resize(process.argv[2]);
} else {
  const primaryFlags = process.argv.slice(2);
  const { execFileSync } = require('node:child_process');
  const runs = { bare: [], clusterchart: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const which of Object.keys(runs)) runs[which].push(JSON.parse(execFileSync(process.execPath, [...primaryFlags, __filename, which], { encoding: 'utf8' })));
  }
  for (const [which, rows] of Object.entries(runs)) {
    const at = (key) => median(rows.map((r) => r[key])).toFixed(1);
    console.log(
      `${which.padEnd(13)} 4 → 8: fork() calls start at ${at('forkFirst')}–${at('forkLast')} ms, ${at('spawns')} ms inside them; last new worker listening at ${at('listening')} ms; primary CPU ${at('growCpu')} ms`,
    );
    console.log(
      `${''.padEnd(13)} 8 → 2: disconnect() calls at ${at('disconnectFirst')}–${at('disconnectLast')} ms, the longest ${at('disconnectLongest')} ms; first reaped at ${at('firstReaped')} ms, last at ${at('lastReaped')} ms; primary CPU ${at('shrinkCpu')} ms`,
    );
  }
  console.log(`(medians of ${ROUNDS} fresh processes each${primaryFlags.length > 0 ? `, primaries run with ${primaryFlags.join(' ')}` : ''})`);
}
