'use strict';
// What the end of a worker costs S7's 8 → 2: a bare node:cluster primary disconnects six of
// eight workers of bench/apps/http-plain.cjs and waits for their exits, 20 rounds, the three
// kinds of worker in turn (medians):
// - plain: the app alone, which ends when its event loop empties (Node then tears down its
//   environment);
// - ends at beforeExit: the same app with a preload that calls process.exit() from
//   `beforeExit`, the agent's way to end a drained worker (the teardown is skipped);
// - agent: the app with clusterchart's agent (dist/worker.cjs), as `clusterchart run` has it.
// Run after `npm run build`: node bench/diagnose/exit-cost.cjs
const cluster = require('node:cluster');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const ROUNDS = 20;
process.env.PORT = '0';
const kinds = {
  plain: [],
  'ends at beforeExit': ["--import=data:text/javascript,process.on('beforeExit',()=>process.exit())"],
  agent: ['--require', path.join(root, 'dist', 'worker.cjs')],
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const exitOf = (worker) => new Promise((resolve) => worker.once('exit', resolve));
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

(async () => {
  const times = Object.fromEntries(Object.keys(kinds).map((kind) => [kind, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [kind, execArgv] of Object.entries(kinds)) {
      cluster.setupPrimary({ exec: path.join(root, 'bench', 'apps', 'http-plain.cjs'), execArgv });
      const workers = Array.from({ length: 8 }, () => cluster.fork());
      await Promise.all(workers.map((w) => new Promise((resolve) => w.once('listening', resolve))));
      await pause(100);
      const t0 = performance.now();
      const gone = Promise.all(workers.slice(2).map(exitOf));
      for (const w of workers.slice(2)) w.disconnect();
      await gone;
      times[kind].push(performance.now() - t0);
      await Promise.all(workers.slice(0, 2).map((w) => (w.kill(), exitOf(w))));
    }
  }
  for (const [kind, ms] of Object.entries(times)) {
    console.log(`${kind.padEnd(20)} 8 → 2 in ${median(ms).toFixed(1)} ms (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)} ms; medians of ${ROUNDS})`);
  }
  process.exit(0);
})();
