/**
 * The machines clusterchart draws, by the name `npm run diagrams`, the README markers and
 * `clusterchart diagram <name>` use, with the layout each reads best in.
 */
import type { AnyStateMachine } from 'xstate';
import { controlMachine } from '../machines/control.machine.js';
import { workerMachine } from '../machines/worker.machine.js';
import type { DotOptions } from './to-dot.js';

export const diagramNames = ['worker', 'control'] as const;
export type DiagramName = (typeof diagramNames)[number];

export const diagramMachines: Readonly<Record<DiagramName, { machine: AnyStateMachine; dot: DotOptions }>> = {
  worker: { machine: workerMachine, dot: { rankdir: 'TB' } },
  control: { machine: controlMachine, dot: { rankdir: 'TB' } },
};
