'use strict';
// Where one worker's end goes, for S7's 8 → 2: a bare node:cluster primary calls
// `worker.disconnect()` on one idle worker of bench/apps/http-plain.cjs at a time (no other
// work on the machine from this script), and the worker stamps, on the same clock:
//   msg       node:cluster's disconnect message reaches the worker;
//   handled   every listener of that message has run (the agent's, then node:cluster's);
//   disc      the worker's IPC channel is closed;
//   exit      its `exit` event (absent for the SIGKILL kind);
//   reaped    the primary's `exit` event for it (the process is gone and reaped).
// ms from the disconnect() call, medians of ROUNDS, for four kinds of worker in turn: plain
// (Node ends it when its loop empties, with its teardown), ending at `beforeExit` with
// process.exit() (no teardown: the agent's way), ending at `beforeExit` with a SIGKILL to
// itself (no exit code: what the agent does not do), and with clusterchart's agent.
// Run after `npm run build`: node bench/diagnose/exit-timeline.cjs
const cluster = require('node:cluster');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROUNDS = 40;
const now = () => performance.timeOrigin + performance.now();

if (cluster.isWorker) {
  // Preloaded into the workers (--require this file): each stamp is appended to a file as it
  // happens (a worker that SIGKILLs itself has no exit event; a beforeExit listener here
  // would keep the agent from ending the worker there).
  const file = path.join(process.env.STAMPS, String(process.pid));
  const mark = (name) => fs.appendFileSync(file, `${name} ${now()}\n`);
  const isDisconnect = (message) => message?.cmd === 'NODE_CLUSTER' && message.act === 'disconnect';
  // Prepended once the app and the agent are loaded, so it runs first; appended, last.
  setImmediate(() => {
    process.prependListener('internalMessage', (message) => isDisconnect(message) && mark('msg'));
    process.on('internalMessage', (message) => isDisconnect(message) && mark('handled'));
  });
  process.on('disconnect', () => mark('disc'));
  process.on('exit', () => mark('exit'));
} else {
  const root = path.join(__dirname, '..', '..');
  const stamp = ['--require', __filename];
  const endAtBeforeExit = (how) => `--import=data:text/javascript,process.on('beforeExit',()=>${how})`;
  const kinds = {
    'plain (Node tears down)': stamp,
    'process.exit() at beforeExit': [...stamp, endAtBeforeExit('process.exit()')],
    'SIGKILL to itself at beforeExit': [...stamp, endAtBeforeExit("process.kill(process.pid,'SIGKILL')")],
    "clusterchart's agent": ['--require', path.join(root, 'dist', 'worker.cjs'), ...stamp],
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const stamps = fs.mkdtempSync(path.join(os.tmpdir(), 'exit-timeline-'));
  process.env.STAMPS = stamps;
  process.env.PORT = '0';

  (async () => {
    const results = Object.fromEntries(Object.keys(kinds).map((kind) => [kind, {}]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [kind, execArgv] of Object.entries(kinds)) {
        cluster.setupPrimary({ exec: path.join(root, 'bench', 'apps', 'http-plain.cjs'), execArgv });
        const worker = cluster.fork();
        await new Promise((resolve) => worker.once('listening', resolve));
        await pause(150);
        const gone = new Promise((resolve) => worker.once('exit', resolve));
        const t0 = now();
        worker.disconnect();
        await gone;
        const reaped = now();
        const file = path.join(stamps, String(worker.process.pid));
        const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
        const marks = [...lines.map((line) => line.split(' ')).map(([name, at]) => [name, Number(at)]), ['reaped', reaped]];
        fs.unlinkSync(file);
        for (const [mark, at] of marks) (results[kind][mark] ??= []).push(at - t0);
      }
    }
    fs.rmSync(stamps, { recursive: true, force: true });
    for (const [kind, marks] of Object.entries(results)) {
      const line = Object.entries(marks).map(([mark, times]) => `${mark} ${median(times).toFixed(2)}`);
      console.log(`${kind.padEnd(34)} ${line.join('  ')} (ms, medians of ${ROUNDS})`);
    }
  })();
}
