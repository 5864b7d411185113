/**
 * The diagrams module's public door: machine definition → Mermaid, DOT, SVG.
 */
export { createDiagram, diagramFormats, type DiagramFormat, type DiagramOptions } from './create-diagram.js';
export { diagramMachines, diagramNames, type DiagramName } from './machines.js';
