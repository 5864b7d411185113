/**
 * Everything `npm run diagrams` writes, made in memory: `diagrams/<name>.{mmd,dot,svg}` for
 * every machine of `diagramMachines`, and the README with its Mermaid blocks replaced. The
 * script writes the result; the drift test compares it with what is committed.
 */
import { createDiagram } from './create-diagram.js';
import { diagramNames } from './choices.js';
import { diagramMachines } from './machines.js';
import { mermaidBlock, replaceDiagramBlock } from './readme-blocks.js';

export interface GeneratedDiagrams {
  /** Contents by path relative to the repository root, e.g. `diagrams/worker.mmd`. */
  files: Record<string, string>;
  readme: string;
}

export async function generateDiagrams(readme: string): Promise<GeneratedDiagrams> {
  const files: Record<string, string> = {};
  let text = readme;
  for (const name of diagramNames) {
    const { machine, dot } = diagramMachines[name];
    const mermaid = await createDiagram(machine, { format: 'mermaid' });
    files[`diagrams/${name}.mmd`] = mermaid;
    files[`diagrams/${name}.dot`] = await createDiagram(machine, { format: 'dot', ...dot });
    files[`diagrams/${name}.svg`] = await createDiagram(machine, { format: 'svg', ...dot });
    text = replaceDiagramBlock(text, name, mermaidBlock(mermaid));
  }
  return { files, readme: text };
}
