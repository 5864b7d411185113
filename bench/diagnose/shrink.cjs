'use strict';
// S7's 8 → 2, timed by exit events instead of polling the process table: a bare node:cluster
// primary that disconnects the six extra workers, against clusterchart's setSize(2) with the
// agent on and off. 12 shrinks each, medians. Also how long clusterchart takes to issue the six
// disconnects (the synchronous part of setSize(2)).
// Run after `npm run build`: node bench/diagnose/shrink.cjs
const cluster = require('node:cluster');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const app = path.join(root, 'bench', 'apps', 'http-plain.cjs');
const ROUNDS = 12;
process.env.PORT = '0';
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const exitOf = (worker) => new Promise((resolve) => worker.once('exit', resolve));
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function bare() {
  cluster.setupPrimary({ exec: app });
  const times = [];
  for (let round = 0; round < ROUNDS; round++) {
    const workers = Array.from({ length: 8 }, () => cluster.fork());
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('listening', resolve))));
    await pause(100);
    const extra = workers.slice(2);
    const t0 = performance.now();
    const gone = Promise.all(extra.map(exitOf));
    for (const w of extra) w.disconnect();
    await gone;
    times.push(performance.now() - t0);
    await Promise.all(workers.slice(0, 2).map((w) => (w.kill(), exitOf(w))));
  }
  return { times };
}

async function withClusterchart(agent) {
  const { createControl } = require(path.join(root, 'dist', 'index.cjs'));
  const control = createControl({ exec: app, size: 2, agent, signals: false });
  await control.start();
  const times = [];
  const issuing = [];
  for (let round = 0; round < ROUNDS; round++) {
    await control.setSize(8);
    await pause(100);
    let exits = 0;
    const gone = new Promise((resolve) => {
      const onExit = () => ++exits === 6 && (control.off('exit', onExit), resolve());
      control.on('exit', onExit);
    });
    const t0 = performance.now();
    const resized = control.setSize(2);
    issuing.push(performance.now() - t0);
    await resized;
    await gone;
    times.push(performance.now() - t0);
  }
  await control.stop();
  control.close();
  return { times, issuing };
}

(async () => {
  const which = process.argv[2];
  if (which === undefined) {
    // Each variant in a process of its own: node:cluster is process-wide.
    const { execFileSync } = require('node:child_process');
    for (const variant of ['bare', 'agent', 'no-agent']) process.stdout.write(execFileSync(process.execPath, [__filename, variant], { encoding: 'utf8' }));
    return;
  }
  const { times, issuing } = which === 'bare' ? await bare() : await withClusterchart(which === 'agent');
  const label = { bare: 'bare node:cluster primary', agent: 'clusterchart, agent on', 'no-agent': 'clusterchart, agent off' }[which];
  const issued = issuing ? `; six disconnects issued in ${median(issuing).toFixed(1)} ms` : '';
  console.log(`${label.padEnd(26)} 8 → 2 in ${median(times).toFixed(1)} ms (median of ${ROUNDS}; ${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms)${issued}`);
  process.exit(0);
})();
