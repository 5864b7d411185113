/**
 * The README shows each statechart as a Mermaid block between two markers,
 * `<!-- diagram:<name>:start -->` and `<!-- diagram:<name>:end -->`; only the text between
 * them is generated, everything else in the README is left as it is.
 */
import { createError } from '../errors.js';

const markers = (name: string) => [`<!-- diagram:${name}:start -->`, `<!-- diagram:${name}:end -->`] as const;

/** The fenced Mermaid block written between the markers. */
export const mermaidBlock = (mermaid: string) => `\`\`\`mermaid\n${mermaid.endsWith('\n') ? mermaid : `${mermaid}\n`}\`\`\``;

/** The text between the markers of `name`; throws `CC_ERR_OPTION_INVALID` when they are missing. */
export function readDiagramBlock(readme: string, name: string): string {
  const [start, end] = locate(readme, name);
  return readme.slice(start, end).replace(/^\n/, '').replace(/\n$/, '');
}

/** The README with the text between the markers of `name` replaced by `block`. */
export function replaceDiagramBlock(readme: string, name: string, block: string): string {
  const [start, end] = locate(readme, name);
  return `${readme.slice(0, start)}\n${block}\n${readme.slice(end)}`;
}

function locate(readme: string, name: string): [number, number] {
  const [open, close] = markers(name);
  const at = readme.indexOf(open);
  const end = readme.indexOf(close, at + 1);
  if (at === -1 || end === -1) {
    throw createError('CC_ERR_OPTION_INVALID', { option: 'readme', reason: `the markers ${open} … ${close} are missing` });
  }
  return [at + open.length, end];
}
