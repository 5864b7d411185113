'use strict';
// PM2 7 in cluster mode through its programmatic API (connect, start, reload, scale, stop,
// delete), with its own PM2_HOME (set by the runner). The control is PM2's daemon, which the
// first connect spawns.
const fs = require('node:fs');
const path = require('node:path');

// No banner and no version check (it would reach the network): PM2's own switch.
process.env.PM2_DISCRETE_MODE = 'true';
const pm2 = require('pm2');
const { config, serve } = require('./adapter.cjs');

const NAME = config.name ?? 'bench';
const call = (fn, ...args) => new Promise((resolve, reject) => fn.call(pm2, ...args, (error, result) => (error ? reject(error) : resolve(result))));
const daemonPid = () => Number(fs.readFileSync(path.join(process.env.PM2_HOME, 'pm2.pid'), 'utf8'));
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => /^(PORT|BENCH_|DRAIN_MS)/.test(key)));

pm2.connect((error) => {
  if (error) throw error;
  serve({
    async start() {
      await call(pm2.start, { name: NAME, script: config.app, exec_mode: 'cluster', instances: config.size, env, ...config.options });
      return daemonPid();
    },
    restart: () => call(pm2.reload, NAME),
    resize: ({ size }) => call(pm2.scale, NAME, size),
    stop: () => call(pm2.stop, NAME),
    status: async () => (await call(pm2.describe, NAME)).map((p) => ({ pid: p.pid, state: p.pm2_env.status, restarts: p.pm2_env.restart_time })),
    abandon: () => pm2.disconnect(),
  });
});
