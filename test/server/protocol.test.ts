/**
 * The argument schemas of the control protocol agree with the control on sizes: any size
 * outside 0…MAX_SIZE (1025 as much as 99999999), or no whole number, is refused with the
 * same CC_ERR_SERVER_BAD_ARGS message, in the words the control uses for its own check.
 * The control's own messages travel in the CLI's words (`clusterchart set-size`, not `setSize()`).
 */
import { expect, it } from 'vitest';
import { MAX_SIZE } from '../../src/options.js';
import { createError } from '../../src/errors.js';
import { commandsIn, parseArgs, toWireError } from '../../src/server/protocol.js';

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

it("a control's message travels in the CLI's words: each call of a control method becomes its command", () => {
  expect(commandsIn('Invalid argument to remove(): cannot take 3 workers away from a size of 2 (setSize(0) stops them all).')).toBe(
    'Invalid argument to `clusterchart remove`: cannot take 3 workers away from a size of 2 (`clusterchart set-size 0` stops them all).',
  );
  expect(commandsIn('The control is stopping; restart() needs it running.')).toBe('The control is stopping; `clusterchart restart` needs it running.');
  // Words that are no call, calls of what the CLI has no command for, and arguments a command does not take stay as they are.
  expect(commandsIn('The restart to generation 2 was abandoned; start() and stop({ force: true }) too.')).toBe('The restart to generation 2 was abandoned; start() and stop({ force: true }) too.');
});

it('a coded error goes on the wire in the CLI\'s words', () => {
  const error = createError('CC_ERR_CONTROL_STOPPED', { what: 'setSize()' });
  expect(toWireError(error, 'set-size')).toEqual({ code: 'CC_ERR_CONTROL_STOPPED', message: 'The control stopped before `clusterchart set-size` finished.' });
});
