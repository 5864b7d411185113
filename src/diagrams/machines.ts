/**
 * The machines clusterchart draws, by their names in `choices.ts`, with the layout each reads
 * best in.
 */
import type { AnyStateMachine } from 'xstate';
import { controlMachine } from '../machines/control.machine.js';
import { workerMachine } from '../machines/worker.machine.js';
import type { DiagramName } from './choices.js';
import type { DotOptions } from './to-dot.js';

export const diagramMachines: Readonly<Record<DiagramName, { machine: AnyStateMachine; dot: DotOptions }>> = {
  worker: { machine: workerMachine, dot: { rankdir: 'TB' } },
  control: { machine: controlMachine, dot: { rankdir: 'TB' } },
};
