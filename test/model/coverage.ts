/**
 * Model coverage: the states and transitions each machine defines (walked from
 * `machine.root`: `node.transitions`, which holds the `after` ones too, and `node.always`)
 * against those the runtime actually took while the generated paths ran (read from XState's
 * inspection events, so a transition counts only when the real actor took it).
 * A transition is (source, event, index among that source's transitions for the event,
 * targets); targetless transitions (actions only) are transitions too.
 */
import type { AnyStateMachine, AnyStateNode, InspectionEvent } from 'xstate';
import { controlMachine } from '../../src/machines/control.machine.js';
import { workerMachine } from '../../src/machines/worker.machine.js';

type MachineName = 'worker' | 'control';

interface TransitionLike {
  source: AnyStateNode;
  eventType: string;
  target?: readonly AnyStateNode[] | undefined;
}

const eventName = (eventType: string) => {
  if (eventType === '') return 'always';
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  return after === null ? eventType : `after ${after[1]}`;
};

export function transitionKey(t: TransitionLike): string {
  const list = t.eventType === '' ? (t.source.always ?? []) : (t.source.transitions.get(t.eventType) ?? []);
  const index = (list as readonly unknown[]).indexOf(t);
  const targets = (t.target ?? []).map((n) => n.id).join(',') || '(targetless)';
  const guard = list.length > 1 ? `[${index}]` : '';
  return `${t.source.id} --${eventName(t.eventType)}${guard}--> ${targets}`;
}

function walk(node: AnyStateNode, states: string[], transitions: string[]): void {
  if (node.type === 'atomic' || node.type === 'final') states.push(node.id);
  for (const list of node.transitions.values()) for (const t of list) transitions.push(transitionKey(t as TransitionLike));
  for (const t of node.always ?? []) transitions.push(transitionKey(t as TransitionLike));
  for (const child of Object.values(node.states)) walk(child as AnyStateNode, states, transitions);
}

export function defined(machine: AnyStateMachine): { states: string[]; transitions: string[] } {
  const states: string[] = [];
  const transitions: string[] = [];
  walk(machine.root, states, transitions);
  return { states, transitions };
}

const machines: Record<MachineName, AnyStateMachine> = { worker: workerMachine, control: controlMachine };

/** Collects what the runtime's actors did, through `createControl({ inspect })`. */
export class CoverageRecorder {
  readonly states: Record<MachineName, Set<string>> = { worker: new Set(), control: new Set() };
  readonly transitions: Record<MachineName, Set<string>> = { worker: new Set(), control: new Set() };

  readonly inspect = (event: InspectionEvent): void => {
    if (event.type === '@xstate.microstep') {
      for (const t of event._transitions as unknown as TransitionLike[]) this.transitions[machineOf(t.source)].add(transitionKey(t));
    }
    if (event.type === '@xstate.snapshot' || event.type === '@xstate.microstep') {
      const snapshot = event.snapshot as { _nodes?: AnyStateNode[] };
      for (const node of snapshot._nodes ?? []) {
        if (node.type === 'atomic' || node.type === 'final') this.states[machineOf(node)].add(node.id);
      }
    }
  };

  merge(other: CoverageRecorder): void {
    for (const name of ['worker', 'control'] as const) {
      for (const s of other.states[name]) this.states[name].add(s);
      for (const t of other.transitions[name]) this.transitions[name].add(t);
    }
  }

  report(): { line: string; missing: string[]; complete: boolean } {
    const parts: string[] = [];
    const missing: string[] = [];
    for (const name of ['worker', 'control'] as const) {
      const def = defined(machines[name]);
      const states = def.states.filter((s) => this.states[name].has(s));
      const transitions = def.transitions.filter((t) => this.transitions[name].has(t));
      parts.push(`${name} states ${states.length}/${def.states.length} transitions ${transitions.length}/${def.transitions.length}`);
      missing.push(...def.states.filter((s) => !this.states[name].has(s)).map((s) => `state ${s}`));
      missing.push(...def.transitions.filter((t) => !this.transitions[name].has(t)).map((t) => `transition ${t}`));
    }
    return { line: `model coverage: ${parts.join('; ')}`, missing, complete: missing.length === 0 };
  }
}

function machineOf(node: AnyStateNode): MachineName {
  return node.id.split('.')[0] === 'worker' ? 'worker' : 'control';
}
