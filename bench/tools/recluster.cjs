'use strict';
// recluster 1.0.0 through its documented API (recluster(file, opt), run, reload, terminate).
// It has no graceful stop: terminate() SIGKILLs the workers.
const cluster = require('node:cluster');
const recluster = require('recluster');
const { config, createTrace, serve } = require('./adapter.cjs');

/**
 * The same trace as clusterchart's tool keeps, from node:cluster's events (recluster has none
 * of its own): per worker, when it forked, listened (recluster's ready), was asked to
 * disconnect, exited (Date.now()). S2 shows where the time of each goes.
 */
let generation = 1;
const trace = createTrace();
const entry = (worker) => trace.entry(worker.id, worker.process.pid, generation);
cluster.on('fork', (worker) => (entry(worker).forkAt = Date.now()));
cluster.on('listening', (worker) => (entry(worker).readyAt ??= Date.now()));
cluster.on('exit', (worker) => (entry(worker).exitAt = Date.now()));
const disconnect = cluster.Worker.prototype.disconnect;
cluster.Worker.prototype.disconnect = function traced(...args) {
  entry(this).shutdownAt ??= Date.now();
  return Reflect.apply(disconnect, this, args);
};

let balancer;
serve({
  start() {
    balancer = recluster(config.app, { workers: config.size, log: { respawns: false }, ...config.options });
    balancer.run();
  },
  restart: () => {
    generation++;
    return new Promise((resolve) => balancer.reload(resolve));
  },
  stop: () => new Promise((resolve) => balancer.terminate(resolve)),
  trace: async () => trace.values(),
});
