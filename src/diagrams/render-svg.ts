/**
 * DOT → SVG with Graphviz compiled to WebAssembly (`@viz-js/viz`): no system package, the
 * same output on every machine. The WebAssembly instance is made once, on first use.
 */
import type { RenderError, Viz } from '@viz-js/viz';
import { createError } from '../errors.js';
import { onFirstUse } from '../load-on-use.js';

/** Loaded on first use: a control that never draws never pays for Graphviz. */
const viz = onFirstUse((): Promise<Viz> => import('@viz-js/viz').then((m) => m.instance()));

/** Renders DOT to an SVG document; throws `CC_ERR_OPTION_INVALID` when Graphviz cannot. */
export async function renderSvg(dot: string): Promise<string> {
  const result = (await viz()).render(dot, { format: 'svg' });
  if (result.status === 'failure') {
    throw createError('CC_ERR_OPTION_INVALID', { option: 'dot', reason: messages(result.errors) });
  }
  return result.output;
}

/** Graphviz's warnings for DOT that still renders (the committed charts have none). */
export async function dotWarnings(dot: string): Promise<string[]> {
  return (await viz()).render(dot, { format: 'svg' }).errors.map((e) => e.message.trim());
}

const messages = (errors: RenderError[]) => errors.map((e) => e.message.trim()).join('; ') || 'Graphviz failed';
