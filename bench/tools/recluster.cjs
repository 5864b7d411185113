'use strict';
// recluster 1.0.0 through its documented API (recluster(file, opt), run, reload, terminate).
// It has no graceful stop: terminate() SIGKILLs the workers.
const recluster = require('recluster');
const { config, serve } = require('./adapter.cjs');

let balancer;
serve({
  start() {
    balancer = recluster(config.app, { workers: config.size, log: { respawns: false }, ...config.options });
    balancer.run();
  },
  restart: () => new Promise((resolve) => balancer.reload(resolve)),
  stop: () => new Promise((resolve) => balancer.terminate(resolve)),
});
