// Embedding clusterchart in your own primary script: two workers of examples/hello-http.js,
// every transition logged as `#id[pid] from -> to`, one rolling restart, a clean stop.
//
//   npm run build && node examples/embed.mjs
import { createControl } from 'clusterchart';
import { fileURLToPath } from 'node:url';

const control = createControl({
  exec: fileURLToPath(new URL('./hello-http.js', import.meta.url)),
  size: 2,
  agent: true, // drains keep-alive connections on restart, reports connections and memory
  env: (slot) => ({ PORT: process.env.PORT ?? '0', GREETING: `slot ${slot}` }),
});

const name = (w) => `#${w.id}[${w.pid ?? '?'}]`;
control.on('transition', ({ worker, from, to }) => console.log(`${name(worker)} ${from ?? '(new)'} -> ${to}`));
control.once('listening', ({ address }) => console.log(`serving on http://127.0.0.1:${address?.port}/`));
control.on('startRestart', ({ generation }) => console.log(`-- rolling restart to generation ${generation}`));
control.on('restart', ({ generation }) => console.log(`-- every worker now runs generation ${generation}`));

await control.start();
console.log('-- started:', JSON.stringify((await control.status()).workers.map((w) => ({ id: w.id, pid: w.pid, state: w.state }))));
await control.restart();
await control.stop();
console.log('-- stopped cleanly');
control.close();
