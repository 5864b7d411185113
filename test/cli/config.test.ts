/**
 * Configuration layers: package.json "clusterchart" < clusterchart.config.json <
 * CLUSTERCHART_* < flags, validated with the errors of createControl (CC_ERR_OPTION_INVALID)
 * naming the source; unknown keys and malformed files are CC_ERR_CONFIG_*; remote commands
 * read only `control`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envWarnings, resolveControlPath, resolveRunConfig } from '../../src/cli/config.js';
import { parseArgv, type RunFlags } from '../../src/cli/parse-argv.js';
import { defaultSettings } from '../../src/options.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cc-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const pkg = (section: unknown) => writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', clusterchart: section }));
const file = (content: unknown) => writeFileSync(join(dir, 'clusterchart.config.json'), typeof content === 'string' ? content : JSON.stringify(content));
const flags = (...argv: string[]): RunFlags => {
  const inv = parseArgv(['run', 'app.js', ...argv]);
  if (inv.command !== 'run') throw new Error('not run');
  return inv.flags;
};
const resolveWith = (f: RunFlags, env: Record<string, string> = {}) => resolveRunConfig(f, { cwd: dir, env, cpus: 3 });
const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error('expected an error');
};

describe('run configuration', () => {
  it('defaults: size cpus, the default settings, ./clusterchart.sock, no dashboard', () => {
    const config = resolveWith(flags());
    expect(config.settings).toEqual({ ...defaultSettings, size: 3 });
    expect(config.control).toBe('./clusterchart.sock');
    expect(config.dashboard).toBeNull();
    expect(config.env).toEqual({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.settings)).toBe(true);
  });

  it('later layers win: package.json < config file < environment < flags', () => {
    pkg({ size: 1, shutdownTimeout: 100, terminateTimeout: 100, restartWindow: 100, readyOn: 'online', env: { A: 'pkg', B: 'pkg' } });
    file({ size: 2, shutdownTimeout: '2s', terminateTimeout: 200, env: { B: 'file', C: 'file' }, control: 'file.sock' });
    const env = { CLUSTERCHART_SIZE: '4', CLUSTERCHART_SHUTDOWN_TIMEOUT: '3s', CLUSTERCHART_CONTROL: 'env.sock' };
    const config = resolveWith(flags('--size', '5', '--env', 'C=flag'), env);
    expect(config.settings).toMatchObject({ size: 5, shutdownTimeout: 3_000, terminateTimeout: 200, restartWindow: 100, readyOn: 'online' });
    expect(config.env).toEqual({ A: 'pkg', B: 'file', C: 'flag' });
    expect(config.control).toBe('env.sock');
    expect(resolveWith(flags('--control', 'flag.sock'), env).control).toBe('flag.sock');
  });

  it('every CLUSTERCHART_ variable of the options table is read', () => {
    const env = {
      CLUSTERCHART_SIZE: 'cpus',
      CLUSTERCHART_READY_ON: 'message',
      CLUSTERCHART_STARTUP_TIMEOUT: 'Infinity',
      CLUSTERCHART_SHUTDOWN_TIMEOUT: '1',
      CLUSTERCHART_TERMINATE_TIMEOUT: '2',
      CLUSTERCHART_MIN_RESTART_AGE: '3',
      CLUSTERCHART_THROTTLE_DELAY: '4',
      CLUSTERCHART_MAX_THROTTLE_DELAY: '5',
      CLUSTERCHART_RESTART_CONCURRENCY: '6',
      CLUSTERCHART_RESTART_PROBATION: '7',
      CLUSTERCHART_RESTART_YIELD: '11',
      CLUSTERCHART_MAX_RESTARTS: '8',
      CLUSTERCHART_RESTART_WINDOW: '9',
      CLUSTERCHART_MAX_MEMORY: '1G',
      CLUSTERCHART_MEMORY_CHECK_INTERVAL: '100',
      CLUSTERCHART_DASHBOARD: '9200',
      CLUSTERCHART_DASHBOARD_HOST: '::1',
      CLUSTERCHART_SLOT: 'ignored, set by clusterchart in workers',
    };
    const config = resolveWith(flags(), env);
    expect(config.settings).toEqual({
      size: 3,
      readyOn: 'message',
      startupTimeout: Infinity,
      shutdownTimeout: 1,
      terminateTimeout: 2,
      minRestartAge: 3,
      throttleDelay: 4,
      maxThrottleDelay: 5,
      restartConcurrency: 6,
      restartProbation: 7,
      restartYield: 11,
      maxRestarts: 8,
      restartWindow: 9,
      maxMemory: 1024 ** 3,
      memoryCheckInterval: 100,
    });
    expect(config.dashboard).toEqual({ port: 9200, host: '::1' });
    expect(resolveWith(flags(), { CLUSTERCHART_DASHBOARD: 'true' }).dashboard).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(resolveWith(flags('--dashboard'), { CLUSTERCHART_DASHBOARD: 'off' }).dashboard).toMatchObject({ port: 9464 });
    // 0 is a port, as with --dashboard 0 and in a config file: a free one.
    expect(resolveWith(flags(), { CLUSTERCHART_DASHBOARD: '0' }).dashboard).toEqual({ port: 0, host: '127.0.0.1' });
    expect(resolveWith(flags(), { CLUSTERCHART_DASHBOARD: 'no' }).dashboard).toBeNull();
    expect(resolveWith(flags(), { CLUSTERCHART_SIZE: '' }).settings.size).toBe(3);
  });

  it('logPrefix: off by default; a file, CLUSTERCHART_LOG_PREFIX and --log-prefix switch it, later layers winning', () => {
    expect(resolveWith(flags()).logPrefix).toBe(false);
    file({ logPrefix: true });
    expect(resolveWith(flags()).logPrefix).toBe(true);
    expect(resolveWith(flags(), { CLUSTERCHART_LOG_PREFIX: 'off' }).logPrefix).toBe(false);
    expect(resolveWith(flags('--log-prefix'), { CLUSTERCHART_LOG_PREFIX: '0' }).logPrefix).toBe(true);
    for (const on of ['true', 'ON', 'yes', '1']) expect(resolveWith(flags(), { CLUSTERCHART_LOG_PREFIX: on }).logPrefix, on).toBe(true);
    expect(errorOf(() => resolveWith(flags(), { CLUSTERCHART_LOG_PREFIX: 'maybe' }))).toMatchObject({
      code: 'CC_ERR_OPTION_INVALID',
      message: expect.stringContaining('CLUSTERCHART_LOG_PREFIX'),
    });
    file({ logPrefix: 'yes' });
    expect(errorOf(() => resolveWith(flags()))).toMatchObject({ code: 'CC_ERR_CONFIG_INVALID', message: expect.stringContaining('logPrefix must be true or false, got "yes"') });
  });

  it('invalid values fail with CC_ERR_OPTION_INVALID naming the flag, variable or file', () => {
    expect(errorOf(() => resolveWith(flags('--shutdown-timeout', '-5')))).toMatchObject({
      code: 'CC_ERR_OPTION_INVALID',
      details: { option: '--shutdown-timeout' },
    });
    expect(errorOf(() => resolveWith(flags(), { CLUSTERCHART_SIZE: '-1' }))).toMatchObject({
      code: 'CC_ERR_OPTION_INVALID',
      details: { option: 'CLUSTERCHART_SIZE' },
    });
    expect(errorOf(() => resolveWith(flags(), { CLUSTERCHART_SIZE: 'many' }))).toMatchObject({ code: 'CC_ERR_OPTION_INVALID' });
    expect(errorOf(() => resolveWith(flags('--ready-on', 'soon')))).toMatchObject({ code: 'CC_ERR_OPTION_INVALID', details: { option: '--ready-on' } });
    expect(errorOf(() => resolveWith(flags('--restart-concurrency', '0')))).toMatchObject({ code: 'CC_ERR_OPTION_INVALID' });
    file({ restartWindow: true });
    const error = errorOf(() => resolveWith(flags()));
    expect(error).toMatchObject({ code: 'CC_ERR_OPTION_INVALID', details: { option: 'restartWindow (clusterchart.config.json)' } });
    expect(error.message).toContain('clusterchart.config.json');
  });

  it('checks rules between settings only once merged', () => {
    file({ throttleDelay: 60_000 });
    expect(resolveWith(flags('--max-throttle-delay', '2m')).settings).toMatchObject({ throttleDelay: 60_000, maxThrottleDelay: 120_000 });
    expect(errorOf(() => resolveWith(flags()))).toMatchObject({ code: 'CC_ERR_OPTION_INVALID', details: { option: 'throttleDelay (clusterchart.config.json)' } });
  });

  it('a throttleDelay above the default cap blames throttleDelay where it was set, and says the cap', () => {
    const reason = 'expected at most maxThrottleDelay (30000 ms by default), got 40000; raise maxThrottleDelay too';
    expect(errorOf(() => resolveWith(flags('--throttle-delay', '40000')))).toMatchObject({
      code: 'CC_ERR_OPTION_INVALID',
      message: `Option --throttle-delay is invalid: ${reason}.`,
    });
    expect(errorOf(() => resolveWith(flags(), { CLUSTERCHART_THROTTLE_DELAY: '40s' }))).toMatchObject({ details: { option: 'CLUSTERCHART_THROTTLE_DELAY', reason } });
    pkg({ throttleDelay: 40_000 });
    expect(errorOf(() => resolveWith(flags()))).toMatchObject({ details: { option: 'throttleDelay (package.json "clusterchart")', reason } });
    // A cap given below the delay is the cap's fault, named where the cap was set.
    expect(errorOf(() => resolveWith(flags(), { CLUSTERCHART_MAX_THROTTLE_DELAY: '10s' }))).toMatchObject({
      details: { option: 'CLUSTERCHART_MAX_THROTTLE_DELAY', reason: 'must be ≥ throttleDelay (40000)' },
    });
  });

  it('size null (createControl\'s "keep what runs") is refused for run, naming the file', () => {
    const reason = "expected a whole number from 0 to 1024 or 'cpus', got null (leave size out for the default, cpus)";
    file({ size: null });
    expect(errorOf(() => resolveWith(flags()))).toMatchObject({
      code: 'CC_ERR_OPTION_INVALID',
      message: `Option size (clusterchart.config.json) is invalid: ${reason}.`,
    });
    rmSync(join(dir, 'clusterchart.config.json'));
    pkg({ size: null });
    expect(errorOf(() => resolveWith(flags()))).toMatchObject({ code: 'CC_ERR_OPTION_INVALID', details: { option: 'size (package.json "clusterchart")', reason } });
    // Even when a later layer would set it: the file is wrong either way.
    expect(errorOf(() => resolveWith(flags('--size', '2')))).toMatchObject({ code: 'CC_ERR_OPTION_INVALID' });
  });

  it('unknown keys and malformed files are configuration errors', () => {
    file({ sizes: 2 });
    expect(errorOf(() => resolveWith(flags()))).toMatchObject({ code: 'CC_ERR_CONFIG_UNKNOWN_KEY', message: expect.stringContaining('(did you mean size?)') });
    file('{ size: 2 ');
    expect(errorOf(() => resolveWith(flags()))).toMatchObject({ code: 'CC_ERR_CONFIG_INVALID' });
    file('[1]');
    expect(errorOf(() => resolveWith(flags()))).toMatchObject({ code: 'CC_ERR_CONFIG_INVALID' });
    file({ env: { A: { nested: true } } });
    expect(errorOf(() => resolveWith(flags()))).toMatchObject({ code: 'CC_ERR_CONFIG_INVALID' });
    file({ control: 5 });
    expect(errorOf(() => resolveWith(flags()))).toMatchObject({ code: 'CC_ERR_CONFIG_INVALID' });
    rmSync(join(dir, 'clusterchart.config.json'));
    pkg('four');
    expect(errorOf(() => resolveWith(flags()))).toMatchObject({ code: 'CC_ERR_CONFIG_INVALID' });
  });

  it('a misspelled CLUSTERCHART_ variable gets a warning; the app\'s own and the workers\' do not', () => {
    const env = {
      CLUSTERCHART_SIZ: '2',
      clusterchart_shutdown_timeout: '5s',
      CLUSTERCHART_SIZE: '3',
      CLUSTERCHART_ID: '1',
      CLUSTERCHART_SLOT: '0',
      CLUSTERCHART_FEATURE_FLAGS: 'on',
      PATH: '/bin',
    };
    expect(envWarnings(env)).toEqual([
      'CLUSTERCHART_SIZ is not a clusterchart variable (did you mean CLUSTERCHART_SIZE?); it is ignored',
      'clusterchart_shutdown_timeout is not a clusterchart variable (did you mean CLUSTERCHART_SHUTDOWN_TIMEOUT?); it is ignored',
    ]);
    expect(resolveWith(flags(), env).settings.size).toBe(3);
  });

  it('file values may be strings with units, and dashboard true or a port', () => {
    file({ size: 'cpus', startupTimeout: '1m', dashboard: true, dashboardHost: '0.0.0.0' });
    expect(resolveWith(flags())).toMatchObject({ settings: { size: 3, startupTimeout: 60_000 }, dashboard: { port: 9464, host: '0.0.0.0' } });
    file({ dashboard: 8123 });
    expect(resolveWith(flags()).dashboard).toEqual({ port: 8123, host: '127.0.0.1' });
  });
});

describe('control path of remote commands', () => {
  it('flag > CLUSTERCHART_CONTROL > config file > package.json > default', () => {
    expect(resolveControlPath(undefined, { cwd: dir, env: {} })).toBe('./clusterchart.sock');
    pkg({ control: 'pkg.sock' });
    expect(resolveControlPath(undefined, { cwd: dir, env: {} })).toBe('pkg.sock');
    file({ control: 'file.sock', shutdownTimeout: 'never' });
    expect(resolveControlPath(undefined, { cwd: dir, env: {} })).toBe('file.sock');
    expect(resolveControlPath(undefined, { cwd: dir, env: { CLUSTERCHART_CONTROL: 'env.sock' } })).toBe('env.sock');
    expect(resolveControlPath('flag.sock', { cwd: dir, env: { CLUSTERCHART_CONTROL: 'env.sock' } })).toBe('flag.sock');
  });
});
