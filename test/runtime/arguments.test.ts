/**
 * The control's methods called from plain JavaScript with what their types forbid: each
 * refuses it with CC_ERR_ARGUMENT_INVALID, naming the method and the value, and changes
 * nothing. The control's messages name its methods as called (`remove()`, `setSize(0)`).
 */
import { expect, test } from 'vitest';
import { simulate } from '../helpers/simulation.js';

/** Calls the control with arguments its types do not allow. */
const loose = <T>(value: T) => value as never;

test.each([
  ['shutdown(null)', 'shutdown', [null], "Invalid argument to shutdown(): expected a worker id (a whole number) or 'all', got null."],
  ["shutdown('1')", 'shutdown', ['1'], 'Invalid argument to shutdown(): expected a worker id (a whole number) or \'all\', got "1".'],
  ['terminate(1.5)', 'terminate', [1.5], "Invalid argument to terminate(): expected a worker id (a whole number) or 'all', got 1.5."],
  ["add('2')", 'add', ['2'], 'Invalid argument to add(): expected a whole number ≥ 0, got "2".'],
  ['remove(-1)', 'remove', [-1], 'Invalid argument to remove(): expected a whole number ≥ 0, got -1.'],
  ['stop([])', 'stop', [[]], 'Invalid argument to stop(): expected { force?: boolean }, got array.'],
  ["stop({ force: 'yes' })", 'stop', [{ force: 'yes' }], 'Invalid argument to stop(): force is true or false, got "yes".'],
  ['stop({ forse: true })', 'stop', [{ forse: true }], 'Invalid argument to stop(): unknown option forse (did you mean force?).'],
] as const)('%s is refused with a code', async (_, method, args, message) => {
  const s = simulate({ size: 2 });
  s.start();
  const before = s.snapshot().value;
  const call = (s.control[method] as (...a: unknown[]) => Promise<void>)(...args);
  await expect(call).rejects.toMatchObject({ code: 'CC_ERR_ARGUMENT_INVALID', message });
  s.advance(1000);
  expect(s.snapshot().value).toEqual(before);
  expect(s.ready()).toBe(2);
});

test.each([
  ['on', 'exitt', 'Invalid argument to on(): unknown event "exitt" (did you mean exit?).'],
  ['once', 'Ready', 'Invalid argument to once(): unknown event "Ready" (did you mean ready?).'],
  ['off', 42, 'Invalid argument to off(): unknown event 42.'],
] as const)('%s(%s) is refused: no such event', (method, type, message) => {
  const { control } = simulate();
  expect(() => control[method](loose(type), () => {})).toThrow(expect.objectContaining({ code: 'CC_ERR_ARGUMENT_INVALID', message }));
});

test('on() refuses a listener that is not a function', () => {
  const { control } = simulate();
  expect(() => control.on('exit', loose('log'))).toThrow(
    expect.objectContaining({ code: 'CC_ERR_ARGUMENT_INVALID', message: 'Invalid argument to on(): the listener of exit must be a function, got "log".' }),
  );
});

test("stop() takes what is not an object for no options: process.on('SIGTERM', control.stop) passes the signal's name", async () => {
  const s = simulate({ size: 1 });
  s.start();
  const stopped = s.control.stop(loose('SIGTERM'));
  s.advance(1000);
  await stopped;
  expect(s.snapshot().value).toBe('stopped');
  expect(s.of('stop')).toMatchObject([{ force: false }]);
});

test('the messages of the control name its methods as called: remove(), setSize(0), setSize() (the control server says the CLI command instead)', async () => {
  const s = simulate({ size: 2 });
  s.start();
  await expect(s.control.remove(3)).rejects.toMatchObject({
    code: 'CC_ERR_ARGUMENT_INVALID',
    message: 'Invalid argument to remove(): cannot take 3 workers away from a size of 2 (setSize(0) stops them all).',
  });
  await expect(s.control.add(1023)).rejects.toMatchObject({ code: 'CC_ERR_ARGUMENT_INVALID', message: 'Invalid argument to add(): the size would be 1025, more than 1024.' });
  const stopped = s.control.stop();
  s.advance(1000);
  await stopped;
  await expect(s.control.setSize(3)).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_NOT_RUNNING', message: 'The control is stopped; setSize() needs it running.' });
  await expect(s.control.restart()).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_NOT_RUNNING', message: 'The control is stopped; restart() needs it running.' });
});
