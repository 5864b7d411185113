'use strict';
// Where S1's start goes, as S1 runs it: the bench primary of a tool (bench/tools/<tool>.cjs,
// bench/apps/http-plain.cjs, size 4) is spawned, loads its tool, gets `start`, and 4 pids
// are asked for over HTTP until 4 distinct ones answered. This script also preloads itself
// into that primary (--require), which stamps, in ms from the `start` message: when the
// first and the last `cluster.fork()` call begin, when the fourth worker is listening, and
// the primary's CPU from `start` to then. Plus, from the runner: spawn → loaded (the tool's
// load) and start → 4 answered (S1's second column). Medians of ROUNDS, the tools in turn.
// Run after `npm run build`: node bench/diagnose/start-timeline.cjs [tool …]
// (default: clusterchart, node-cluster, cluster-master; bench/ installed, as `npm run bench` does)
const cluster = require('node:cluster');

const ROUNDS = 10;

if (process.env.START_TIMELINE_PRIMARY === '1') {
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

const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

(async () => {
  const { untilAnswering } = await import(path.join(root, 'bench', 'lib', 'http.mjs'));
  const tools = process.argv.length > 2 ? process.argv.slice(2) : ['clusterchart', 'node-cluster', 'cluster-master'];
  const rows = Object.fromEntries(tools.map((tool) => [tool, []]));
  let port = 24_000 + (process.pid % 1000) * 10;
  // The primaries' folder (cluster-master opens its REPL socket in it).
  const cwd = mkdtempSync(path.join(tmpdir(), 'clusterchart-start-timeline-'));
  for (let round = 0; round < ROUNDS; round++) {
    for (const tool of tools) {
      port++;
      const spawnedAt = performance.now();
      const primary = spawn(process.execPath, ['--require', __filename, path.join(root, 'bench', 'tools', `${tool}.cjs`), JSON.stringify({ app: path.join(root, 'bench', 'apps', 'http-plain.cjs'), size: 4, options: {} })], {
        env: { ...process.env, PORT: String(port), START_TIMELINE_PRIMARY: '1', BENCH_CLUSTERCHART: path.join(root, 'dist', 'index.cjs'), BENCH_PIDS: '/dev/null' },
        cwd,
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
        detached: true,
      });
      const timeline = new Promise((resolve) => primary.on('message', (m) => m.ev === 'timeline' && resolve(m)));
      await new Promise((resolve) => primary.on('message', (m) => m.ev === 'loaded' && resolve()));
      const loaded = performance.now() - spawnedAt;
      const startedAt = performance.now();
      primary.send({ cmd: 'start' });
      const answered = await untilAnswering(port, 4, { since: startedAt, timeout: 20_000 });
      rows[tool].push({ loaded, answered: answered.ms, ...(await timeline) });
      // The primary's process group: the primary and its workers (and clusterchart's warden).
      process.kill(-primary.pid, 'SIGKILL');
      await pause(200);
    }
  }
  for (const [tool, runs] of Object.entries(rows)) {
    const at = (key) => median(runs.map((r) => r[key])).toFixed(1);
    console.log(
      `${tool.padEnd(15)} spawn → loaded ${at('loaded')} ms; after start: forks at ${at('firstFork')}–${at('lastFork')} ms, 4th listening at ${at('fourthListening')} ms, 4 answered at ${at('answered')} ms; primary CPU ${at('cpu')} ms`,
    );
  }
  console.log(`(medians of ${ROUNDS} rounds, the tools in turn)`);
  rmSync(cwd, { recursive: true, force: true });
})();
