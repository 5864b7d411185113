/**
 * The diagrams clusterchart draws and the formats it draws them in, declared once: the CLI's
 * parser and help, `createDiagram()`, the machines' table and `npm run diagrams` read them
 * from here. Nothing else is imported, so the CLI checks a name without loading the machines
 * or Graphviz.
 */

/** The machines by the name `npm run diagrams`, the README markers and `clusterchart diagram <name>` use. */
export const diagramNames = ['worker', 'control'] as const;
export type DiagramName = (typeof diagramNames)[number];
/** What `clusterchart diagram` draws when not told. */
export const defaultDiagramName: DiagramName = 'worker';

export const diagramFormats = ['mermaid', 'dot', 'svg'] as const;
export type DiagramFormat = (typeof diagramFormats)[number];
/** What `clusterchart diagram` prints when not told. */
export const defaultDiagramFormat: DiagramFormat = 'mermaid';
