'use strict';
// The side of a bench primary that talks to the runner over IPC. A primary loads its tool,
// says `loaded`, starts the tool on `start`, says `up` with the pid of the control (the
// process to SIGKILL in S3: itself, or PM2's daemon), then answers commands
// (`restart`, `stop`, `resize`, `status`, `dispose`) with a `reply` once its tool says done.
// Config: argv[2] as JSON { app, size, options }.

const config = JSON.parse(process.argv[2] ?? '{}');

function say(message) {
  if (process.connected) process.send(message, undefined, undefined, () => {});
}

/**
 * handlers: { start(): Promise<number|void> (the control pid; default this process),
 *             restart?, stop?, resize?(size), status?, dispose? } — each returns a promise.
 */
function serve(handlers) {
  process.on('message', async (message) => {
    if (message === null || typeof message !== 'object' || typeof message.cmd !== 'string') return;
    const { cmd, seq } = message;
    if (cmd === 'start') {
      try {
        const started = await handlers.start();
        say({ ev: 'up', control: typeof started === 'number' ? started : process.pid });
      } catch (error) {
        say({ ev: 'up', control: process.pid, error: String(error?.message ?? error) });
      }
      return;
    }
    const handler = handlers[cmd];
    if (handler === undefined) return say({ ev: 'reply', seq, ok: false, error: `unsupported: ${cmd}` });
    try {
      const result = await handler(message);
      say({ ev: 'reply', seq, ok: true, result: result ?? null });
    } catch (error) {
      say({ ev: 'reply', seq, ok: false, error: String(error?.message ?? error) });
    }
  });
  // The runner is gone: go too (the runner SIGKILLs what is left by pid anyway).
  process.on('disconnect', () => (handlers.abandon ?? (() => process.exit(0)))());
  say({ ev: 'loaded' });
}

/**
 * What S2 reads of a restart, per worker id: `{ id, pid, generation, forkAt, readyAt,
 * shutdownAt, exitAt }` (Date.now()). `entry` makes a worker's record on first sight.
 */
function createTrace() {
  const entries = new Map();
  return {
    entry(id, pid, generation) {
      if (!entries.has(id)) entries.set(id, { id, pid, generation });
      return entries.get(id);
    },
    values: () => [...entries.values()],
  };
}

/** An event emitter's next `event`, as a promise. */
function next(emitter, event) {
  return new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));
}

module.exports = { config, serve, say, next, createTrace };
