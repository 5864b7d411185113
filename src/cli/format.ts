/**
 * Human output of the `clusterchart` command: pure functions from results and events to
 * text. Workers are named `#id[pid]` everywhere.
 */
import type { ControlStatus } from '../runtime/create-control.js';
import type { RestartProgress, RestartResult, SizeResult, StopResult, WireEvent } from '../server/protocol.js';

const workerName = (worker: { id: number; pid: number | null }) => `#${worker.id}[${worker.pid ?? '?'}]`;

/** 1234 → `1.2s`, 60_000 → `1m`, 75_000 → `1m15s`, 90_061_000 → `1d1h`. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = ms / 1_000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.floor(s)}s`;
  // A zero second part is left out: `1m`, not `1m0s`.
  const pair = (big: number, bigUnit: string, small: number, smallUnit: string) => `${big}${bigUnit}${small === 0 ? '' : `${small}${smallUnit}`}`;
  const m = Math.floor(s / 60);
  if (m < 60) return pair(m, 'm', Math.floor(s % 60), 's');
  const h = Math.floor(m / 60);
  if (h < 24) return pair(h, 'h', m % 60, 'm');
  return pair(Math.floor(h / 24), 'd', h % 24, 'h');
}

/** Bytes → `41.3 MiB`. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Left-aligned text columns, right-aligned numbers, two spaces between. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, numeric: readonly boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (numeric[i] === true ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatStatus(status: ControlStatus, now: number): string {
  const { master } = status;
  const summary =
    `control ${master.pid} ${master.state}` +
    ` · size ${master.size ?? 'any'}` +
    ` · generation ${master.generation}` +
    ` · health ${master.health}` +
    (master.restarting ? ' · restarting' : '') +
    (master.startTime === null ? '' : ` · up ${formatDuration(now - master.startTime)}`);
  if (status.workers.length === 0) return `${summary}\nno workers`;
  const rows = status.workers.map((w) => [
    String(w.id),
    w.pid === null ? '-' : String(w.pid),
    String(w.slot),
    w.state,
    String(w.generation),
    formatDuration(w.uptime),
    String(w.restarts),
    w.connections === null ? '-' : String(w.connections),
    formatBytes(w.memory),
  ]);
  const header = ['ID', 'PID', 'SLOT', 'STATE', 'GEN', 'UPTIME', 'RESTARTS', 'CONNS', 'MEMORY'];
  return `${summary}\n${table(header, rows, [true, true, true, false, true, true, true, true, true])}`;
}

export function formatSize(result: SizeResult): string {
  return `size ${result.size ?? 'any'}: ${result.live} live, ${result.ready} ready`;
}

/** One progress line of `restart --wait`, and how long forks are held back while the control is in danger. */
export function formatProgress(progress: RestartProgress): string {
  const replaced = `${progress.replaced}/${progress.total} replaced`;
  return progress.danger === undefined ? replaced : `${replaced}; danger, crash loop: forks held back ${formatDuration(progress.danger.delay)}`;
}

export function formatRestart(result: RestartResult): string {
  const workers = (n: number) => `${n} worker${n === 1 ? '' : 's'}`;
  if (!result.waited) return `restarting: generation ${result.generation}, ${workers(result.total)} to replace`;
  const notes = [`generation ${result.generation}`, ...escalations(result)];
  return `restarted: ${workers(result.replaced)} replaced in ${formatDuration(result.duration)} (${notes.join('; ')})`;
}

/** `shut down: #1, #2`, and the workers that did not leave in time, with what it took. */
export function formatStopped(verb: string, result: StopResult): string {
  if (result.ids.length === 0) return `${verb}: no workers`;
  const late = escalations(result);
  return `${verb}: ${list(result.ids)}${late.length > 0 ? ` (${late.join('; ')})` : ''}`;
}

/** `stopped`, `stopped (forced)`, and the workers that outlived their timeouts on the way. */
export function formatStop(result: StopResult & { force: boolean }): string {
  const notes = [...(result.force ? ['forced'] : []), ...escalations(result)];
  return `stopped${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

const list = (of: readonly number[]) => of.map((id) => `#${id}`).join(', ');

/** Who outlived which timeout, in words. */
const escalations = ({ terminated, killed }: Pick<StopResult, 'terminated' | 'killed'>) => [
  ...(terminated.length > 0 ? [`${list(terminated)} outlived shutdownTimeout: SIGTERM`] : []),
  ...(killed.length > 0 ? [`${list(killed)} outlived terminateTimeout: SIGKILL`] : []),
];

type EventOf<T extends WireEvent['type']> = Extract<WireEvent, { type: T }>;

/**
 * What an unexpected exit adds about why the worker was leaving: only a startup timeout says
 * something (a crash closes the channel before the exit too, so its own disconnect does not).
 */
const exitReason = (exit: EventOf<'exit'>['exit']) =>
  exit.reason === 'startupTimeout' ? ": not ready within startupTimeout, so the control terminated it (does it listen? with readyOn message, does it call ready() or process.send('ready')?)" : '';

/** Which give-up limit the crashes passed, as `giveup` and `restartAbandoned` say it. */
const limitPassed = (e: Omit<EventOf<'giveup'>, 'type'>, inARow: string) =>
  `${e.exits} ${e.cause === 'window' ? `unexpected exits within ${formatDuration(e.window)}` : inARow} (max ${e.maxRestarts})`;

/** How each event reads as a line; events a transition already shows (fork, online…) have none. */
const eventLines: { readonly [T in WireEvent['type']]?: (event: EventOf<T>) => string | null } = {
  transition: (e) => `${workerName(e.worker)} ${e.from ?? 'new'} -> ${e.to}`,
  start: () => 'control: start',
  stop: (e) => `control: stop${e.force ? ' (force)' : ''}${e.reason === 'giveup' ? ' after giving up' : ''}`,
  stopped: (e) => `control: stopped${e.reason === 'giveup' ? ' (gave up)' : ''}`,
  setSize: (e) => `control: size ${e.size ?? 'any'}`,
  startRestart: (e) => `control: restart to generation ${e.generation}`,
  restart: (e) => `control: restart done, generation ${e.generation}`,
  restartAbandoned: (e) => `control: restart to generation ${e.generation} abandoned: ${limitPassed(e, 'crashes in a row')}; the older workers keep serving`,
  danger: (e) => `control: danger, crash loop: forks held back ${formatDuration(e.delay)}`,
  safe: () => 'control: safe again',
  memoryLimit: (e) => `${workerName(e.worker)} uses ${formatBytes(e.memory)}, over maxMemory (${formatBytes(e.limit)}): replacing it`,
  giveup: (e) => `control: giving up: ${limitPassed(e, 'crashes in a row at startup or before minRestartAge')}`,
  exit: (e) =>
    e.exit.expected ? null : `${workerName(e.worker)} exited unexpectedly (${e.exit.signal ?? `code ${String(e.exit.code)}`}, ${e.exit.phase})${exitReason(e.exit)}`,
  error: (e) => `control: error ${e.error.code}: ${e.error.message}`,
};

/** One line per event worth reading: every worker transition, and the control's own events. */
export function formatEvent(event: WireEvent): string | null {
  const line = eventLines[event.type] as ((e: WireEvent) => string | null) | undefined;
  return line === undefined ? null : line(event);
}
