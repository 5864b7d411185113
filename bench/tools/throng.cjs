'use strict';
// throng 5 through its documented API: throng({ worker, count }). The worker function
// requires the app; throng forks this very script, so in a worker only that part runs. It
// has no stop call: it stops on SIGTERM/SIGINT (its documented `signals`).
const cluster = require('node:cluster');
const throng = require('throng');

const config = JSON.parse(process.argv[2] ?? '{}');
const options = { count: config.size, worker: () => require(config.app), ...config.options };

if (cluster.isWorker) {
  throng(options);
} else {
  const { serve } = require('./adapter.cjs');
  serve({
    start() {
      throng(options).catch(() => {});
    },
    async stop() {
      process.kill(process.pid, 'SIGTERM');
    },
  });
}
