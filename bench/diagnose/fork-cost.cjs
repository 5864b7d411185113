'use strict';
// How long one synchronous cluster.fork() takes in the primary (S2's four spawns happen in one
// turn): a bare primary against one that loaded clusterchart (dist/index.cjs). 6 rounds of 4
// forks each, every fork timed. Run after `npm run build`: node bench/diagnose/fork-cost.cjs
const cluster = require('node:cluster');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
process.env.PORT = '0';
const which = process.argv[2];

if (which === undefined) {
  const { execFileSync } = require('node:child_process');
  for (const variant of ['bare', 'clusterchart loaded']) process.stdout.write(execFileSync(process.execPath, [__filename, variant], { encoding: 'utf8' }));
} else {
  if (which !== 'bare') require(path.join(root, 'dist', 'index.cjs'));
  cluster.setupPrimary({ exec: path.join(root, 'bench', 'apps', 'http-careful.cjs') });
  (async () => {
    const ms = [];
    for (let round = 0; round < 6; round++) {
      const workers = [0, 1, 2, 3].map(() => {
        const t0 = performance.now();
        const worker = cluster.fork();
        ms.push(performance.now() - t0);
        return worker;
      });
      await Promise.all(workers.map((w) => new Promise((resolve) => w.once('listening', resolve))));
      await Promise.all(workers.map((w) => new Promise((resolve) => (w.once('exit', resolve), w.disconnect()))));
    }
    ms.sort((a, b) => a - b);
    console.log(`${which.padEnd(20)} cluster.fork(): median ${ms[ms.length >> 1].toFixed(1)} ms, ${ms[0].toFixed(1)}–${ms[ms.length - 1].toFixed(1)} ms (${ms.length} forks)`);
    process.exit(0);
  })();
}
