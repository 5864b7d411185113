'use strict';
// A careful HTTP app that drains on its own, whichever way its supervisor asks it to stop
// (cluster disconnect, SIGINT, SIGTERM, or a shutdown message): it stops accepting, answers
// every request still coming on a keep-alive connection with `Connection: close`, closes a
// connection only once it is idle, and exits when the last one is gone.
require('./record.cjs').record('worker');
const cluster = require('node:cluster');
const http = require('node:http');

const GRACE_MS = 250; // an idle keep-alive connection may still bring one last request
const MAX_DRAIN_MS = 4000;
const sockets = new Map(); // socket → responses not yet finished
let draining = false;

const server = http.createServer((req, res) => {
  if (draining) res.shouldKeepAlive = false;
  res.end(String(process.pid));
});

const closeWhenIdle = (socket) => {
  clearTimeout(socket.graceTimer);
  const timer = setTimeout(() => {
    // Timers run before I/O: a request that came while this timer was due is still unread
    // (closing now would reset it), so look again once this turn's I/O is read.
    setImmediate(() => {
      if (socket.graceTimer === timer && sockets.get(socket) === 0) socket.destroy();
    });
  }, GRACE_MS);
  socket.graceTimer = timer;
};

server.on('connection', (socket) => {
  sockets.set(socket, 0);
  socket.on('close', () => {
    clearTimeout(socket.graceTimer);
    sockets.delete(socket);
  });
  if (draining) closeWhenIdle(socket);
});
server.prependListener('request', (req, res) => {
  const socket = req.socket;
  clearTimeout(socket.graceTimer);
  sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
  res.on('finish', () => {
    sockets.set(socket, sockets.get(socket) - 1);
    if (draining) closeWhenIdle(socket);
  });
});

function drain() {
  if (draining) return;
  draining = true;
  // http's close() destroys idle keep-alive connections at once, racing the client's next
  // request; they get the grace instead.
  server.closeIdleConnections = () => {};
  server.close(() => process.exit(0));
  for (const [socket, pending] of sockets) if (pending === 0) closeWhenIdle(socket);
  setTimeout(() => process.exit(0), MAX_DRAIN_MS).unref();
}

if (cluster.isWorker) cluster.worker.on('disconnect', drain);
process.on('SIGINT', drain);
process.on('SIGTERM', drain);
process.on('message', (m) => {
  if (m === 'shutdown' || (m && (m.cmd === 'disconnect' || m.cmd === 'CLUSTER_CONTROL_shutdown' || m.clusterchart === 'shutdown'))) drain();
});

server.listen(Number(process.env.PORT));
