/**
 * The diagrams module's public door: machine definition → Mermaid, DOT, SVG.
 */
export { diagramFormats, diagramNames, type DiagramFormat, type DiagramName } from './choices.js';
export { createDiagram, type DiagramOptions } from './create-diagram.js';
export { diagramMachines } from './machines.js';
