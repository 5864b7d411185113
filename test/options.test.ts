import { expect, expectTypeOf, test } from 'vitest';
import {
  type SettingsInput,
  MAX_SIZE,
  checkControlOptions,
  clockMethods,
  defaultSettings,
  normalizeSettings,
  optionNames,
  portMethods,
  runtimeOptionNames,
} from '../src/options.js';
import { type Clock, systemClock } from '../src/runtime/clock.js';
import type { ClusterPort } from '../src/runtime/cluster-port.js';
import type { ControlOptions } from '../src/runtime/create-control.js';
import { createSimulatedCluster } from '../src/runtime/simulated-cluster.js';

test('defaults are declared once and frozen', () => {
  const settings = normalizeSettings();
  expect(settings).toEqual(defaultSettings);
  expect(Object.isFrozen(settings)).toBe(true);
  expect(settings).toMatchObject({
    shutdownTimeout: 5000, terminateTimeout: 5000, startupTimeout: 30000, minRestartAge: 2000, throttleDelay: 500,
    maxThrottleDelay: 30000, restartConcurrency: Infinity, restartProbation: 0, restartYield: 10, maxRestarts: 10, restartWindow: 60000, readyOn: 'listening',
  });
});

test("size 'cpus' is the machine's parallelism", () => {
  expect(normalizeSettings({ size: 'cpus' }, 6).size).toBe(6);
});

test('a size above MAX_SIZE is refused, a guard against a typo that would fork thousands at once', () => {
  expect(MAX_SIZE).toBe(1024);
  expect(normalizeSettings({ size: 1024 }).size).toBe(1024);
  expect(() => normalizeSettings({ size: 10_000 })).toThrow(expect.objectContaining({ code: 'CC_ERR_OPTION_INVALID', message: expect.stringContaining('from 0 to 1024') }));
});

test('throttleDelay above maxThrottleDelay blames the one that was given', () => {
  expect(() => normalizeSettings({ throttleDelay: 40_000 })).toThrow(
    expect.objectContaining({
      code: 'CC_ERR_OPTION_INVALID',
      details: { option: 'throttleDelay', reason: 'expected at most maxThrottleDelay (30000 ms by default), got 40000; raise maxThrottleDelay too' },
    }),
  );
  expect(() => normalizeSettings({ throttleDelay: 40_000, maxThrottleDelay: 35_000 })).toThrow(
    expect.objectContaining({ details: { option: 'maxThrottleDelay', reason: 'must be ≥ throttleDelay (40000)' } }),
  );
  expect(() => normalizeSettings({ maxThrottleDelay: 100 })).toThrow(expect.objectContaining({ details: { option: 'maxThrottleDelay', reason: 'must be ≥ throttleDelay (500)' } }));
  expect(normalizeSettings({ throttleDelay: 40_000, maxThrottleDelay: 40_000 })).toMatchObject({ throttleDelay: 40_000 });
});

test('Infinity turns give-up off', () => {
  expect(normalizeSettings({ maxRestarts: Infinity }).maxRestarts).toBe(Infinity);
});

test('restartConcurrency is a whole number ≥ 1, or Infinity (all at once, the default)', () => {
  expect(normalizeSettings({ restartConcurrency: 3 }).restartConcurrency).toBe(3);
  expect(normalizeSettings({ restartConcurrency: Infinity }).restartConcurrency).toBe(Infinity);
  for (const bad of [0, 1.5, Number.NaN, -Infinity]) expect(() => normalizeSettings({ restartConcurrency: bad })).toThrow(/restartConcurrency/);
});

test('restartYield is a nice increment from 0 (leave priorities alone) to 19', () => {
  expect(normalizeSettings({ restartYield: 0 }).restartYield).toBe(0);
  expect(normalizeSettings({ restartYield: 19 }).restartYield).toBe(19);
  for (const bad of [-1, 20, 2.5, Infinity, Number.NaN]) expect(() => normalizeSettings({ restartYield: bad })).toThrow(/restartYield/);
});

test.each([
  [{ size: -1 }, 'size'],
  [{ size: 1.5 }, 'size'],
  [{ size: 'many' }, 'size'],
  [{ shutdownTimeout: Number.NaN }, 'shutdownTimeout'],
  [{ terminateTimeout: -5 }, 'terminateTimeout'],
  [{ startupTimeout: 0 }, 'startupTimeout'],
  [{ startupTimeout: -1 }, 'startupTimeout'],
  [{ throttleDelay: Infinity }, 'throttleDelay'],
  [{ readyOn: 'soon' }, 'readyOn'],
  [{ restartConcurrency: 0 }, 'restartConcurrency'],
  [{ maxRestarts: -1 }, 'maxRestarts'],
  [{ throttleDelay: 100, maxThrottleDelay: 50 }, 'maxThrottleDelay'],
])('%j is refused, naming %s', (input, option) => {
  expect(() => normalizeSettings(input as never)).toThrow(expect.objectContaining({ code: 'CC_ERR_OPTION_INVALID', details: expect.objectContaining({ option }) }));
});

test('the lists in options.ts match ControlOptions, ClusterPort and Clock', () => {
  expectTypeOf<(typeof runtimeOptionNames)[number]>().toEqualTypeOf<Exclude<keyof ControlOptions, keyof SettingsInput>>();
  expectTypeOf<keyof typeof defaultSettings>().toEqualTypeOf<keyof SettingsInput>();
  // Every method a port must have; `rss` is optional.
  expectTypeOf<(typeof portMethods)[number]>().toEqualTypeOf<Exclude<keyof ClusterPort, 'rss'>>();
  expectTypeOf<(typeof clockMethods)[number]>().toEqualTypeOf<keyof Clock>();
  expect(new Set(optionNames).size).toBe(optionNames.length);
});

test('valid control options pass, every known option given', () => {
  const sim = createSimulatedCluster();
  const options: Required<ControlOptions> = {
    ...defaultSettings,
    exec: '/srv/app.js',
    args: ['--port', '8080'],
    execArgv: ['--no-warnings'],
    env: { PORT: '8080', UNSET: undefined },
    agent: true,
    signals: false,
    inspect: () => {},
    port: sim,
    clock: sim.clock,
  };
  expect(Object.keys(options).sort()).toEqual([...optionNames].sort());
  expect(() => checkControlOptions(options)).not.toThrow();
});

test.each<[string, unknown]>([
  ['no options', undefined],
  ['empty options', {}],
  ['options set to undefined (not given)', { exec: undefined, env: undefined, inspect: undefined, port: undefined, size: undefined }],
  ['a function env', { env: (slot: number) => ({ SLOT: String(slot) }) }],
  ['an observer inspect with next', { inspect: { next: () => {} } }],
  ['an observer inspect with only complete', { inspect: { complete: () => {} } }],
  ['the system clock', { clock: systemClock }],
  ['empty args and execArgv', { args: [], execArgv: [] }],
])('%s passes', (_, options) => {
  expect(() => checkControlOptions(options)).not.toThrow();
});

/** Asserts the coded error, its `option`, and that the message names the option. */
function expectRefused(options: unknown, option: string, reason?: string) {
  let error: unknown;
  try {
    checkControlOptions(options);
  } catch (thrown) {
    error = thrown;
  }
  expect(error).toMatchObject({ code: 'CC_ERR_OPTION_INVALID', details: { option, ...(reason === undefined ? {} : { reason: expect.stringContaining(reason) }) } });
  expect((error as Error).message).toContain(`Option ${option} is invalid`);
}

const partialPort = () => {
  const { stats: _, ...rest } = createSimulatedCluster();
  return rest;
};

test.each<[string, unknown, string]>([
  ['options null', null, 'options'],
  ['options a number', 42, 'options'],
  ['options a string', 'size=2', 'options'],
  ['options an array', [], 'options'],
  ['exec a number', { exec: 42 }, 'exec'],
  ['exec empty', { exec: '' }, 'exec'],
  ['args a string', { args: 'foo' }, 'args'],
  ['args with a number', { args: ['--port', 8080] }, 'args'],
  ['execArgv a string', { execArgv: '--no-warnings' }, 'execArgv'],
  ['execArgv with null', { execArgv: [null] }, 'execArgv'],
  ['env a string', { env: 'PORT=1' }, 'env'],
  ['env an array', { env: ['PORT=1'] }, 'env'],
  ['env null', { env: null }, 'env'],
  ['env with a number', { env: { PORT: 8080 } }, 'env'],
  ['agent a string', { agent: 'yes' }, 'agent'],
  ['agent a number', { agent: 1 }, 'agent'],
  ['signals a string', { signals: 'no' }, 'signals'],
  ['inspect a string', { inspect: 'yes' }, 'inspect'],
  ['inspect an empty object', { inspect: {} }, 'inspect'],
  ['inspect with next not a function', { inspect: { next: 'log' } }, 'inspect'],
  ['inspect with a function and a non-function', { inspect: { next: () => {}, error: true } }, 'inspect'],
  ['port an empty object', { port: {} }, 'port'],
  ['port a string', { port: 'cluster' }, 'port'],
  ['port without stats', { port: partialPort() }, 'port'],
  ['clock an empty object', { clock: {} }, 'clock'],
  ['clock without clearTimeout', { clock: { now: () => 0, setTimeout: () => 0 } }, 'clock'],
  ['an unknown key', { color: 'red' }, 'color'],
])('%s is refused', (_, options, option) => {
  expectRefused(options, option);
});

test('an unknown key is refused with the known option it is obviously a typo of', () => {
  expectRefused({ shutdowntimeout: 1000 }, 'shutdowntimeout', 'did you mean shutdownTimeout?');
  expectRefused({ SIZE: 2 }, 'SIZE', 'did you mean size?');
  expectRefused({ restratWindow: 1000 }, 'restratWindow', 'did you mean restartWindow?');
  expectRefused({ execArg: [] }, 'execArg', 'did you mean execArgv?');
  expectRefused({ color: 'red' }, 'color', 'known options: size, readyOn,');
});
