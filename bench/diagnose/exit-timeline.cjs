'use strict';
// Where one worker's end goes, for S7's 8 → 2: a bare node:cluster primary calls
// `worker.disconnect()` on one idle worker of bench/apps/http-plain.cjs at a time (no other
// work on the machine from this script), and the worker stamps, on the same clock:
//   msg       node:cluster's disconnect message reaches the worker;
//   handled   every listener of that message has run (the agent's, then node:cluster's);
//   disc      the worker's IPC channel is closed;
//   exit      its `exit` event (absent for the SIGKILL kind);
//   reaped    the primary's `exit` event for it (the process is gone and reaped).
// ms from the disconnect() call, and the worker's CPU from `msg` to its `exit` event (to its
// SIGKILL for that kind): what six leaving workers compete for on two cores. Medians of
// ROUNDS, for four kinds of worker in turn: plain (Node ends it when its loop empties, with
// its teardown), ending at `beforeExit` with process.exit() (no teardown: the agent's way),
// ending at `beforeExit` with a SIGKILL to itself (no exit code: what the agent does not do),
// and with clusterchart's agent. All of them are preloaded with --require, as the agent is.
// Run after `npm run build`: node bench/diagnose/exit-timeline.cjs
const cluster = require('node:cluster');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROUNDS = 40;
const now = () => performance.timeOrigin + performance.now();

if (cluster.isWorker) {
  // Preloaded into the workers (--require this file). Stamps are kept in memory and written
  // once, at the end, so that writing them does not slow the end down. END=exit or END=kill
  // ends the worker at `beforeExit` (not with the agent: a beforeExit listener of ours would
  // keep the agent from ending the worker there).
  const marks = [];
  const mark = (name) => marks.push(`${name} ${now()}`);
  let cpuAtMessage;
  const write = () => {
    const cpu = process.cpuUsage(cpuAtMessage);
    marks.push(`cpu ${(cpu.user + cpu.system) / 1000}`);
    fs.writeFileSync(path.join(process.env.STAMPS, String(process.pid)), marks.join('\n'));
  };
  const isDisconnect = (message) => message?.cmd === 'NODE_CLUSTER' && message.act === 'disconnect';
  // Prepended once the app and the agent are loaded, so it runs first; appended, last.
  setImmediate(() => {
    process.prependListener('internalMessage', (message) => {
      if (!isDisconnect(message)) return;
      cpuAtMessage = process.cpuUsage();
      mark('msg');
    });
    process.on('internalMessage', (message) => isDisconnect(message) && mark('handled'));
  });
  process.on('disconnect', () => mark('disc'));
  if (process.env.END === 'exit') process.on('beforeExit', () => process.exit());
  if (process.env.END === 'kill') {
    process.on('beforeExit', () => {
      write();
      process.kill(process.pid, 'SIGKILL');
    });
  }
  process.on('exit', () => {
    mark('exit');
    write();
  });
} else {
  const root = path.join(__dirname, '..', '..');
  const stamp = ['--require', __filename];
  /** Per kind: the workers' execArgv and env. */
  const kinds = {
    'plain (Node tears down)': [stamp, {}],
    'process.exit() at beforeExit': [stamp, { END: 'exit' }],
    'SIGKILL to itself at beforeExit': [stamp, { END: 'kill' }],
    "clusterchart's agent": [['--require', path.join(root, 'dist', 'worker.cjs'), ...stamp], {}],
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const stamps = fs.mkdtempSync(path.join(os.tmpdir(), 'exit-timeline-'));
  process.env.STAMPS = stamps;
  process.env.PORT = '0';

  (async () => {
    const results = Object.fromEntries(Object.keys(kinds).map((kind) => [kind, {}]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [kind, [execArgv, env]] of Object.entries(kinds)) {
        cluster.setupPrimary({ exec: path.join(root, 'bench', 'apps', 'http-plain.cjs'), execArgv });
        const worker = cluster.fork(env);
        await new Promise((resolve) => worker.once('listening', resolve));
        await pause(150);
        const gone = new Promise((resolve) => worker.once('exit', resolve));
        const t0 = now();
        worker.disconnect();
        await gone;
        const reaped = now();
        const file = path.join(stamps, String(worker.process.pid));
        const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
        fs.unlinkSync(file);
        for (const [name, value] of lines.map((line) => line.split(' '))) {
          (results[kind][name] ??= []).push(name === 'cpu' ? Number(value) : Number(value) - t0);
        }
        (results[kind].reaped ??= []).push(reaped - t0);
      }
    }
    fs.rmSync(stamps, { recursive: true, force: true });
    for (const [kind, { cpu, ...marks }] of Object.entries(results)) {
      const line = Object.entries(marks).map(([mark, times]) => `${mark} ${median(times).toFixed(2)}`);
      console.log(`${kind.padEnd(34)} ${line.join('  ')}; CPU from msg ${median(cpu).toFixed(2)} ms (medians of ${ROUNDS})`);
    }
  })();
}
