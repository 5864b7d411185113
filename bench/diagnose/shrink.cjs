'use strict';
// S7's 8 → 2, timed by exit events instead of polling the process table, 12 shrinks each
// (medians): when the first and the last of the six `worker.disconnect()` calls happen, when
// the last of the six has exited, and the CPU the primary spent meanwhile (it competes with
// the six exiting processes for the cores).
// - A bare node:cluster primary disconnects the six extra workers, with three kinds of worker
//   in turn, round by round: the plain app, which ends when its event loop empties (Node then
//   tears down its environment); the same app with a preload that calls process.exit() from
//   `beforeExit`, the agent's way to end a drained worker (no teardown); the app with
//   clusterchart's agent.
// - clusterchart's setSize(2), with the agent on and off.
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

/** Every `worker.disconnect()` call, by performance.now(). */
const calls = [];
const disconnect = cluster.Worker.prototype.disconnect;
cluster.Worker.prototype.disconnect = function timed(...args) {
  calls.push(performance.now());
  return Reflect.apply(disconnect, this, args);
};

/** One shrink: `shrink()` starts it and resolves when the six are gone. */
async function timeShrink(shrink) {
  calls.length = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await shrink();
  const cpu = process.cpuUsage(cpu0);
  return { gone: performance.now() - t0, first: calls[0] - t0, last: calls[calls.length - 1] - t0, cpu: (cpu.user + cpu.system) / 1000 };
}

/** The bare primary's kinds of worker: their execArgv. */
const kinds = {
  'bare primary, plain workers': [],
  'bare primary, workers end at beforeExit': ["--import=data:text/javascript,process.on('beforeExit',()=>process.exit())"],
  'bare primary, workers with the agent': ['--require', path.join(root, 'dist', 'worker.cjs')],
};

/** Rounds per kind of worker, the kinds in turn so that a busy moment hits them alike. */
async function bare() {
  const rounds = Object.fromEntries(Object.keys(kinds).map((kind) => [kind, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [kind, execArgv] of Object.entries(kinds)) {
      cluster.setupPrimary({ exec: app, execArgv });
      const workers = Array.from({ length: 8 }, () => cluster.fork());
      await Promise.all(workers.map((w) => new Promise((resolve) => w.once('listening', resolve))));
      await pause(100);
      const extra = workers.slice(2);
      rounds[kind].push(
        await timeShrink(() => {
          const gone = Promise.all(extra.map(exitOf));
          for (const w of extra) w.disconnect();
          return gone;
        }),
      );
      await Promise.all(workers.slice(0, 2).map((w) => (w.kill(), exitOf(w))));
    }
  }
  return rounds;
}

async function withClusterchart(agent) {
  const { createControl } = require(path.join(root, 'dist', 'index.cjs'));
  const control = createControl({ exec: app, size: 2, agent, signals: false });
  await control.start();
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    await control.setSize(8);
    await pause(100);
    rounds.push(
      await timeShrink(() => {
        let exits = 0;
        const gone = new Promise((resolve) => {
          const onExit = () => ++exits === 6 && (control.off('exit', onExit), resolve());
          control.on('exit', onExit);
        });
        return Promise.all([control.setSize(2), gone]);
      }),
    );
  }
  await control.stop();
  control.close();
  return rounds;
}

(async () => {
  const which = process.argv[2];
  if (which === undefined) {
    // Each variant in a process of its own: node:cluster is process-wide.
    const { execFileSync } = require('node:child_process');
    for (const variant of ['bare', 'agent', 'no-agent']) process.stdout.write(execFileSync(process.execPath, [__filename, variant], { encoding: 'utf8' }));
    return;
  }
  const results = which === 'bare' ? await bare() : { [which === 'agent' ? 'clusterchart, agent on' : 'clusterchart, agent off']: await withClusterchart(which === 'agent') };
  for (const [label, rounds] of Object.entries(results)) {
    const at = (key) => median(rounds.map((r) => r[key])).toFixed(1);
    const gone = rounds.map((r) => r.gone);
    console.log(
      `${label.padEnd(40)} 8 → 2 in ${at('gone')} ms (${Math.min(...gone).toFixed(0)}–${Math.max(...gone).toFixed(0)} ms); disconnects at ${at('first')}–${at('last')} ms; primary CPU ${at('cpu')} ms (medians of ${ROUNDS})`,
    );
  }
  process.exit(0);
})();
