'use strict';
// Needs DRAIN_MS (default 1000) of work after it is asked to stop, however it is asked
// (cluster disconnect, SIGINT, SIGTERM, a shutdown message), then records `drained` and exits 0.
const { record } = require('./record.cjs');
record('worker');
const cluster = require('node:cluster');
const http = require('node:http');

const server = http.createServer((req, res) => res.end(String(process.pid))).listen(Number(process.env.PORT));
const keepAlive = setInterval(() => {}, 1000);
let stopping = false;

function drain() {
  if (stopping) return;
  stopping = true;
  server.close();
  setTimeout(() => {
    clearInterval(keepAlive);
    record('drained');
    process.exit(0);
  }, Number(process.env.DRAIN_MS ?? 1000));
}

if (cluster.isWorker) cluster.worker.on('disconnect', drain);
process.on('SIGINT', drain);
process.on('SIGTERM', drain);
process.on('message', (m) => {
  if (m === 'shutdown' || (m && (m.cmd === 'disconnect' || m.cmd === 'CLUSTER_CONTROL_shutdown' || m.clusterchart === 'shutdown'))) drain();
});
