'use strict';
// Serves, then blocks its main thread in a busy loop for good (a stuck worker).
require('./record.cjs').record('worker');
const http = require('node:http');

http.createServer((req, res) => res.end(String(process.pid))).listen(Number(process.env.PORT), () => {
  // Late enough that the supervisor has heard `listening`.
  setTimeout(() => {
    for (;;);
  }, 300);
});
