'use strict';
// Fails during startup, every time.
require('./record.cjs').record('worker');
process.exit(1);
