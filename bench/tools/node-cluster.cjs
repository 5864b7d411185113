'use strict';
// The hand-written node:cluster master people start from: fork N, fork again on every exit
// it did not ask for, stop by disconnecting every worker. Its restart (used by S9, shown in
// S2) is the simplest correct rolling one: per worker, fork a new one, wait for `listening`,
// disconnect the old one.
const cluster = require('node:cluster');
const { config, serve } = require('./adapter.cjs');

function fork() {
  return cluster.fork();
}

const exited = (worker) => new Promise((resolve) => (worker.isDead() ? resolve() : worker.once('exit', resolve)));

serve({
  start() {
    cluster.setupPrimary({ exec: config.app });
    cluster.on('exit', (worker) => {
      if (!worker.exitedAfterDisconnect) fork();
    });
    for (let i = 0; i < config.size; i++) fork();
  },
  async restart() {
    for (const old of Object.values(cluster.workers)) {
      const fresh = fork();
      await new Promise((resolve) => fresh.once('listening', resolve));
      old.disconnect();
    }
  },
  async stop() {
    const workers = Object.values(cluster.workers);
    for (const worker of workers) worker.disconnect();
    await Promise.all(workers.map(exited));
  },
});
