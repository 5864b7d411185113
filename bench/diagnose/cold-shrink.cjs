'use strict';
// S7's 8 → 2 as S7 meets it: in a fresh primary that started 4 workers and grew to 8, the
// first shrink, timed by node:cluster's own events: when the first and the last of the six
// `worker.disconnect()` calls happen, when the primary reaps the first and the last of the
// six (node:cluster's `exit`), and the primary's CPU until then. A bare primary (workers with
// clusterchart's agent) and clusterchart's setSize(2) with the agent, in turn, ROUNDS fresh
// processes each (medians). bench/diagnose/shrink.cjs times warm shrinks, many in one process.
// Run after `npm run build`: node bench/diagnose/cold-shrink.cjs
const cluster = require('node:cluster');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const app = path.join(root, 'bench', 'apps', 'http-plain.cjs');
const ROUNDS = 10;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const listeningOf = (worker) => new Promise((resolve) => worker.once('listening', resolve));

/** One shrink in this process: `which` is 'bare' or 'clusterchart'. Prints one JSON line. */
async function shrink(which) {
  process.env.PORT = '0';
  let t0;
  const calls = [];
  const disconnect = cluster.Worker.prototype.disconnect;
  cluster.Worker.prototype.disconnect = function timed(...args) {
    if (t0 !== undefined) calls.push(performance.now() - t0);
    return Reflect.apply(disconnect, this, args);
  };
  const reaped = [];
  cluster.on('exit', () => t0 !== undefined && reaped.push(performance.now() - t0));
  let shrinkTo;
  if (which === 'bare') {
    cluster.setupPrimary({ exec: app, execArgv: ['--require', path.join(root, 'dist', 'worker.cjs')] });
    const workers = Array.from({ length: 4 }, () => cluster.fork());
    await Promise.all(workers.map(listeningOf));
    await pause(300);
    const more = Array.from({ length: 4 }, () => cluster.fork());
    await Promise.all(more.map(listeningOf));
    workers.push(...more);
    shrinkTo = () => workers.slice(2).forEach((w) => w.disconnect());
  } else {
    const { createControl } = require(path.join(root, 'dist', 'index.cjs'));
    const control = createControl({ exec: app, size: 4, agent: true, signals: false });
    await control.start();
    await pause(300);
    await control.setSize(8);
    shrinkTo = () => control.setSize(2).catch(() => {});
  }
  await pause(300);
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  shrinkTo();
  while (reaped.length < 6) await pause(1);
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ first: calls[0], last: calls[5], firstReaped: reaped[0], lastReaped: reaped[5], cpu: (cpu.user + cpu.system) / 1000 }));
  for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGKILL');
  process.exit(0);
}

if (process.argv[2] !== undefined) {
  void shrink(process.argv[2]);
} else {
  const { execFileSync } = require('node:child_process');
  const runs = { bare: [], clusterchart: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const which of Object.keys(runs)) runs[which].push(JSON.parse(execFileSync(process.execPath, [__filename, which], { encoding: 'utf8' })));
  }
  for (const [which, rows] of Object.entries(runs)) {
    const at = (key) => median(rows.map((r) => r[key])).toFixed(1);
    console.log(
      `${which.padEnd(13)} 8 → 2: disconnect() calls at ${at('first')}–${at('last')} ms; first reaped at ${at('firstReaped')} ms, last at ${at('lastReaped')} ms; primary CPU ${at('cpu')} ms (medians of ${ROUNDS})`,
    );
  }
}
