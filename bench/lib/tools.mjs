/**
 * The tools under test: clusterchart, the hand-written node:cluster master, and the peers,
 * each with its bench primary and what it can do. A missing feature is a reason string,
 * shown as "n/a" in the report.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bench = new URL('..', import.meta.url);
const adapter = (file) => fileURLToPath(new URL(`tools/${file}`, bench));
/** A peer's version as bench/package-lock.json pins it (what `npm ci --prefix bench` installs). */
const versionOf = (pkg) => {
  try {
    return JSON.parse(readFileSync(new URL('package-lock.json', bench), 'utf8')).packages[`node_modules/${pkg}`].version;
  } catch {
    return '?';
  }
};

export const tools = [
  {
    id: 'clusterchart',
    label: 'clusterchart',
    adapter: adapter('clusterchart.cjs'),
    version: () => JSON.parse(readFileSync(new URL('../package.json', bench), 'utf8')).version,
    can: { restart: true, resize: true, stop: true },
    /** Timeouts of S6, equalised: disconnect 1 s, then SIGTERM 1 s, then SIGKILL. */
    equalised: { shutdownTimeout: 1000, terminateTimeout: 1000 },
    defaults: 'shutdownTimeout 5 s + terminateTimeout 5 s; a restart replaces every worker at once, no canary; agent on (its orphan warden is one /bin/sh)',
  },
  {
    id: 'node-cluster',
    label: 'node:cluster by hand',
    adapter: adapter('node-cluster.cjs'),
    /** The Node of the run (the machine it ran on, for --report-only). */
    version: (machine) => machine.node.replace(/^v/, ''),
    can: { restart: true, resize: 'not written: forks N, re-forks on exit', stop: true },
    equalised: null,
    defaults: 'no timeouts: disconnect, never escalates',
    baseline: true,
  },
  {
    id: 'pm2',
    label: 'PM2',
    adapter: adapter('pm2.cjs'),
    version: () => versionOf('pm2'),
    can: { restart: true, resize: true, stop: true },
    equalised: { kill_timeout: 2000 },
    defaults: 'kill_timeout 1.6 s (SIGINT, then SIGKILL); max_restarts 16, min_uptime 1 s',
  },
  {
    id: 'strong-cluster-control',
    label: 'strong-cluster-control',
    adapter: adapter('strong-cluster-control.cjs'),
    version: () => versionOf('strong-cluster-control'),
    can: { restart: true, resize: true, stop: true },
    equalised: { shutdownTimeout: 1000, terminateTimeout: 1000 },
    defaults: 'shutdownTimeout 5 s + terminateTimeout 5 s; throttleDelay 2 s',
  },
  {
    id: 'cluster-master',
    label: 'cluster-master',
    adapter: adapter('cluster-master.cjs'),
    version: () => versionOf('cluster-master'),
    can: { restart: true, resize: true, stop: true },
    equalised: null, // its SIGKILL after disconnect is fixed at 5 s
    defaults: 'SIGKILL 5 s after disconnect (fixed); minRestartAge 2 s',
  },
  {
    id: 'throng',
    label: 'throng',
    adapter: adapter('throng.cjs'),
    version: () => versionOf('throng'),
    can: { restart: 'no rolling restart in its API', resize: 'no resize in its API', stop: true },
    equalised: { grace: 2000 },
    defaults: 'grace 5 s (then SIGTERM again and the master exits)',
  },
  {
    id: 'recluster',
    label: 'recluster',
    adapter: adapter('recluster.cjs'),
    version: () => versionOf('recluster'),
    can: { restart: true, resize: 'no resize in its API', stop: true },
    equalised: { timeout: 2 },
    defaults: 'timeout 1 s (SIGTERM old workers after reload; no SIGKILL); respawn 1 s',
    /** Its only stop is terminate(), which SIGKILLs: not graceful. */
    gracefulStop: false,
  },
];

export const peers = tools.filter((t) => t.id !== 'clusterchart' && !t.baseline);
export const toolById = (id) => tools.find((t) => t.id === id);
