// Where the control machine spends its time (S10): rolling restarts of 16 simulated workers,
// under the V8 profiler; prints the functions with the most self time.
// Run after `npm run build`: node bench/diagnose/machine-profile.mjs
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { settlerOf } from '../lib/settle.mjs';

const require = createRequire(import.meta.url);
const { createControl, createSimulatedCluster } = require('../../dist/index.cjs');

const sim = createSimulatedCluster();
const control = createControl({ port: sim, clock: sim.clock, signals: false, size: 16 });
const settle = settlerOf(sim);
await settle(control.start());
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
const t0 = performance.now();
for (let i = 0; i < 60; i++) await settle(control.restart());
const ms = performance.now() - t0;
const { profile } = await session.post('Profiler.stop');
const self = new Map();
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
for (const id of profile.samples) {
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-1)[0]}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + 1);
}
console.log(`60 rolling restarts of 16 simulated workers in ${ms.toFixed(0)} ms (${((60 * 16 * 6) / ms * 1000).toFixed(0)} facts/s, ~6 facts per replacement)`);
for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${((n / profile.samples.length) * 100).toFixed(1).padStart(5)} %  ${key}`);
control.close();
