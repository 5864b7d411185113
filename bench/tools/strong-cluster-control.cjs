'use strict';
// strong-cluster-control 2.2.4 through its documented API (start, restart, setSize, stop).
const cluster = require('node:cluster');
const control = require('strong-cluster-control');
const { config, serve, next } = require('./adapter.cjs');

serve({
  start() {
    cluster.setupMaster({ exec: config.app });
    control.on('error', () => {});
    control.start({ size: config.size, ...config.options });
  },
  async restart() {
    const done = next(control, 'restart');
    control.restart();
    await done;
  },
  async resize({ size }) {
    control.setSize(size);
    // 'resize' fires once per worker step; done when the live count is the size.
    for (;;) {
      const [now] = await next(control, 'resize');
      if (now === size) return;
    }
  },
  stop: () => new Promise((resolve) => control.stop(resolve)),
});
