'use strict';
// Spawns a long-lived child process of its own (a helper, a sidecar), then serves.
const { record } = require('./record.cjs');
record('worker');
const { spawn } = require('node:child_process');
const http = require('node:http');

const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
child.on('spawn', () => {
  record('child', child.pid);
  http.createServer((req, res) => res.end(String(process.pid))).listen(Number(process.env.PORT));
});
