// HTTP load in its own process (so the runner's timers stay punctual): two autocannon
// instances on one port, `keepAlive` connections that keep their socket and `close`
// connections that send `Connection: close`. Runs until told to stop (or 120 s), then
// reports the counts of both.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const { port, keepAlive, close } = JSON.parse(process.argv[2]);

const url = `http://127.0.0.1:${port}/`;
const options = { url, duration: 120, timeout: 5 };
const kinds = {
  keepAlive: autocannon({ ...options, connections: keepAlive }),
  close: autocannon({ ...options, connections: close, headers: { connection: 'close' } }),
};
for (const instance of Object.values(kinds)) instance.on('error', () => {});

const summarise = (r) => ({
  requests: r.requests.total,
  ok: r['2xx'],
  non2xx: r.non2xx,
  errors: r.errors,
  timeouts: r.timeouts,
  resets: r.resets,
});

process.on('message', async (message) => {
  if (message?.cmd !== 'stop') return;
  const done = Object.entries(kinds).map(
    ([kind, instance]) => new Promise((resolve) => instance.once('done', (r) => resolve([kind, summarise(r)]))),
  );
  for (const instance of Object.values(kinds)) instance.stop();
  process.send({ ev: 'result', result: Object.fromEntries(await Promise.all(done)) }, () => process.exit(0));
});
process.send({ ev: 'running' });
