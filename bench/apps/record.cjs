'use strict';
// Appends `time pid starttime kind` to $BENCH_PIDS, so the bench knows every process an app
// starts (whoever forked it) and can kill each by pid, and count forks.
const fs = require('node:fs');

function startTimeOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return 0;
  }
}

function record(kind, pid = process.pid) {
  const file = process.env.BENCH_PIDS;
  if (!file) return;
  fs.appendFileSync(file, `${Date.now()} ${pid} ${startTimeOf(pid)} ${kind}\n`);
}

module.exports = { record };
