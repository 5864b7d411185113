/**
 * Reads a machine definition (`machine.root` and its state nodes) into a plain chart: the
 * tree of states and the list of transitions that change state, each with a label. The
 * formatters (Mermaid, DOT) draw only this model, so they never touch XState internals.
 *
 * Order is the definition's own order (states as declared, transitions as declared per
 * state, then `after`, then `always`), which is stable: the same definition always gives
 * the same chart, and a drift test can compare output byte for byte.
 *
 * Folded on purpose: transitions without a target (they run actions but do not change
 * state: the routing of cluster facts, `control.reconcile`, command fan-out). Drawn
 * as self-loops they would clutter every state and say nothing about the lifecycle.
 */
import type { AnyStateMachine } from 'xstate';

export type ChartStateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface ChartState {
  /** Dotted path from the root (`online.ready`); `''` for the root. */
  path: string;
  /** The state's own key (`ready`); the machine id for the root. */
  key: string;
  type: ChartStateType;
  /** Path of the initial child of a compound state; null otherwise. */
  initial: string | null;
  children: ChartState[];
}

export type ChartTrigger =
  | { kind: 'event'; event: string }
  | { kind: 'after'; delay: string }
  | { kind: 'always' };

export interface ChartTransition {
  /** Path of the state that declares the transition. */
  source: string;
  /** Path of the target state. A transition with several targets gives one entry each. */
  target: string;
  trigger: ChartTrigger;
  /** The guard as text (`atSize`, `!atSize`, `a && b`), or null. */
  guard: string | null;
  /** The source is exited and re-entered even when the target is inside it. */
  reenter: boolean;
  /** What a diagram writes on the edge: `cluster.exit`, `after shutdownTimeout [g]`, `always [g]`. */
  label: string;
}

export interface Chart {
  /** The machine id (`worker`, `control`). */
  id: string;
  root: ChartState;
  transitions: ChartTransition[];
}

/** The parts of an XState StateNode the reader uses. */
interface NodeLike {
  key: string;
  path: string[];
  type: ChartStateType;
  states: Record<string, NodeLike>;
  initial?: { target: readonly NodeLike[] };
  transitions: Map<string, readonly TransitionLike[]>;
  after: ReadonlyArray<TransitionLike & { delay: unknown; eventType: string }>;
  always?: readonly TransitionLike[];
}

interface TransitionLike {
  target: readonly NodeLike[] | undefined;
  guard?: unknown;
  reenter: boolean;
}

/** Reads the chart of a machine from its definition. */
export function readChart(machine: AnyStateMachine): Chart {
  const root = machine.root as unknown as NodeLike;
  const transitions: ChartTransition[] = [];
  const visit = (node: NodeLike): ChartState => {
    const delayed = new Set(node.after.map((t) => t.eventType));
    for (const [event, list] of node.transitions) {
      if (delayed.has(event)) continue;
      for (const t of list) add(transitions, node, t, { kind: 'event', event });
    }
    for (const t of node.after) add(transitions, node, t, { kind: 'after', delay: delayName(t.delay) });
    for (const t of node.always ?? []) add(transitions, node, t, { kind: 'always' });
    const children = Object.values(node.states).map(visit);
    const initialTarget = node.type === 'compound' ? node.initial?.target[0] : undefined;
    return {
      path: pathOf(node),
      key: node.path.length === 0 ? machine.id : node.key,
      type: node.type,
      initial: initialTarget === undefined ? null : pathOf(initialTarget),
      children,
    };
  };
  return { id: machine.id, root: visit(root), transitions };
}

function add(into: ChartTransition[], node: NodeLike, t: TransitionLike, trigger: ChartTrigger): void {
  if (t.target === undefined || t.target.length === 0) return;
  const guard = t.guard === undefined ? null : guardText(t.guard);
  for (const target of t.target) {
    into.push({
      source: pathOf(node),
      target: pathOf(target),
      trigger,
      guard,
      reenter: t.reenter,
      label: labelOf(trigger, guard, t.reenter),
    });
  }
}

const pathOf = (node: NodeLike) => node.path.join('.');

function delayName(delay: unknown): string {
  if (typeof delay === 'number') return `${delay}ms`;
  if (typeof delay === 'string') return delay;
  return 'delay';
}

function labelOf(trigger: ChartTrigger, guard: string | null, reenter: boolean): string {
  const head = trigger.kind === 'event' ? trigger.event : trigger.kind === 'after' ? `after ${trigger.delay}` : 'always';
  return `${head}${guard === null ? '' : ` [${guard}]`}${reenter ? ' (reenter)' : ''}`;
}

/**
 * A guard as text: named guards by name, XState's higher-order guards (`not`, `and`, `or`,
 * `stateIn`) spelled out, and inline functions as `inline` (they have no name worth showing:
 * name the guard in `setup()` to see it in the diagram).
 */
export function guardText(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const fn = guard as { name: string; guards?: unknown[]; stateValue?: unknown; check?: unknown };
    if (fn.check !== undefined && Array.isArray(fn.guards)) {
      const parts = fn.guards.map(guardText);
      if (fn.name === 'not') return `!${wrap(parts[0] ?? '')}`;
      if (fn.name === 'and') return parts.map(wrap).join(' && ');
      if (fn.name === 'or') return parts.map(wrap).join(' || ');
    }
    if (fn.check !== undefined && fn.stateValue !== undefined) return `in(${typeof fn.stateValue === 'string' ? fn.stateValue : JSON.stringify(fn.stateValue)})`;
    return 'inline';
  }
  if (typeof guard === 'object' && guard !== null && typeof (guard as { type?: unknown }).type === 'string') {
    return (guard as { type: string }).type;
  }
  return 'inline';
}

const wrap = (text: string) => (/[ &|]/.test(text) ? `(${text})` : text);

/** Transitions between the same two states, in first-seen order: one edge each in a picture. */
export interface ChartEdge {
  source: string;
  target: string;
  labels: string[];
}

export function edgesOf(chart: Chart): ChartEdge[] {
  const edges = new Map<string, ChartEdge>();
  for (const t of chart.transitions) {
    const key = `${t.source}\u0000${t.target}`;
    const edge = edges.get(key);
    if (edge === undefined) edges.set(key, { source: t.source, target: t.target, labels: [t.label] });
    else edge.labels.push(t.label);
  }
  return [...edges.values()];
}

/** Every state of the chart, depth first in definition order (the root first). */
export function statesOf(chart: Chart): ChartState[] {
  const out: ChartState[] = [];
  const walk = (state: ChartState) => {
    out.push(state);
    state.children.forEach(walk);
  };
  walk(chart.root);
  return out;
}

/** Paths of the atomic and final states: the values a running actor can be in, dotted. */
export function leafPaths(chart: Chart): string[] {
  return statesOf(chart)
    .filter((s) => s.children.length === 0 && s.path !== '')
    .map((s) => s.path);
}
