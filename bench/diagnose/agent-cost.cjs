'use strict';
// What the worker agent costs one worker: fork → listening, CPU time and RSS of a worker of
// bench/apps/http-plain.cjs with and without `--require dist/worker.cjs` (8 workers, one at
// a time, medians); then the CPU of loading the agent alone, in workers that require it and
// end, against requiring an empty CommonJS file (the loader's own first use, which the app
// would pay otherwise; 15 workers each, medians). Other builds of the agent given as
// arguments are loaded too, in turn with this one, twice over (to compare two commits: the
// dist/worker.cjs of a `git worktree` built with `npm run build`).
// Run after `npm run build`: node bench/diagnose/agent-cost.cjs [OTHER dist/worker.cjs …]
const cluster = require('node:cluster');

if (cluster.isWorker) {
  // The load-only workers: measure one require, report it, end.
  const before = process.cpuUsage();
  require(process.env.LOAD);
  const { user, system } = process.cpuUsage(before);
  process.send((user + system) / 1000, () => process.disconnect());
  return;
}

const { readFileSync, rmSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const cpuMs = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function measure(agent) {
  cluster.setupPrimary({
    exec: path.join(root, 'bench', 'apps', 'http-plain.cjs'),
    execArgv: agent ? ['--require', path.join(root, 'dist', 'worker.cjs')] : [],
  });
  const boot = [];
  const cpu = [];
  const rss = [];
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    const worker = cluster.fork({ PORT: '0' });
    await new Promise((resolve) => worker.once('listening', resolve));
    boot.push(performance.now() - t0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    cpu.push(cpuMs(worker.process.pid));
    rss.push(rssMb(worker.process.pid));
    worker.process.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));
  }
  console.log(`agent ${agent ? 'on ' : 'off'}: fork → listening ${median(boot).toFixed(0)} ms, CPU ${median(cpu)} ms, RSS ${median(rss).toFixed(1)} MB`);
}

async function measureLoad(label, file) {
  cluster.setupPrimary({ exec: __filename, execArgv: [] });
  const cpu = [];
  for (let i = 0; i < 15; i++) {
    const worker = cluster.fork({ LOAD: file });
    cpu.push(await new Promise((resolve) => worker.once('message', resolve)));
    await new Promise((resolve) => worker.once('exit', resolve));
  }
  console.log(`loading ${label.padEnd(15)} ${median(cpu).toFixed(2)} ms of CPU`);
}

(async () => {
  await measure(false);
  await measure(true);
  const empty = path.join(os.tmpdir(), `agent-cost-empty-${process.pid}.cjs`);
  writeFileSync(empty, '');
  await measureLoad('an empty file', empty);
  const agents = [path.join(root, 'dist', 'worker.cjs'), ...process.argv.slice(2).map((file) => path.resolve(file))];
  for (let round = 0; round < (agents.length > 1 ? 2 : 1); round++) {
    for (const agent of agents) await measureLoad(agents.length > 1 ? agent : 'the agent', agent);
  }
  rmSync(empty);
  process.exit(0);
})();
