'use strict';
// Heap of a control across many worker replacements (4 workers, restartConcurrency 4, no
// canary, no agent, so it goes fast), against the same replacements done by hand with
// node:cluster. After gc: heap used (what is retained) and heap total (what V8 holds).
// Run after `npm run build`: node --expose-gc bench/diagnose/heap-growth.cjs [clusterchart|plain]
const cluster = require('node:cluster');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const app = path.join(root, 'bench', 'apps', 'http-plain.cjs');
const which = process.argv[2] ?? 'clusterchart';
process.env.PORT = '0';
let forks = 0;
const mem = () => {
  for (let i = 0; i < 3; i++) global.gc();
  const m = process.memoryUsage();
  const mb = (b) => (b / 2 ** 20).toFixed(2);
  return `${String(forks).padStart(4)} forks: rss ${mb(m.rss)} MB, heap used ${mb(m.heapUsed)} MB, heap total ${mb(m.heapTotal)} MB`;
};

async function byHand() {
  cluster.setupPrimary({ exec: app });
  cluster.on('fork', () => forks++);
  const listening = (w) => new Promise((resolve) => w.once('listening', resolve));
  await Promise.all([0, 1, 2, 3].map(() => listening(cluster.fork())));
  return async () => {
    const old = Object.values(cluster.workers);
    await Promise.all(old.map(() => listening(cluster.fork())));
    await Promise.all(old.map((w) => new Promise((resolve) => (w.once('exit', resolve), w.disconnect()))));
  };
}

async function withClusterchart() {
  const { createControl } = require(path.join(root, 'dist', 'index.cjs'));
  const control = createControl({ exec: app, size: 4, signals: false, restartProbation: 0, restartConcurrency: 4 });
  control.on('fork', () => forks++);
  await control.start();
  return () => control.restart();
}

(async () => {
  const restart = which === 'plain' ? await byHand() : await withClusterchart();
  for (let i = 0; i <= 200; i++) {
    await restart();
    if (i % 50 === 0) console.log(`${which}: ${mem()}`);
  }
  for (const w of Object.values(cluster.workers)) w.process.kill('SIGKILL');
  process.exit(0);
})();
