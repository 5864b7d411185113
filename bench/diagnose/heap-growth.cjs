'use strict';
// Memory of a control across many worker replacements (4 workers, restartConcurrency 4, no
// canary, no agent, so it goes fast), against the same replacements done by hand with
// node:cluster. Every 100 forks, after gc: RSS, heap used (what is retained), heap total (what
// V8 holds) and the young generation within it, and from 308 forks on the heap used gained per
// fork since 208 (the warm-up).
//   --load       HTTP load (bench/lib/load-child.mjs) through the primary meanwhile: V8 then
//                grows the young generation to its maximum, 2 × 16 MB, plain master included.
//   --snapshots  heap snapshots at 208 and 608 forks, and the (type, name) groups that grew most
//                between them, each with one retainer path of a new node (writing a snapshot
//                inflates RSS: read the RSS column of a run without it).
// Run after `npm run build`:
//   node --expose-gc bench/diagnose/heap-growth.cjs [clusterchart|plain] [--load] [--snapshots]
const cluster = require('node:cluster');
const { fork } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');

const root = path.join(__dirname, '..', '..');
const app = path.join(root, 'bench', 'apps', 'http-plain.cjs');
const which = process.argv.includes('plain') ? 'plain' : 'clusterchart';
const withLoad = process.argv.includes('--load');
const withSnapshots = process.argv.includes('--snapshots');
const FORKS = 808;
const WARM = 208;
const SNAPSHOTS_AT = [208, 608];
let forks = 0;

const mb = (b) => (b / 2 ** 20).toFixed(2);
let warm = null;
const mem = () => {
  for (let i = 0; i < 3; i++) global.gc();
  const m = process.memoryUsage();
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  if (warm === null && forks >= WARM) warm = { forks, heapUsed: m.heapUsed };
  const perFork = warm === null || forks === warm.forks ? '' : `, ${Math.round((m.heapUsed - warm.heapUsed) / (forks - warm.forks))} B/fork since ${warm.forks}`;
  return `${String(forks).padStart(4)} forks: rss ${mb(m.rss)} MB, heap used ${mb(m.heapUsed)} MB${perFork}, heap total ${mb(m.heapTotal)} MB (young ${mb(young)})`;
};

async function freePort() {
  const server = require('node:net').createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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

/** Per (type, name): count and bytes of a snapshot's nodes, and which ids it has. */
function readSnapshot(file) {
  const { snapshot, nodes, edges, strings } = JSON.parse(fs.readFileSync(file, 'utf8'));
  const { node_fields: nf, edge_fields: ef, node_types: [types], edge_types: [edgeTypes] } = snapshot.meta;
  const [T, N, ID, SIZE, EDGES] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((f) => nf.indexOf(f));
  const count = nodes.length / nf.length;
  const key = (i) => {
    const type = types[nodes[i * nf.length + T]];
    return type.includes('string') || type === 'number' ? type : `${type} ${String(strings[nodes[i * nf.length + N]]).slice(0, 60)}`;
  };
  /** One strong retainer of each node, [retainer, edge name]: a GC root only if nothing else holds it. */
  const retainer = new Map();
  const synthetic = (i) => types[nodes[i * nf.length + T]] === 'synthetic';
  for (let i = 0, e = 0; i < count; i++) {
    for (let end = e + nodes[i * nf.length + EDGES] * ef.length; e < end; e += ef.length) {
      const type = edgeTypes[edges[e]];
      const to = edges[e + 2] / nf.length;
      if (type === 'weak' || (retainer.has(to) && (synthetic(i) || !synthetic(retainer.get(to)[0])))) continue;
      retainer.set(to, [i, type === 'element' || type === 'hidden' ? '[]' : String(strings[edges[e + 1]]).slice(0, 50)]);
    }
  }
  return { count, key, id: (i) => nodes[i * nf.length + ID], size: (i) => nodes[i * nf.length + SIZE], retainer };
}

function diffSnapshots(before, after) {
  const a = readSnapshot(before);
  const b = readSnapshot(after);
  const old = new Set();
  for (let i = 0; i < a.count; i++) old.add(a.id(i));
  const groups = new Map();
  for (let i = 0; i < b.count; i++) {
    if (old.has(b.id(i))) continue;
    const group = groups.get(b.key(i)) ?? { nodes: [], bytes: 0 };
    group.nodes.push(i);
    group.bytes += b.size(i);
    groups.set(b.key(i), group);
  }
  const pathOf = (i) => {
    const steps = [];
    for (let at = i, depth = 0; depth < 5 && b.retainer.has(at); depth++) {
      const [from, edge] = b.retainer.get(at);
      steps.push(`${edge.replace(/\d+/g, 'N')} ← ${b.key(from).replace(/\d+/g, 'N')}`);
      at = from;
    }
    return steps.join(' ← ');
  };
  console.log(`new nodes between ${SNAPSHOTS_AT.join(' and ')} forks, largest groups, each with its most common retainer path (digits as N):`);
  for (const [key, g] of [...groups].sort((x, y) => y[1].bytes - x[1].bytes).slice(0, 8)) {
    const paths = new Map();
    for (const i of g.nodes.slice(0, 500)) paths.set(pathOf(i), (paths.get(pathOf(i)) ?? 0) + 1);
    const [path, n] = [...paths].sort((x, y) => y[1] - x[1])[0];
    console.log(`  ${String(g.nodes.length).padStart(6)} nodes ${String(g.bytes).padStart(8)} B  ${key}\n      ${n} of ${Math.min(g.nodes.length, 500)} held by: ${path}`);
  }
}

(async () => {
  const port = withLoad ? await freePort() : 0;
  process.env.PORT = String(port);
  const restart = which === 'plain' ? await byHand() : await withClusterchart();
  const load = withLoad ? fork(path.join(root, 'bench', 'lib', 'load-child.mjs'), [JSON.stringify({ port, keepAlive: 4, close: 4 })], { stdio: 'ignore' }) : null;
  const snapshots = [];
  for (let next = 8; forks < FORKS; ) {
    if (forks >= next) {
      console.log(`${which}: ${mem()}`);
      next += 100;
    }
    if (withSnapshots && forks >= SNAPSHOTS_AT[snapshots.length]) {
      mem();
      snapshots.push(v8.writeHeapSnapshot(path.join(os.tmpdir(), `heap-growth-${process.pid}-${forks}.heapsnapshot`)));
    }
    await restart();
  }
  console.log(`${which}: ${mem()}`);
  load?.kill('SIGKILL');
  for (const w of Object.values(cluster.workers)) w.process.kill('SIGKILL');
  if (snapshots.length === 2) diffSnapshots(...snapshots);
  for (const file of snapshots) fs.rmSync(file);
  process.exit(0);
})();
