'use strict';
// clusterchart through its library API (`require('clusterchart')`, as the CJS peers are
// loaded), with the worker agent on (as `clusterchart run` has it) and every other option at
// its default unless the scenario passes one.
const { config, serve } = require('./adapter.cjs');
const { createControl } = require(process.env.BENCH_CLUSTERCHART);

/**
 * `agent: true` from the CJS build throws "Invalid URL" in this version (the build has no
 * import.meta.url shim); preloading the same agent through execArgv is what `agent: true`
 * does, so the bench falls back to that and says so.
 */
function create(options) {
  try {
    return { control: createControl(options), agentVia: undefined };
  } catch (error) {
    if (!(options.agent && error instanceof TypeError)) throw error;
    const agent = require('node:path').join(require('node:path').dirname(process.env.BENCH_CLUSTERCHART), 'worker.cjs');
    const execArgv = [...(options.execArgv ?? process.execArgv), '--require', agent];
    return { control: createControl({ ...options, agent: false, execArgv }), agentVia: 'execArgv --require (agent: true throws from CJS)' };
  }
}

let control;
/** Per worker id: when it forked, became ready, began its shutdown (`disconnecting`), exited (Date.now()). */
const trace = new Map();
const entry = (worker) => {
  if (!trace.has(worker.id)) trace.set(worker.id, { id: worker.id, pid: worker.pid, generation: worker.generation });
  return trace.get(worker.id);
};

serve({
  async start() {
    const created = create({ exec: config.app, size: config.size, agent: true, ...config.options });
    control = created.control;
    control.on('error', () => {});
    control.on('fork', (e) => (entry(e.worker).forkAt = Date.now()));
    control.on('ready', (e) => (entry(e.worker).readyAt = Date.now()));
    control.on('transition', (e) => {
      if (e.to === 'disconnecting') entry(e.worker).shutdownAt = Date.now();
    });
    control.on('exit', (e) => (entry(e.worker).exitAt = Date.now()));
    // A give-up rejects start(); the control then exits 1 on its own (signals are on).
    control.start().catch(() => {});
    return created.agentVia ? { note: created.agentVia } : undefined;
  },
  restart: () => control.restart(),
  stop: () => control.stop(),
  resize: ({ size }) => control.setSize(size),
  trace: async () => [...trace.values()],
  status: async () => (await control.status()).workers.map((w) => ({ pid: w.pid, state: w.state })),
});
