/**
 * Runs one tool's bench primary (bench/tools/<tool>) as a child with an IPC channel, in the
 * run's own folder, and tracks every pid of the run in a ledger.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @param tool a descriptor from tools.mjs
 * @param run  { dir, ledger, port, pidsFile, env, clusterchart, pm2Home }
 * @param config { app, size, options }
 */
export function launch(tool, run, config) {
  const log = openSync(join(run.dir, `${tool.id}.log`), 'a');
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [tool.adapter, JSON.stringify(config)], {
    cwd: run.dir,
    env: {
      ...process.env,
      PORT: String(run.port),
      BENCH_PIDS: run.pidsFile,
      BENCH_CLUSTERCHART: run.clusterchart,
      PM2_HOME: run.pm2Home,
      ...run.env,
    },
    stdio: ['ignore', log, log, 'ipc'],
  });
  closeSync(log);
  run.ledger.addRoot(child.pid);
  run.ledger.addFile(run.pidsFile);

  const waiting = new Map();
  const events = [];
  let seq = 0;
  let exit = null;
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exit = { code, signal, at: performance.now() };
      for (const [, w] of waiting) w.reject(new Error(`${tool.id}: primary exited (${signal ?? code}) during ${w.what}`));
      waiting.clear();
      resolve(exit);
    }),
  );
  child.on('error', () => {});
  const listeners = new Set();
  child.on('message', (message) => {
    events.push({ ...message, at: performance.now() });
    if (message.ev === 'reply') {
      const w = waiting.get(message.seq);
      waiting.delete(message.seq);
      if (w === undefined) return;
      if (message.ok) w.resolve(message.result);
      else w.reject(new Error(`${tool.id} ${w.what}: ${message.error}`));
    }
    if (message.ev === 'up') run.ledger.addRoot(message.control);
    for (const listener of [...listeners]) listener(message);
  });

  const eventOnce = (ev, timeout, what) =>
    new Promise((resolve, reject) => {
      const seen = events.find((e) => e.ev === ev);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`${tool.id}: no '${ev}' within ${timeout} ms (${what})`));
      }, timeout);
      const listener = (message) => {
        if (message.ev !== ev) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve({ ...message, at: performance.now() });
      };
      listeners.add(listener);
      exited.then(() => {
        if (!listeners.has(listener)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        reject(new Error(`${tool.id}: primary exited before '${ev}' (${what})`));
      });
    });

  return {
    child,
    pid: child.pid,
    spawnedAt,
    exited,
    exit: () => exit,
    /** Waits until the primary has loaded its tool (PM2: connected, so its daemon runs). */
    loaded: (timeout = 20_000) => eventOnce('loaded', timeout, 'loading'),
    /** Starts the tool; resolves with the control's pid. */
    async start(timeout = 20_000) {
      await this.loaded(timeout);
      const startedAt = performance.now();
      child.send({ cmd: 'start' });
      const up = await eventOnce('up', timeout, 'start');
      if (up.error) throw new Error(`${tool.id}: start failed: ${up.error}`);
      return { control: up.control, startedAt };
    },
    /** Sends a command; resolves with the tool's reply (its own idea of done). */
    command(cmd, args = {}, timeout = 60_000) {
      if (exit !== null) return Promise.reject(new Error(`${tool.id}: primary already exited`));
      const n = ++seq;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(n);
          reject(new Error(`${tool.id} ${cmd}: no reply within ${timeout} ms`));
        }, timeout);
        waiting.set(n, {
          what: cmd,
          resolve: (v) => (clearTimeout(timer), resolve(v)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        child.send({ cmd, seq: n, ...args }, (error) => {
          if (error && waiting.has(n)) waiting.get(n).reject(error);
        });
      });
    },
  };
}
