/**
 * What a scenario gets: the selected tools and apps, a way to run primaries with every pid
 * tracked and swept at the end, a place to put figures, and the progress line.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './harness.mjs';
import { createLedger } from './proc.mjs';

export const app = (name) => fileURLToPath(new URL(`../apps/${name}.cjs`, import.meta.url));

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function createContext({ tools, runs, quick, clusterchart, tmp, progress, total }) {
  const data = {};
  const leaks = [];
  const failures = [];
  let current = { index: 0, scenario: '', title: '' };
  let sessionCount = 0;

  const slot = (scenario, table, row) => {
    data[scenario] ??= {};
    data[scenario][table] ??= {};
    data[scenario][table][row] ??= {};
    return data[scenario][table][row];
  };

  /** A new PM2 home: its own daemon, no banner, no version check. */
  const pm2Home = () => {
    const home = mkdtempSync(join(tmp, 'pm2-'));
    writeFileSync(join(home, 'touch'), String(Date.now()));
    return home;
  };

  const ctx = {
    tools,
    runs,
    /** Runs of a scenario whose figures are closer than one run's spread: at least `n`, except in --quick. */
    runsAtLeast: (n) => (quick ? runs : Math.max(runs, n)),
    /**
     * `items` in round `r`'s order: each round starts one further along, so that no tool
     * always runs first, or always right after the same one.
     */
    inTurn: (items, r) => items.map((_, i) => items[(i + r - 1) % items.length]),
    clusterchart,
    quick,
    data,
    leaks,
    failures,
    pm2Homes: [],
    begin(index, scenario, title) {
      current = { index, scenario, title };
      progress.step(current);
    },
    step(details) {
      progress.step({ ...current, ...details });
    },
    note: (text) => progress.note(text),
    put(scenario, table, row, metric, value) {
      const s = slot(scenario, table, row);
      (s[metric] ??= []).push(value);
    },
    na(scenario, table, row, reason) {
      slot(scenario, table, row).na = reason;
    },
    fail(scenario, table, row, error) {
      const message = String(error?.message ?? error);
      failures.push({ scenario, table, row, message });
      const s = slot(scenario, table, row);
      (s.errors ??= []).push(message);
      progress.note(`  ! ${scenario} ${table} ${row}: ${message}`);
    },
    pm2Home() {
      const home = pm2Home();
      ctx.pm2Homes.push(home);
      return home;
    },
    /**
     * Runs `fn` with one primary per spec ({ tool, app, size, options, env, pm2Home }), each
     * in its own folder with its own port and pid file; afterwards SIGKILLs every pid the
     * run saw and checks that none survived.
     */
    async sessions(specs, fn, scenario = current.scenario) {
      const handles = [];
      const ledger = createLedger();
      try {
        for (const spec of specs) {
          const dir = join(tmp, `s${++sessionCount}-${spec.tool.id}`);
          mkdirSync(dir, { recursive: true });
          const run = {
            dir,
            ledger,
            port: await freePort(),
            pidsFile: join(dir, 'pids'),
            clusterchart,
            pm2Home: spec.pm2Home ?? (spec.tool.id === 'pm2' ? ctx.pm2Home() : join(dir, 'no-pm2')),
            env: spec.env ?? {},
          };
          const config = { app: spec.app, size: spec.size ?? 4, options: spec.options ?? {}, name: spec.name };
          const handle = { ...launch(spec.tool, run, config), run, spec };
          handles.push(handle);
          // Primaries that share a PM2 home would race to spawn its daemon: one at a time.
          if (spec.pm2Home !== undefined) await handle.loaded();
        }
        return await fn(handles);
      } finally {
        const survivors = await ledger.sweep();
        if (survivors.length > 0) {
          leaks.push({ scenario, pids: survivors });
          progress.note(`  ! ${scenario}: ${survivors.length} process(es) survived the sweep: ${survivors.join(', ')}`);
        }
      }
    },
    session(spec, fn) {
      return ctx.sessions([spec], ([handle]) => fn(handle));
    },
  };
  return ctx;
}
