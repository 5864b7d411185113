import { expect, test } from 'vitest';
import { defaultSettings, normalizeSettings } from '../src/options.js';

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
  [{ throttleDelay: Infinity }, 'throttleDelay'],
  [{ readyOn: 'soon' }, 'readyOn'],
  [{ restartConcurrency: 0 }, 'restartConcurrency'],
  [{ maxRestarts: -1 }, 'maxRestarts'],
  [{ throttleDelay: 100, maxThrottleDelay: 50 }, 'maxThrottleDelay'],
])('%j is refused, naming %s', (input, option) => {
  expect(() => normalizeSettings(input as never)).toThrow(expect.objectContaining({ code: 'CC_ERR_OPTION_INVALID', details: expect.objectContaining({ option }) }));
});
