'use strict';
// cluster-master 0.2.1 through its documented API (clusterMaster(config), restart, resize,
// quit). quit() exits the process once the workers are gone, as documented.
const clusterMaster = require('cluster-master');
const { config, serve } = require('./adapter.cjs');

serve({
  start() {
    clusterMaster({ exec: config.app, size: config.size, ...config.options });
  },
  restart: () => new Promise((resolve) => clusterMaster.restart(resolve)),
  resize: ({ size }) => new Promise((resolve) => clusterMaster.resize(size, resolve)),
  async stop() {
    clusterMaster.quit();
  },
});
