/**
 * The process table, read from /proc (Linux): children of a pid, liveness (a zombie counts
 * as dead: it no longer runs, it only waits to be reaped), RSS and CPU time. Every process a
 * scenario starts is tracked in a ledger and SIGKILLed by pid at its end.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Fields of /proc/<pid>/stat after the command name, or null when the process is gone. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Boot-relative start time of a process (clock ticks): with the pid, its identity. */
export function startTimeOf(pid) {
  const fields = statFields(pid);
  return fields === null ? null : Number(fields[19]);
}

/** Running (any state but zombie or dead). */
export function isAlive(pid) {
  const fields = statFields(pid);
  return fields !== null && fields[0] !== 'Z' && fields[0] !== 'X';
}

/** Parent pid → child pids, for every process at one instant (zombies left out). */
export function childTable() {
  const table = new Map();
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a digit
    const fields = statFields(entry);
    if (fields === null || fields[0] === 'Z') continue;
    const ppid = Number(fields[1]);
    if (!table.has(ppid)) table.set(ppid, []);
    table.get(ppid).push(Number(entry));
  }
  return table;
}

/** Every live descendant of pid, parents first. */
export function descendantsOf(pid, table = childTable()) {
  const found = [];
  const seen = new Set([pid]);
  for (const queue = [pid]; queue.length > 0; ) {
    for (const child of table.get(queue.shift()) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Live direct children of pid. */
export function childrenOf(pid, table = childTable()) {
  return table.get(pid) ?? [];
}

/** A helper of a control, not a worker: clusterchart's orphan warden is a `/bin/sh`. */
const isHelper = (pid) => commOf(pid) === 'sh';

/** The live worker processes of a control: its children but its helpers. */
export function workersOf(pid, table = childTable()) {
  return childrenOf(pid, table).filter((child) => !isHelper(child));
}

/** The helper processes of a control (see `isHelper`). */
export function helpersOf(pid, table = childTable()) {
  return childrenOf(pid, table).filter(isHelper);
}

/** Resident set size in bytes, or null. */
export function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The command name (`comm`) of a process, or null. */
export function commOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * CPU time of a process's threads in ms, or null once it is gone. From each thread's
 * schedstat (nanoseconds), so that a window of a few hundred ms is measured, not counted in
 * 10 ms ticks (a thread that has ended no longer counts; a Node process's V8 and libuv threads
 * live as long as it does); from the ticks of /proc/<pid>/stat where the kernel keeps no
 * schedstat.
 */
export function cpuMsOf(pid) {
  if (!hasSchedstat) return cpuTicksMsOf(pid);
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let ns = 0;
  for (const task of tasks) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended since the listing.
    }
  }
  return ns / 1e6;
}

const hasSchedstat = existsSync('/proc/self/schedstat');

function cpuTicksMsOf(pid) {
  const fields = statFields(pid);
  if (fields === null) return null;
  // After ')': state(0) ppid(1) … utime(11) stime(12)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

export function signal(pid, sig) {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves with the ms from `since` until at most `n` of `pids` run, or null after `timeout`.
 * Polls only those pids: reading the whole process table this often takes CPU the exiting
 * processes need.
 */
export async function untilAtMost(pids, n, { timeout, interval = 10, since = performance.now() }) {
  for (;;) {
    if (pids.filter(isAlive).length <= n) return performance.now() - since;
    if (performance.now() - since > timeout) return null;
    await sleep(interval);
  }
}

/** Resolves with the ms it took until no pid of `pids` runs, or null after `timeout`. */
export const waitGone = (pids, timeout, interval = 10) => untilAtMost(pids, 0, { timeout, interval });

/**
 * Every process a scenario run starts or learns about, by identity (pid and start time, so a
 * reused pid is never signalled). `sweep()` SIGKILLs each of them and the descendants of the
 * roots, then checks that none runs.
 */
export function createLedger() {
  /** pid → start time (null: unknown, the process was gone when we learnt of it). */
  const known = new Map();
  const roots = new Set();
  const files = new Set();
  const learn = (pid, start = startTimeOf(pid)) => {
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || known.has(pid)) return;
    known.set(pid, start);
  };
  const same = (pid) => {
    const start = known.get(pid);
    return start !== null && start !== undefined && startTimeOf(pid) === start;
  };
  const running = (pid) => same(pid) && isAlive(pid);
  const ledger = {
    add: (pid, start) => learn(pid, start),
    /** A process whose whole tree belongs to the run (a control, a PM2 daemon). */
    addRoot(pid) {
      learn(pid);
      roots.add(pid);
    },
    /** A file the apps append `time pid starttime kind` lines to. */
    addFile: (path) => files.add(path),
    /** Reads the pid files and adds the current descendants of every root. */
    snapshot() {
      for (const path of files) for (const record of readRecords(path)) learn(record.pid, record.start);
      const table = childTable();
      for (const root of roots) if (running(root)) for (const pid of descendantsOf(root, table)) learn(pid);
    },
    /** Tracked pids that still run. */
    alive() {
      return [...known.keys()].filter(running);
    },
    count: () => known.size,
    /** SIGKILLs every tracked process that still runs; resolves with those that survive it. */
    async sweep() {
      for (let pass = 0; pass < 3; pass++) {
        ledger.snapshot();
        const targets = ledger.alive();
        if (targets.length === 0) return [];
        for (const pid of targets) signal(pid, 'SIGKILL');
        await waitGone(targets, 2000);
      }
      ledger.snapshot();
      return ledger.alive();
    },
  };
  return ledger;
}

/** Lines `time pid starttime kind` written by bench/apps/record.cjs. */
export function readRecords(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const records = [];
  for (const line of text.split('\n')) {
    const [time, pid, start, kind] = line.split(' ');
    if (pid === undefined) continue;
    records.push({ time: Number(time), pid: Number(pid), start: Number(start), kind });
  }
  return records;
}
