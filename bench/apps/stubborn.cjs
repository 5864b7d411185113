'use strict';
// Ignores every polite way to stop: disconnect, SIGTERM, SIGINT, shutdown messages. Only
// SIGKILL ends it.
require('./record.cjs').record('worker');
const http = require('node:http');

process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});
process.on('message', () => {});
setInterval(() => {}, 1000);
http.createServer((req, res) => res.end(String(process.pid))).listen(Number(process.env.PORT));
