'use strict';
// RSS (after gc) of a process that loads node:cluster and then more modules, each set in a
// fresh process: where the control's idle RSS (S8) goes. Run after `npm run build`:
//   node bench/diagnose/import-rss.cjs
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const sets = [
  ['node:cluster'],
  ['node:cluster', 'xstate'],
  ['node:cluster', 'xstate', 'prom-client'],
  ['node:cluster', 'xstate', 'prom-client', '@viz-js/viz'],
  ['node:cluster', 'xstate', 'prom-client', '@viz-js/viz', 'zod'],
  ['node:cluster', path.join(root, 'dist', 'index.cjs')],
];
const probe = `
const mods = JSON.parse(process.argv[1]);
for (const m of mods) require(m);
setTimeout(() => { for (let i = 0; i < 3; i++) global.gc(); console.log((process.memoryUsage.rss() / 2 ** 20).toFixed(1)); }, 200);
`;
for (const set of sets) {
  const runs = [0, 1, 2].map(() => Number(execFileSync(process.execPath, ['--expose-gc', '-e', probe, JSON.stringify(set)], { cwd: root, encoding: 'utf8' })));
  const label = set.map((m) => (m.startsWith('/') ? 'clusterchart (dist/index.cjs)' : m)).join(' + ');
  console.log(`${label.padEnd(60)} ${runs.sort((a, b) => a - b)[1].toFixed(1)} MB`);
}
