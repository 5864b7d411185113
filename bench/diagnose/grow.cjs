'use strict';
// S7's 4 → 8, timed by node:cluster's own events in a fresh primary each time (as S7 runs
// it): when the first and the last of the four `cluster.fork()` calls start, the time spent
// inside them (the spawns), when the last new worker listens, and the primary's CPU until
// then. A bare primary (workers with clusterchart's agent) and clusterchart's setSize(8)
// with the agent, in turn, ROUNDS times each (medians).
// Run after `npm run build`: node bench/diagnose/grow.cjs
const cluster = require('node:cluster');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const app = path.join(root, 'bench', 'apps', 'http-plain.cjs');
const ROUNDS = 8;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** One grow in this process: `which` is 'bare' or 'clusterchart'. Prints one JSON line. */
async function grow(which) {
  process.env.PORT = '0';
  let t0;
  const calls = [];
  const fork = cluster.fork;
  cluster.fork = function timed(...args) {
    const at = performance.now();
    const worker = Reflect.apply(fork, this, args);
    if (t0 !== undefined) calls.push({ at: at - t0, took: performance.now() - at });
    return worker;
  };
  const listening = [];
  cluster.on('listening', () => t0 !== undefined && listening.push(performance.now() - t0));
  let growTo;
  if (which === 'bare') {
    cluster.setupPrimary({ exec: app, execArgv: ['--require', path.join(root, 'dist', 'worker.cjs')] });
    const first = Array.from({ length: 4 }, () => cluster.fork());
    await Promise.all(first.map((w) => new Promise((resolve) => w.once('listening', resolve))));
    growTo = () => Array.from({ length: 4 }, () => cluster.fork());
  } else {
    const { createControl } = require(path.join(root, 'dist', 'index.cjs'));
    const control = createControl({ exec: app, size: 4, agent: true, signals: false });
    await control.start();
    growTo = () => control.setSize(8).catch(() => {});
  }
  await pause(300);
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  growTo();
  while (listening.length < 4) await pause(1);
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      first: calls[0].at,
      last: calls[3].at,
      spawns: calls.reduce((sum, c) => sum + c.took, 0),
      listening: listening[3],
      cpu: (cpu.user + cpu.system) / 1000,
    }),
  );
  for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGKILL');
  process.exit(0);
}

if (process.argv[2] !== undefined) {
  void grow(process.argv[2]);
} else {
  const { execFileSync } = require('node:child_process');
  const runs = { bare: [], clusterchart: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const which of Object.keys(runs)) runs[which].push(JSON.parse(execFileSync(process.execPath, [__filename, which], { encoding: 'utf8' })));
  }
  for (const [which, rows] of Object.entries(runs)) {
    const at = (key) => median(rows.map((r) => r[key])).toFixed(1);
    console.log(
      `${which.padEnd(13)} 4 → 8: fork() calls start at ${at('first')}–${at('last')} ms, ${at('spawns')} ms inside them; last new worker listening at ${at('listening')} ms; primary CPU ${at('cpu')} ms (medians of ${ROUNDS})`,
    );
  }
}
