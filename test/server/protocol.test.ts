/**
 * The argument schemas of the control protocol agree with the control on sizes: any size
 * outside 0…MAX_SIZE (1025 as much as 99999999), or no whole number, is refused with the
 * same CC_ERR_SERVER_BAD_ARGS message, in the words the control uses for its own check.
 */
import { expect, it } from 'vitest';
import { MAX_SIZE } from '../../src/options.js';
import { parseArgs } from '../../src/server/protocol.js';

const refusal = (cmd: 'set-size' | 'add' | 'remove', args: unknown) => {
  try {
    parseArgs(cmd, args);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error(`${cmd} ${JSON.stringify(args)} was accepted`);
};

it('set-size takes 0 to MAX_SIZE or "cpus", and refuses anything else with one message', () => {
  expect(parseArgs('set-size', { size: MAX_SIZE })).toEqual({ size: MAX_SIZE });
  expect(parseArgs('set-size', { size: 0, wait: false })).toEqual({ size: 0, wait: false });
  expect(parseArgs('set-size', { size: 'cpus' })).toEqual({ size: 'cpus' });
  for (const [size, shown] of [
    [MAX_SIZE + 1, '1025'],
    [99_999_999, '99999999'],
    [-1, '-1'],
    [2.5, '2.5'],
    ['cpu', '"cpu"'],
    [null, 'null'],
  ] as const) {
    expect(refusal('set-size', { size })).toMatchObject({
      code: 'CC_ERR_SERVER_BAD_ARGS',
      message: `Invalid arguments for set-size: size: expected a whole number from 0 to 1024 or 'cpus', got ${shown}.`,
    });
  }
});

it('add and remove take a count from 0 to MAX_SIZE', () => {
  expect(parseArgs('add', { n: MAX_SIZE })).toEqual({ n: MAX_SIZE });
  expect(parseArgs('remove', {})).toEqual({});
  for (const cmd of ['add', 'remove'] as const) {
    for (const [n, shown] of [
      [MAX_SIZE + 1, '1025'],
      [99_999_999, '99999999'],
      ['two', '"two"'],
    ] as const) {
      expect(refusal(cmd, { n })).toMatchObject({
        code: 'CC_ERR_SERVER_BAD_ARGS',
        message: `Invalid arguments for ${cmd}: n: expected a whole number from 0 to 1024, got ${shown}.`,
      });
    }
  }
});
