/**
 * The order a diagram lays a chart out in, top to bottom: among the children of a compound
 * state, the initial one first, then the others in the order transitions lead to them; the
 * regions of a parallel state as declared. A transition that goes
 * against this order is a back edge, and the diagram draws it reversed, so that Graphviz
 * never has to guess which edge of a cycle goes back (it guessed `idle → restarting`, and
 * drew the rollout upside down).
 *
 * Positions nest like the states: a state's `first` comes before everything inside it and
 * its `last` after, so an edge from `last` of one state to `first` of a later one always
 * goes forward.
 */
import { type Chart, type ChartEdge, type ChartState } from './read-chart.js';

export interface FlowPosition {
  first: number;
  last: number;
}

export function flowOrder(chart: Chart, edges: readonly ChartEdge[]): Map<string, FlowPosition> {
  const positions = new Map<string, FlowPosition>();
  let next = 0;
  const place = (state: ChartState) => {
    const first = next++;
    for (const child of orderedChildren(state, edges)) place(child);
    positions.set(state.path, { first, last: next++ });
  };
  place(chart.root);
  return positions;
}

function orderedChildren(state: ChartState, edges: readonly ChartEdge[]): ChartState[] {
  if (state.type === 'parallel' || state.initial === null) return state.children;
  const childOf = (path: string) => state.children.find((c) => path === c.path || path.startsWith(`${c.path}.`));
  // Reverse postorder of a depth-first walk from the initial child: each child comes after
  // every child that leads to it, except along a cycle, and a state that ends things (exited)
  // comes last.
  const seen = new Set<ChartState>();
  const done: ChartState[] = [];
  const walk = (child: ChartState | undefined) => {
    if (child === undefined || seen.has(child)) return;
    seen.add(child);
    for (const edge of edges) if (childOf(edge.source) === child) walk(childOf(edge.target));
    done.push(child);
  };
  walk(childOf(state.initial));
  const reached = done.reverse();
  return [...reached, ...state.children.filter((c) => !reached.includes(c))];
}
