/**
 * Every event a control emits, by name, as a value: `on()` checks the names it is given
 * against it, and the control server forwards them all. The type below proves it complete.
 */
import type { ControlEventType } from './create-control.js';

export const controlEventTypes = [
  'start',
  'stop',
  'stopped',
  'setSize',
  'resize',
  'fork',
  'online',
  'listening',
  'ready',
  'disconnect',
  'exit',
  'message',
  'startRestart',
  'restart',
  'restartAbandoned',
  'shutdown',
  'memoryLimit',
  'terminate',
  'kill',
  'danger',
  'safe',
  'giveup',
  'transition',
  'error',
] as const satisfies readonly ControlEventType[];

type MissingEventTypes = Exclude<ControlEventType, (typeof controlEventTypes)[number]>;
// Fails to compile when the control gains an event the list above does not name.
const allEventTypesListed: MissingEventTypes extends never ? true : MissingEventTypes = true;
void allEventTypesListed;
