/**
 * A chart as Mermaid `stateDiagram-v2` text (GitHub draws it in Markdown).
 *
 * States are declared first, nested as in the machine, with each compound state's initial
 * arrow and the regions of a parallel state separated by `--`; every transition follows at
 * the top level, so an edge that crosses a compound state's border links the states already
 * declared instead of creating new ones in the wrong scope. Mermaid ids are global, so a key
 * used twice (`idle` in the control) gets its path as id and its key as label.
 */
import { type Chart, type ChartState, edgesOf, statesOf } from './read-chart.js';

export function toMermaid(chart: Chart): string {
  const ids = mermaidIds(chart);
  const id = (path: string) => ids.get(path) ?? path;
  const lines: string[] = ['stateDiagram-v2', `  %% ${chart.id} machine; generated from its definition by clusterchart's createDiagram: do not edit`];

  const declare = (state: ChartState, depth: number) => {
    const pad = '  '.repeat(depth);
    const name = id(state.path);
    const named = name === state.key ? name : `"${state.key}" as ${name}`;
    if (state.children.length === 0) {
      lines.push(name === state.key ? `${pad}${name}` : `${pad}state ${named}`);
      return;
    }
    lines.push(`${pad}state ${named} {`);
    body(state, depth + 1);
    lines.push(`${pad}}`);
  };
  const body = (state: ChartState, depth: number) => {
    const pad = '  '.repeat(depth);
    if (state.initial !== null) lines.push(`${pad}[*] --> ${id(state.initial)}`);
    state.children.forEach((child, i) => {
      if (state.type === 'parallel' && i > 0) lines.push(`${pad}--`);
      declare(child, depth);
    });
    for (const child of state.children) if (child.type === 'final') lines.push(`${pad}${id(child.path)} --> [*]`);
  };

  body(chart.root, 1);
  for (const t of edgesOf(chart)) lines.push(`  ${id(t.source)} --> ${id(t.target)} : ${t.labels.map(escapeLabel).join('<br/>')}`);
  return `${lines.join('\n')}\n`;
}

/** Mermaid id per state path: the key when no other state has it, else the path. */
export function mermaidIds(chart: Chart): Map<string, string> {
  const states = statesOf(chart).filter((s) => s.path !== '');
  const count = new Map<string, number>();
  for (const s of states) count.set(s.key, (count.get(s.key) ?? 0) + 1);
  return new Map(states.map((s) => [s.path, sanitize(count.get(s.key) === 1 ? s.key : s.path)]));
}

const sanitize = (text: string) => text.replace(/[^A-Za-z0-9_]/g, '_');

/** `;` ends a statement and `#` starts an entity in Mermaid; both become entities. */
const escapeLabel = (label: string) => label.replace(/[#;]/g, (c) => (c === '#' ? '#35;' : '#59;'));
