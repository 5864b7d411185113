'use strict';
// Where S1's start goes, as S1 runs it: each tool's bench primary is launched by the bench's
// own harness (bench/lib/harness.mjs: bench/apps/http-plain.cjs, size 4), loads its tool, gets
// `start`, and 4 pids are asked for over HTTP until 4 distinct ones answered; every process
// of the round is then swept by pid (bench/lib/proc.mjs's ledger). This script also preloads
// itself into the primary (NODE_OPTIONS=--require), which stamps, in ms from the `start`
// message: when the first and the last `cluster.fork()` call begin, when the fourth worker is
// listening, and the primary's CPU from `start` to then. Plus, from this side: spawn → loaded
// (the tool's load) and start → 4 answered (S1's second column). Medians of ROUNDS, the tools
// in turn. Run after `npm run build`: node bench/diagnose/start-timeline.cjs [tool …]
// (default: clusterchart, node-cluster, cluster-master; bench/ installed, as `npm run bench` does)
const cluster = require('node:cluster');

const ROUNDS = 10;

if (process.env.START_TIMELINE === '1') {
  // The preload. NODE_OPTIONS reaches the workers too, which have nothing to stamp.
  if (cluster.isPrimary) {
    let t0;
    let cpu0;
    const forks = [];
    let listening = 0;
    process.on('message', (message) => {
      if (message?.cmd !== 'start') return;
      t0 = performance.now();
      cpu0 = process.cpuUsage();
    });
    const fork = cluster.fork;
    cluster.fork = function timedFork(...args) {
      if (t0 !== undefined) forks.push(performance.now() - t0);
      return Reflect.apply(fork, this, args);
    };
    cluster.on('listening', () => {
      if (t0 === undefined || ++listening !== 4) return;
      const cpu = process.cpuUsage(cpu0);
      process.send({ ev: 'timeline', firstFork: forks[0], lastFork: forks.at(-1), fourthListening: performance.now() - t0, cpu: (cpu.user + cpu.system) / 1000 });
    });
  }
  return;
}

const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const lib = (name) => import(path.join(root, 'bench', 'lib', name));

(async () => {
  const [{ launch }, { createLedger }, { app, freePort }, { untilAnswering }, { toolById }] = await Promise.all(
    ['harness.mjs', 'proc.mjs', 'context.mjs', 'http.mjs', 'tools.mjs'].map(lib),
  );
  const tools = (process.argv.length > 2 ? process.argv.slice(2) : ['clusterchart', 'node-cluster', 'cluster-master']).map(toolById);
  const rows = new Map(tools.map((tool) => [tool, []]));
  const tmp = mkdtempSync(path.join(tmpdir(), 'clusterchart-start-timeline-'));
  for (let round = 0; round < ROUNDS; round++) {
    for (const tool of tools) {
      const ledger = createLedger();
      const dir = mkdtempSync(path.join(tmp, `${tool.id}-`));
      const run = {
        dir,
        ledger,
        port: await freePort(),
        pidsFile: path.join(dir, 'pids'),
        clusterchart: path.join(root, 'dist', 'index.cjs'),
        pm2Home: path.join(dir, 'no-pm2'),
        env: { START_TIMELINE: '1', NODE_OPTIONS: `--require ${__filename}` },
      };
      try {
        const primary = launch(tool, run, { app: app('http-plain'), size: 4, options: {} });
        const timeline = new Promise((resolve) => primary.child.on('message', (m) => m.ev === 'timeline' && resolve(m)));
        const loaded = (await primary.loaded()).at - primary.spawnedAt;
        const { startedAt } = await primary.start();
        const answered = await untilAnswering(run.port, 4, { since: startedAt, timeout: 20_000 });
        rows.get(tool).push({ loaded, answered: answered.ms, ...(await timeline) });
      } finally {
        await ledger.sweep();
      }
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  for (const [tool, runs] of rows) {
    const at = (key) => median(runs.map((r) => r[key])).toFixed(1);
    console.log(
      `${tool.id.padEnd(15)} spawn → loaded ${at('loaded')} ms; after start: forks at ${at('firstFork')}–${at('lastFork')} ms, 4th listening at ${at('fourthListening')} ms, 4 answered at ${at('answered')} ms; primary CPU ${at('cpu')} ms`,
    );
  }
  console.log(`(medians of ${ROUNDS} rounds, the tools in turn)`);
})();
