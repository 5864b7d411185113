'use strict';
// clusterchart through its library API (`require('clusterchart')`, as the CJS peers are
// loaded), with the worker agent on (as `clusterchart run` has it) and every other option at
// its default unless the scenario passes one.
const { config, createTrace, serve } = require('./adapter.cjs');
const { createControl } = require(process.env.BENCH_CLUSTERCHART);

let control;
/** Per worker: when it forked, became ready, was asked to shut down, exited. */
const trace = createTrace();
const entry = (worker) => trace.entry(worker.id, worker.pid, worker.generation);

serve({
  async start() {
    control = createControl({ exec: config.app, size: config.size, agent: true, ...config.options });
    control.on('error', () => {});
    control.on('fork', (e) => (entry(e.worker).forkAt = Date.now()));
    control.on('ready', (e) => (entry(e.worker).readyAt = Date.now()));
    // `shutdown`: the control asked the worker to go (it enters `disconnecting`). Not the
    // `transition` event: its inspection hook would slow the measured control down.
    control.on('shutdown', (e) => (entry(e.worker).shutdownAt = Date.now()));
    control.on('exit', (e) => (entry(e.worker).exitAt = Date.now()));
    // A give-up rejects start(); the control then exits 1 on its own (signals are on).
    control.start().catch(() => {});
  },
  restart: () => control.restart(),
  stop: () => control.stop(),
  resize: ({ size }) => control.setSize(size),
  trace: async () => trace.values(),
  status: async () => (await control.status()).workers.map((w) => ({ pid: w.pid, state: w.state })),
});
