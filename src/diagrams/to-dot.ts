/**
 * A chart as Graphviz DOT. Atomic and final states are nodes (final ones with a double
 * border); compound and parallel states are clusters (a parallel state's regions dashed),
 * each compound one with a dot for its initial state.
 *
 * An edge into a cluster ends at its top (the initial dot, or an unseen entry above a
 * parallel state's regions) and an edge out of it starts at an unseen exit below everything
 * inside it, both clipped at the border (`compound=true`, `ltail`, `lhead`): what the cluster
 * leads to is ranked below it, so the edge and its label are drawn outside the cluster, where
 * they can be seen, and read as leaving the whole state. A back edge (see flow-order.ts) is
 * drawn reversed, so it leaves a cluster at its top and enters one at its bottom. An edge from
 * a compound state into its own inside starts at an unseen port at its top, not at the
 * initial dot, which would say that it leaves the initial pseudostate.
 *
 * Every state's SVG element gets the id `state:<path>` and the class `state`, so a page
 * can find and mark the states a running actor is in (the dashboard does).
 */
import { flowOrder } from './flow-order.js';
import { type Chart, type ChartEdge, type ChartState, edgesOf, statesOf } from './read-chart.js';

export const rankdirs = ['TB', 'LR'] as const;
export type Rankdir = (typeof rankdirs)[number];

export interface DotOptions {
  /** Graphviz `rankdir`. Default `TB`. */
  rankdir?: Rankdir;
}

/** Prefix of the SVG ids of state elements: `state:online.ready`. */
export const stateIdPrefix = 'state:';

export function toDot(chart: Chart, options: DotOptions = {}): string {
  const byPath = new Map(statesOf(chart).map((s) => [s.path, s]));
  const out: string[] = [
    `digraph ${quote(chart.id)} {`,
    `  // ${chart.id} machine; generated from its definition by clusterchart's createDiagram: do not edit`,
    `  graph [compound=true, rankdir=${options.rankdir ?? 'TB'}, fontname="Helvetica", fontsize=12, nodesep=0.35, ranksep=0.45, pad=0.2];`,
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#444444", fontname="Helvetica", fontsize=11, height=0.35];',
    '  edge [fontname="Helvetica", fontsize=9, color="#555555", fontcolor="#333333", arrowsize=0.7];',
  ];

  const edges = edgesOf(chart).filter((t) => byPath.has(t.source) && byPath.has(t.target));
  const order = flowOrder(chart, edges);
  const drawn = edges.map((t) => drawnEdge(byPath, order, t));
  const used = new Set(drawn.flatMap((d) => [d.tail, d.head]));

  const declare = (state: ChartState, depth: number, region: boolean) => {
    const pad = '  '.repeat(depth);
    const attrs = `id=${quote(stateIdPrefix + state.path)}, class="state ${state.type}"`;
    if (state.children.length === 0) {
      const extra = state.type === 'final' ? ', peripheries=2' : '';
      out.push(`${pad}${quote(state.path)} [label=${quote(state.key)}, ${attrs}${extra}];`);
      return;
    }
    const style = region ? 'rounded,dashed' : state.type === 'parallel' ? 'rounded,bold' : 'rounded';
    const label = state.type === 'parallel' ? `${state.key} (parallel)` : state.key;
    out.push(`${pad}subgraph ${quote(clusterOf(state.path))} {`);
    out.push(`${pad}  graph [label=${quote(label)}, ${attrs}, style=${quote(style)}, color="#888888", labeljust=l];`);
    children(state, depth + 1);
    out.push(`${pad}}`);
  };
  const children = (state: ChartState, depth: number) => {
    const pad = '  '.repeat(depth);
    if (state.initial !== null) out.push(`${pad}${quote(startOf(state.path))} [shape=point, width=0.1, fillcolor="#333333", label=""];`);
    for (const node of [entryOf(state.path), exitOf(state.path), portOf(state.path)]) if (used.has(node)) out.push(`${pad}${quote(node)} [${unseen}];`);
    for (const child of state.children) declare(child, depth, state.type === 'parallel');
  };

  children(chart.root, 1);
  for (const state of statesOf(chart)) {
    if (state.initial === null) continue;
    out.push(`  ${quote(startOf(state.path))} -> ${quote(top(byPath, state.initial))}${isCluster(byPath, state.initial) ? ` [lhead=${quote(clusterOf(state.initial))}]` : ''};`);
  }
  // Unseen edges that only rank the unseen nodes: an entry above the regions, an exit below
  // every state inside, a port above the initial state (weight 0: they must not pull the
  // layout sideways).
  for (const state of statesOf(chart)) {
    const inner = state.type === 'parallel' ? state.children.map((r) => r.path) : state.initial === null ? [] : [state.initial];
    if (used.has(entryOf(state.path))) for (const path of inner) out.push(`  ${quote(entryOf(state.path))} -> ${quote(top(byPath, path))} [style=invis, weight=0];`);
    if (used.has(portOf(state.path))) for (const path of inner) out.push(`  ${quote(portOf(state.path))} -> ${quote(top(byPath, path))} [style=invis, weight=0];`);
    if (used.has(exitOf(state.path))) for (const leaf of leavesOf(state)) out.push(`  ${quote(leaf)} -> ${quote(exitOf(state.path))} [style=invis, weight=0];`);
  }
  for (const d of drawn) out.push(`  ${quote(d.tail)} -> ${quote(d.head)} [${d.attrs.join(', ')}];`);
  out.push('}');
  return `${out.join('\n')}\n`;
}

interface DrawnEdge {
  tail: string;
  head: string;
  attrs: string[];
}

/** The DOT edge of a transition edge: its two nodes, reversed for a back edge, and its clipping. */
function drawnEdge(byPath: Map<string, ChartState>, order: ReturnType<typeof flowOrder>, t: ChartEdge): DrawnEdge {
  const attrs = [`label=${quote(t.labels.join('\n'))}`];
  const at = (path: string) => order.get(path)?.first ?? 0;
  // Into its own ancestor (or itself): from the ancestor's port, reversed.
  if (inside(t.source, t.target) && isCluster(byPath, t.target)) {
    const clip = isCluster(byPath, t.source) && t.source !== t.target ? [`lhead=${quote(clusterOf(t.source))}`] : [];
    if (t.source === t.target) return { tail: portOf(t.source), head: top(byPath, t.target), attrs };
    return { tail: portOf(t.target), head: top(byPath, t.source), attrs: [...attrs, 'dir=back', ...clip] };
  }
  // Into its own inside: from the port.
  if (inside(t.target, t.source) && isCluster(byPath, t.source)) {
    const clip = isCluster(byPath, t.target) ? [`lhead=${quote(clusterOf(t.target))}`] : [];
    return { tail: portOf(t.source), head: top(byPath, t.target), attrs: [...attrs, ...clip] };
  }
  // Between two states, neither inside the other: from the earlier one's bottom to the later one's top.
  const back = at(t.target) < at(t.source);
  const [earlier, later] = back ? [t.target, t.source] : [t.source, t.target];
  if (back) attrs.push('dir=back');
  if (isCluster(byPath, earlier)) attrs.push(`ltail=${quote(clusterOf(earlier))}`);
  if (isCluster(byPath, later)) attrs.push(`lhead=${quote(clusterOf(later))}`);
  return { tail: isCluster(byPath, earlier) ? exitOf(earlier) : earlier, head: top(byPath, later), attrs };
}

/** The nodes that stand for a cluster's border, drawn as nothing. */
const unseen = 'shape=point, style=invis, width=0.01, height=0.01, label=""';
const startOf = (path: string) => (path === '' ? '__start__' : `${path}.__start__`);
const entryOf = (path: string) => (path === '' ? '__entry__' : `${path}.__entry__`);
const exitOf = (path: string) => (path === '' ? '__exit__' : `${path}.__exit__`);
const portOf = (path: string) => (path === '' ? '__port__' : `${path}.__port__`);
const clusterOf = (path: string) => `cluster_${path}`;
/** True when `path` is `ancestor` or one of its descendants. */
const inside = (path: string, ancestor: string) => ancestor === '' || path === ancestor || path.startsWith(`${ancestor}.`);
const isCluster = (byPath: Map<string, ChartState>, path: string) => (byPath.get(path)?.children.length ?? 0) > 0;

/** The DOT node at the top of a state: itself, a compound state's initial dot, or a parallel state's entry. */
function top(byPath: Map<string, ChartState>, path: string): string {
  const state = byPath.get(path);
  if (state === undefined || state.children.length === 0) return path;
  return state.initial !== null ? startOf(path) : entryOf(path);
}

/** The atomic and final states inside a state, at any depth. */
function leavesOf(state: ChartState): string[] {
  return state.children.flatMap((child) => (child.children.length === 0 ? [child.path] : leavesOf(child)));
}

const quote = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
