'use strict';
// What the worker agent costs one worker: fork → listening, CPU time and RSS of a worker of
// bench/apps/http-plain.cjs with and without `--require dist/worker.cjs` (8 workers, one at
// a time, medians). Run after `npm run build`: node bench/diagnose/agent-cost.cjs
const cluster = require('node:cluster');
const { readFileSync } = require('node:fs');
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

(async () => {
  await measure(false);
  await measure(true);
  process.exit(0);
})();
