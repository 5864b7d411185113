/**
 * A chart as Mermaid `stateDiagram-v2` text (GitHub draws it in Markdown).
 *
 * States are declared first, nested as in the machine, with each compound state's initial
 * arrow and the regions of a parallel state separated by `--`; every transition follows at
 * the top level, so an edge that crosses a compound state's border links the states already
 * declared instead of creating new ones in the wrong scope. Mermaid ids are global, so a key
 * used twice (`idle` in the control) gets its path as id and its key as label; so does a key
 * that is no valid id as it is (`off-line`, or a Mermaid keyword such as `default`).
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
  const keys = new Map(statesOf(chart).map((s) => [s.path, s.key]));
  for (const t of edgesOf(chart)) {
    // Mermaid cannot lay out an edge from a composite state to a state inside it (no line, no
    // label): it is drawn as a loop on the composite's border, naming where it goes.
    const intoOwnInside = t.target.startsWith(`${t.source}.`);
    const head = intoOwnInside ? t.source : t.target;
    const labels = t.labels.map((label) => (intoOwnInside ? `${label} → ${keys.get(t.target)}` : label));
    lines.push(`  ${id(t.source)} --> ${id(head)} : ${labels.map(escapeLabel).join('<br/>')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Mermaid id per state path: its key when no other state's key makes the same id, else its
 * path; numbered (`_2`) when two paths still make the same id (`a-b.c` and `a.b_c`), so that
 * two states never merge into one.
 */
export function mermaidIds(chart: Chart): Map<string, string> {
  const states = statesOf(chart).filter((s) => s.path !== '');
  const count = new Map<string, number>();
  for (const s of states) count.set(idOf(s.key), (count.get(idOf(s.key)) ?? 0) + 1);
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  for (const s of states) {
    const wanted = count.get(idOf(s.key)) === 1 ? idOf(s.key) : idOf(s.path);
    let id = wanted;
    for (let n = 2; taken.has(id); n++) id = `${wanted}_${n}`;
    taken.add(id);
    ids.set(s.path, id);
  }
  return ids;
}

/**
 * Words Mermaid 11's stateDiagram lexer reads as statements, in any case, when a line starts
 * with them (`default`, `note`, `class`…): a state with such an id is a parse error.
 */
const keywords = new Set(['as', 'class', 'classdef', 'click', 'default', 'direction', 'href', 'note', 'scale', 'state', 'statediagram', 'style']);

/** A Mermaid id made of text: letters, digits and `_`, and never a keyword (`default_`). */
function idOf(text: string): string {
  const id = text.replace(/[^A-Za-z0-9_]/g, '_');
  return keywords.has(id.toLowerCase()) ? `${id}_` : id;
}

/** `;` ends a statement and `#` starts an entity in Mermaid; both become entities. */
const escapeLabel = (label: string) => label.replace(/[#;]/g, (c) => (c === '#' ? '#35;' : '#59;'));
