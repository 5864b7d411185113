'use strict';
// What the worker agent costs each request: the CPU of one worker of bench/apps/http-plain.cjs
// per request (`Connection: close`, 4 at a time, as S7's and S9's pollers ask), without the
// agent and with `--require dist/worker.cjs`, and with other builds of the agent given as
// arguments (the dist/worker.cjs of a `git worktree` built with `npm run build`). One worker
// per variant, all under this primary; batches of 200 requests go to each in a random order,
// 100 rounds, so that the host's slow and fast spells fall on every variant alike. CPU from
// every thread's schedstat (ns). Two workers without the agent: their mean is the baseline,
// and their difference the noise.
// Run after `npm run build`: node bench/diagnose/request-cost.cjs [OTHER dist/worker.cjs …]
const cluster = require('node:cluster');
const http = require('node:http');
const path = require('node:path');
const { readFileSync, readdirSync } = require('node:fs');

const root = path.join(__dirname, '..', '..');
const ROUNDS = 100;
const BATCH = 200;
const PARALLEL = 4;

const cpuMs = (pid) =>
  readdirSync(`/proc/${pid}/task`).reduce((sum, task) => sum + Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]) / 1e6, 0);

function ask(port) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } }, (response) => {
      response.resume();
      response.on('end', resolve);
    });
    request.on('error', reject);
  });
}

async function start(agent, port) {
  cluster.setupPrimary({ exec: path.join(root, 'bench', 'apps', 'http-plain.cjs'), execArgv: agent ? ['--require', agent] : [] });
  const worker = cluster.fork({ PORT: String(port) });
  await new Promise((resolve) => worker.once('listening', resolve));
  return worker;
}

(async () => {
  const builds = [path.join(root, 'dist', 'worker.cjs'), ...process.argv.slice(2).map((file) => path.resolve(file))];
  const variants = [['no agent', null], ['no agent (again)', null], ...builds.map((file) => [path.relative(process.cwd(), file), file])];
  // Below the ephemeral range, where the clients' own ports would collide with a listen.
  let port = 21000 + (process.pid % 500) * 20;
  const runs = [];
  for (const [label, agent] of variants) runs.push({ label, port, worker: await start(agent, port++), cpu: 0, requests: 0 });
  for (const run of runs) for (let i = 0; i < 300; i++) await ask(run.port); // warm up
  for (let round = 0; round < ROUNDS; round++) {
    for (const run of [...runs].sort(() => Math.random() - 0.5)) {
      const before = cpuMs(run.worker.process.pid);
      for (let i = 0; i < BATCH / PARALLEL; i++) await Promise.all(Array.from({ length: PARALLEL }, () => ask(run.port)));
      run.cpu += cpuMs(run.worker.process.pid) - before;
      run.requests += BATCH;
    }
  }
  const perRequestOf = (run) => (run.cpu / run.requests) * 1000;
  const floor = (perRequestOf(runs[0]) + perRequestOf(runs[1])) / 2;
  for (const run of runs) {
    const perRequest = perRequestOf(run);
    console.log(`${run.label.padEnd(24)} ${perRequest.toFixed(1)} µs of worker CPU per request (${(perRequest - floor >= 0 ? '+' : '') + (perRequest - floor).toFixed(1)} against no agent)`);
  }
  for (const run of runs) run.worker.process.kill('SIGKILL');
  process.exit(0);
})();
