/**
 * Human output: durations, sizes, the status table, and one line per event worth reading
 * (`#id[pid] from -> to` for transitions; worker facts a transition shows print nothing).
 */
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatEvent, formatProgress, formatRestart, formatStatus, formatStop, formatStopped, table } from '../../src/cli/format.js';

describe('units', () => {
  it('durations', () => {
    expect([null, 0, 999, 1_000, 9_950, 12_345, 60_000, 75_000, 3_600_000, 3_600_000 + 120_000, 90_061_000, Infinity].map(formatDuration)).toEqual([
      '-',
      '0ms',
      '999ms',
      '1.0s',
      '9.9s',
      '12s',
      '1m',
      '1m15s',
      '1h',
      '1h2m',
      '1d1h',
      '-',
    ]);
  });

  it('bytes', () => {
    expect([null, 512, 2048, 56_299_520, 3 * 1024 ** 3].map(formatBytes)).toEqual(['-', '512 B', '2.0 KiB', '53.7 MiB', '3.0 GiB']);
  });

  it('tables align text left and numbers right', () => {
    expect(table(['ID', 'STATE'], [['1', 'online.ready'], ['10', 'starting']], [true, false])).toBe(
      ['ID  STATE', ' 1  online.ready', '10  starting'].join('\n'),
    );
  });
});

describe('status', () => {
  it('a summary line, then one row per worker; - for what is unknown', () => {
    const text = formatStatus(
      {
        master: { pid: 10, state: 'running', size: 2, generation: 3, health: 'danger', restarting: true, startTime: 0 },
        workers: [
          { id: 4, pid: 11, state: 'online.ready', generation: 3, slot: 0, startTime: 0, uptime: 61_000, restarts: 2, connections: 5, memory: 52_428_800 },
          { id: 5, pid: null, state: 'starting', generation: 3, slot: 1, startTime: null, uptime: null, restarts: 0, connections: null, memory: null },
        ],
      },
      125_000,
    );
    expect(text.split('\n')).toEqual([
      'control 10 running · size 2 · generation 3 · health danger · restarting · up 2m5s',
      'ID  PID  SLOT  STATE         GEN  UPTIME  RESTARTS  CONNS    MEMORY',
      ' 4   11     0  online.ready    3    1m1s         2      5  50.0 MiB',
      ' 5    -     1  starting        3       -         0      -         -',
    ]);
    expect(formatStatus({ master: { pid: 1, state: 'idle', size: null, generation: 0, health: 'ok', restarting: false, startTime: null }, workers: [] }, 0)).toBe(
      'control 1 idle · size any · generation 0 · health ok\nno workers',
    );
  });
});

describe('shutdown and terminate', () => {
  it('lists the workers, and those that outlived a timeout with the signal it took', () => {
    expect(formatStopped('shut down', { ids: [], terminated: [], killed: [] })).toBe('shut down: no workers');
    expect(formatStopped('shut down', { ids: [1, 3], terminated: [], killed: [] })).toBe('shut down: #1, #3');
    expect(formatStopped('shut down', { ids: [1, 2, 3], terminated: [1, 2], killed: [2] })).toBe(
      'shut down: #1, #2, #3 (#1, #2 outlived shutdownTimeout: SIGTERM; #2 outlived terminateTimeout: SIGKILL)',
    );
    expect(formatStopped('terminated', { ids: [4], terminated: [], killed: [4] })).toBe('terminated: #4 (#4 outlived terminateTimeout: SIGKILL)');
  });

  it('restart says the generation, and who outlived which timeout', () => {
    expect(formatRestart({ generation: 2, replaced: 4, total: 4, waited: true, duration: 253, terminated: [], killed: [] })).toBe('restarted: 4 workers replaced in 253ms (generation 2)');
    expect(formatRestart({ generation: 2, replaced: 2, total: 2, waited: true, duration: 6100, terminated: [1], killed: [1] })).toBe(
      'restarted: 2 workers replaced in 6.1s (generation 2; #1 outlived shutdownTimeout: SIGTERM; #1 outlived terminateTimeout: SIGKILL)',
    );
  });

  it('stop says stopped, forced or not, and who outlived which timeout', () => {
    expect(formatStop({ force: false, ids: [1, 2], terminated: [], killed: [] })).toBe('stopped');
    expect(formatStop({ force: true, ids: [1, 2], terminated: [], killed: [] })).toBe('stopped (forced)');
    expect(formatStop({ force: false, ids: [1, 2], terminated: [1], killed: [1] })).toBe('stopped (#1 outlived shutdownTimeout: SIGTERM; #1 outlived terminateTimeout: SIGKILL)');
    expect(formatStop({ force: true, ids: [1, 2], terminated: [], killed: [2] })).toBe('stopped (forced; #2 outlived terminateTimeout: SIGKILL)');
  });
});

describe('restart progress', () => {
  it('replaced out of total; crash-loop backoff is said, with how long forks are held back', () => {
    expect(formatProgress({ replaced: 1, total: 4 })).toBe('1/4 replaced');
    expect(formatProgress({ replaced: 1, total: 4, danger: { delay: 2_000 } })).toBe('1/4 replaced; danger, crash loop: forks held back 2.0s');
  });
});

describe('events', () => {
  const worker = { id: 3, pid: 4242, slot: 0, generation: 1 };
  it('transitions name the worker #id[pid]', () => {
    expect(formatEvent({ type: 'transition', worker, from: 'online.ready', to: 'disconnecting' })).toBe('#3[4242] online.ready -> disconnecting');
    expect(formatEvent({ type: 'transition', worker: { ...worker, pid: null }, from: null, to: 'starting' })).toBe('#3[?] new -> starting');
  });

  it('control events read as control lines; worker facts shown by transitions are silent', () => {
    expect(formatEvent({ type: 'giveup', cause: 'window', exits: 11, window: 60_000, maxRestarts: 10 })).toBe('control: giving up: 11 unexpected exits within 1m (max 10)');
    expect(formatEvent({ type: 'giveup', cause: 'streak', exits: 11, window: 60_000, maxRestarts: 10 })).toBe(
      'control: giving up: 11 crashes in a row at startup or before minRestartAge (max 10)',
    );
    expect(formatEvent({ type: 'restart', generation: 2 })).toBe('control: restart done, generation 2');
    expect(formatEvent({ type: 'error', error: { code: 'CC_ERR_X', message: 'boom' } })).toBe('control: error CC_ERR_X: boom');
    expect(formatEvent({ type: 'ready', worker })).toBeNull();
    expect(formatEvent({ type: 'fork', worker })).toBeNull();
    const exit = { id: 3, pid: 4242, slot: 0, generation: 1, code: 1, signal: null, phase: 'runtime' as const, expected: false, reason: null, age: 5, at: 9 };
    expect(formatEvent({ type: 'exit', worker, exit })).toBe('#3[4242] exited unexpectedly (code 1, runtime)');
    expect(formatEvent({ type: 'exit', worker, exit: { ...exit, expected: true } })).toBeNull();
    // Why it was leaving, when the control knows: a startup timeout is the control's own SIGTERM.
    expect(formatEvent({ type: 'exit', worker, exit: { ...exit, code: null, signal: 'SIGTERM', phase: 'startup', reason: 'startupTimeout' } })).toBe(
      "#3[4242] exited unexpectedly (SIGTERM, startup): not ready within startupTimeout, so the control terminated it (does it listen? with readyOn message, does it call ready() or process.send('ready')?)",
    );
    expect(formatEvent({ type: 'exit', worker, exit: { ...exit, reason: 'disconnect' } })).toBe('#3[4242] exited unexpectedly (code 1, runtime)');
    expect(formatEvent({ type: 'restartAbandoned', generation: 3, cause: 'window', exits: 11, window: 60_000, maxRestarts: 10 })).toBe(
      'control: restart to generation 3 abandoned: 11 unexpected exits within 1m (max 10); the older workers keep serving',
    );
  });
});
