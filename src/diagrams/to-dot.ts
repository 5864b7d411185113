/**
 * A chart as Graphviz DOT. Atomic and final states are nodes (final ones with a double
 * border); compound and parallel states are clusters (a parallel state's regions dashed),
 * each compound one with a dot for its initial state. An edge from or to a cluster starts
 * or ends at its initial dot, clipped at the cluster's border (`compound=true`, `ltail`,
 * `lhead`), so it reads as leaving or entering the whole state.
 *
 * Every state's SVG element gets the id `state:<path>` and the class `state`, so a page
 * can find and mark the states a running actor is in (the dashboard does).
 */
import { type Chart, type ChartState, edgesOf, statesOf } from './read-chart.js';

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
    for (const child of state.children) declare(child, depth, state.type === 'parallel');
  };

  children(chart.root, 1);
  for (const state of statesOf(chart)) {
    if (state.initial === null) continue;
    const compound = (byPath.get(state.initial)?.children.length ?? 0) > 0;
    out.push(`  ${quote(startOf(state.path))} -> ${quote(anchor(byPath, state.initial))}${compound ? ` [lhead=${quote(clusterOf(state.initial))}]` : ''};`);
  }
  for (const t of edgesOf(chart)) {
    const source = byPath.get(t.source);
    const target = byPath.get(t.target);
    if (source === undefined || target === undefined) continue;
    const attrs = [`label=${quote(t.labels.join('\n'))}`];
    // A cluster end is clipped at its border, unless the other end is inside that cluster.
    if (source.children.length > 0 && !inside(t.target, t.source)) attrs.push(`ltail=${quote(clusterOf(t.source))}`);
    if (target.children.length > 0 && !inside(t.source, t.target)) attrs.push(`lhead=${quote(clusterOf(t.target))}`);
    out.push(`  ${quote(anchor(byPath, t.source))} -> ${quote(anchor(byPath, t.target))} [${attrs.join(', ')}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

const startOf = (path: string) => (path === '' ? '__start__' : `${path}.__start__`);
const clusterOf = (path: string) => `cluster_${path}`;
/** True when `path` is `ancestor` or one of its descendants. */
const inside = (path: string, ancestor: string) => ancestor === '' || path === ancestor || path.startsWith(`${ancestor}.`);

/** The DOT node that stands for a state: itself, or a cluster's initial dot. */
function anchor(byPath: Map<string, ChartState>, path: string): string {
  const state = byPath.get(path);
  if (state === undefined || state.children.length === 0) return path;
  if (state.initial !== null) return startOf(path);
  return anchor(byPath, state.children[0]!.path);
}

const quote = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
