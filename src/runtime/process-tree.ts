/**
 * The process tree below a pid, read synchronously so it can run inside `process.on('exit')`:
 * from /proc on Linux (no child process needed), from `ps` elsewhere. Used by the control to
 * signal a worker together with its own children, and by the worker agent to take its
 * children down with it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Parent pid → its child pids, for every process visible at one instant. */
type ChildTable = Map<number, number[]>;

/**
 * Every descendant of `pid` (children, grandchildren, …), parents before their children,
 * so a signal reaches a parent before it can fork again. `pid` itself is not included.
 */
export function descendantsOf(pid: number): number[] {
  return descendantsIn(readChildTable(), pid);
}

function descendantsIn(table: ChildTable, pid: number): number[] {
  const found: number[] = [];
  // The table is not an atomic snapshot, so pid reuse could in theory make a cycle.
  const seen = new Set<number>([pid]);
  const queue = [pid];
  for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
    for (const child of table.get(parent) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** A process to signal together with everything below it. */
export interface TreeSignal {
  pid: number;
  signal: NodeJS.Signals;
}

/**
 * Sends each target's signal to every descendant of its pid, then to the pid, in the order
 * given, from one read of the process table: a read opens a file per process on the machine,
 * a few ms each time, so the trees of many workers are walked in one. A process that is
 * already gone (ESRCH) is skipped; any other failure (EPERM) is thrown after every process was
 * tried, so one protected process never shields the rest.
 */
export function killTrees(targets: readonly TreeSignal[]): void {
  if (targets.length === 0) return;
  const table = readChildTable();
  let failure: unknown;
  for (const { pid, signal } of targets) {
    for (const target of [...descendantsIn(table, pid), pid]) {
      try {
        process.kill(target, signal);
      } catch (error) {
        if (errorCode(error) !== 'ESRCH') failure ??= error;
      }
    }
  }
  if (failure !== undefined) throw failure;
}

function readChildTable(): ChildTable {
  if (process.platform === 'linux') {
    const table = readProcTable();
    if (table !== null) return table;
  }
  return readPsTable();
}

/** null when /proc is not mounted (some containers), so the caller falls back to `ps`. */
function readProcTable(): ChildTable | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const table: ChildTable = new Map();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = readProcParent(entry);
    if (ppid !== null) addChild(table, ppid, Number(entry));
  }
  return table;
}

/**
 * The fields of /proc/<pid>/stat after `pid (comm)`, from the state on: comm may itself
 * contain spaces and parentheses, so they are counted from the last ')'. null when the
 * process is gone (it may exit between readdir and read).
 */
function statFieldsOf(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The ppid field of /proc/<pid>/stat (field 4). */
function readProcParent(pid: string): number | null {
  const ppid = Number(statFieldsOf(pid)?.[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/**
 * `pid`'s parent and when it started (fields 4 and 22 of /proc/<pid>/stat, the start in clock
 * ticks since boot), to tell a process from a later one that got its pid. null when it is
 * gone, or off Linux.
 */
export function identityOf(pid: number): { parent: number; started: string } | null {
  if (process.platform !== 'linux') return null;
  const fields = statFieldsOf(pid);
  const started = fields?.[19];
  return fields === null || started === undefined ? null : { parent: Number(fields[1]), started };
}

function readPsTable(): ChildTable {
  const ps = spawnSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  const table: ChildTable = new Map();
  if (ps.status !== 0 || typeof ps.stdout !== 'string') return table;
  for (const line of ps.stdout.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    // `ps` lists itself as our child; it has exited by now, and its pid may be reused.
    if (pid === undefined || ppid === undefined || Number.isNaN(pid) || Number.isNaN(ppid) || pid === ps.pid) continue;
    addChild(table, ppid, pid);
  }
  return table;
}

function addChild(table: ChildTable, ppid: number, pid: number): void {
  const children = table.get(ppid);
  if (children === undefined) table.set(ppid, [pid]);
  else children.push(pid);
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}
