/**
 * The diagrams module's public door: machine definition → Mermaid, DOT, SVG.
 */
export { createDiagram, diagramFormats, type DiagramFormat, type DiagramOptions } from './create-diagram.js';
export { diagramMachines, diagramNames, type DiagramName } from './machines.js';
export { generateDiagrams, type GeneratedDiagrams } from './generate-diagrams.js';
export { readChart, leafPaths, type Chart, type ChartState, type ChartTransition, type ChartTrigger } from './read-chart.js';
export { toDot, stateIdPrefix, type DotOptions } from './to-dot.js';
export { toMermaid } from './to-mermaid.js';
export { renderSvg } from './render-svg.js';
