'use strict';
// A plain HTTP app with no shutdown code at all: answers its pid.
require('./record.cjs').record('worker');
const http = require('node:http');

http.createServer((req, res) => res.end(String(process.pid))).listen(Number(process.env.PORT));
