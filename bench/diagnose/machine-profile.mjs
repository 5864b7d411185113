// Where the control machine spends its time (S10): the driver of bench/lib/machines-child.mjs
// (the machines alone, facts fed synchronously, XState's SimulatedClock), 60 rolling restarts
// of 16 workers under the V8 profiler; prints the functions with the most self time.
// Run after `npm run build`: node bench/diagnose/machine-profile.mjs
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { loadMachines, timedRestarts } from '../lib/machines-driver.mjs';

const m = loadMachines(fileURLToPath(new URL('../../dist/index.cjs', import.meta.url)));
const workload = { size: 16, restarts: 60 };
timedRestarts(m, { ...workload, restarts: 20 });
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
const rounds = Array.from({ length: 5 }, () => timedRestarts(m, workload));
const { profile } = await session.post('Profiler.stop');
const ms = rounds.reduce((sum, r) => sum + r.ms, 0);
const facts = rounds.reduce((sum, r) => sum + r.facts, 0);
const events = rounds.reduce((sum, r) => sum + r.processed, 0);
const self = new Map();
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
for (const id of profile.samples) {
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-1)[0]}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + 1);
}
console.log(
  `${rounds.length} × ${workload.restarts} rolling restarts of ${workload.size} workers in ${ms.toFixed(0)} ms, profiled: ` +
    `${((facts / ms) * 1000).toFixed(0)} facts/s, ${((events / ms) * 1000).toFixed(0)} events/s from the control's mailbox (raised ones not counted)`,
);
for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${((n / profile.samples.length) * 100).toFixed(1).padStart(5)} %  ${key}`);
