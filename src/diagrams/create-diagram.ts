/**
 * `createDiagram()`: one machine, one format. Mermaid and DOT are plain text made from the
 * machine's definition; SVG is the DOT laid out by Graphviz.
 */
import type { AnyStateMachine } from 'xstate';
import { didYouMean } from '../closest-name.js';
import { createError } from '../errors.js';
import { describeValue } from '../options.js';
import { type DiagramFormat, diagramFormats } from './choices.js';
import { readChart } from './read-chart.js';
import { renderSvg } from './render-svg.js';
import { type DotOptions, rankdirs, toDot } from './to-dot.js';
import { toMermaid } from './to-mermaid.js';

export interface DiagramOptions extends DotOptions {
  format: DiagramFormat;
}

/** The diagram of a machine as text: Mermaid `stateDiagram-v2`, Graphviz DOT or SVG. */
export async function createDiagram(machine: AnyStateMachine, options: DiagramOptions): Promise<string> {
  checkMachine(machine);
  if (typeof options !== 'object' || options === null) {
    throw createError('CC_ERR_OPTION_INVALID', { option: 'options', reason: `expected an object such as { format: 'svg' }, got ${describeValue(options)}` });
  }
  const { rankdir } = options as { rankdir: unknown };
  if (rankdir !== undefined && !rankdirs.includes(rankdir as never)) throw notOneOf('rankdir', rankdir, rankdirs);
  const chart = readChart(machine);
  switch (options.format) {
    case 'mermaid':
      return toMermaid(chart);
    case 'dot':
      return toDot(chart, options);
    case 'svg':
      return renderSvg(toDot(chart, options));
    default:
      throw notOneOf('format', (options as { format: unknown }).format, diagramFormats);
  }
}

/** CC_ERR_OPTION_INVALID for an option's value that is none of `choices`, naming the one a typo obviously meant. */
function notOneOf(option: string, value: unknown, choices: readonly string[]) {
  const typed = String(value);
  return createError('CC_ERR_OPTION_INVALID', { option, reason: `expected one of ${choices.join(', ')}, got ${typed}${didYouMean(typed, choices)}` });
}

/**
 * Plain JavaScript can pass anything: without this check, what is not a machine fails deep in
 * the chart reader with a TypeError that has no code.
 */
function checkMachine(machine: unknown): void {
  const root = (machine as { root?: { states?: unknown } } | null | undefined)?.root;
  if (typeof root?.states !== 'object' || root.states === null) {
    throw createError('CC_ERR_ARGUMENT_INVALID', {
      method: 'createDiagram()',
      reason: `expected an XState machine (createMachine() or setup().createMachine()), got ${describeValue(machine)}`,
    });
  }
}
