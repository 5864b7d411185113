/**
 * How the SVG of each machine reads, measured on the SVG Graphviz lays out: every edge is
 * long enough to be seen (not clipped to a stub at a cluster's border), every label sits near
 * its own edge and clear of the other labels, and an edge from a compound state into its own
 * inside does not start at the initial dot.
 */
import { describe, expect, it } from 'vitest';
import { createDiagram } from '../../src/diagrams/create-diagram.js';
import { diagramMachines } from '../../src/diagrams/machines.js';

interface Point {
  x: number;
  y: number;
}
interface DrawnEdge {
  title: string;
  points: Point[];
  labels: Array<Point & { text: string }>;
}

const unescape = (text: string) => text.replace(/&#45;/g, '-').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&').replace(/&#160;/g, ' ');

/** The visible edges of a Graphviz SVG: the points of the path, the lines of the label. */
function edgesOf(svg: string): DrawnEdge[] {
  return [...svg.matchAll(/<g id="[^"]*" class="edge">([\s\S]*?)<\/g>/g)]
    .map(([, body]) => {
      const path = /<path[^>]* d="([^"]+)"/.exec(body!)?.[1] ?? '';
      const numbers = (path.match(/-?\d+(\.\d+)?/g) ?? []).map(Number);
      const points = sampled(numbers.flatMap((n, i) => (i % 2 === 0 ? [{ x: n, y: numbers[i + 1]! }] : [])));
      const labels = [...body!.matchAll(/<text[^>]* x="([-\d.]+)" y="([-\d.]+)"[^>]*>([^<]*)<\/text>/g)].map(([, x, y, text]) => ({ x: Number(x), y: Number(y), text: unescape(text!) }));
      return { title: unescape(/<title>([^<]*)<\/title>/.exec(body!)?.[1] ?? ''), points, labels };
    })
    .filter((e) => e.points.length > 0);
}

/** Points along a path of cubic Béziers (`M p0 C p1 p2 p3 p4 p5 p6…`), 20 a segment. */
function sampled(controls: Point[]): Point[] {
  const out: Point[] = controls.slice(0, 1);
  for (let i = 0; i + 3 < controls.length; i += 3) {
    const [a, b, c, d] = controls.slice(i, i + 4) as [Point, Point, Point, Point];
    for (let step = 1; step <= 20; step++) {
      const t = step / 20;
      const [u, v, w, z] = [(1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3];
      out.push({ x: u * a.x + v * b.x + w * c.x + z * d.x, y: u * a.y + v * b.y + w * c.y + z * d.y });
    }
  }
  return out;
}

/** The centre of a node's ellipse (the initial dots are ellipses). */
function centreOf(svg: string, node: string): Point {
  const body = [...svg.matchAll(/<g id="[^"]*" class="node[^"]*">([\s\S]*?)<\/g>/g)].find(([, b]) => b!.includes(`<title>${node}</title>`))?.[1] ?? '';
  const [, cx, cy] = /<ellipse[^>]* cx="([-\d.]+)" cy="([-\d.]+)"/.exec(body) ?? [];
  return { x: Number(cx), y: Number(cy) };
}

const distance = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);
/** A label line's box, from its baseline centre at 9pt Helvetica (about half an em a character). */
const boxOf = (l: Point & { text: string }) => ({ left: l.x - l.text.length * 2.4, right: l.x + l.text.length * 2.4, top: l.y - 8, bottom: l.y + 2 });

describe.each(Object.entries(diagramMachines))('the %s SVG', (_name, { machine, dot }) => {
  const svg = createDiagram(machine, { format: 'svg', ...dot });

  it('draws every edge at least 20pt long', async () => {
    for (const edge of edgesOf(await svg)) {
      const length = edge.points.slice(1).reduce((sum, p, i) => sum + distance(p, edge.points[i]!), 0);
      expect(length, `${edge.title} (${edge.labels.map((l) => l.text).join(' / ')})`).toBeGreaterThan(20);
    }
  });

  it('puts every label within 40pt of its own edge', async () => {
    for (const edge of edgesOf(await svg)) {
      for (const label of edge.labels) {
        const nearest = Math.min(...edge.points.map((p) => distance(p, { x: label.x, y: label.y - 3 }) - label.text.length * 2.4));
        expect(nearest, `${label.text} (${edge.title})`).toBeLessThan(40);
      }
    }
  });

  it('puts no label over another', async () => {
    const lines = edgesOf(await svg).flatMap((e) => e.labels.map((l) => ({ ...boxOf(l), text: l.text, edge: e.title })));
    for (const [i, a] of lines.entries()) {
      for (const b of lines.slice(i + 1)) {
        if (a.edge === b.edge) continue;
        const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        expect(overlap, `"${a.text}" over "${b.text}"`).toBe(false);
      }
    }
  });
});

describe('an edge from a compound state into its own inside', () => {
  it.each([
    ['running.rollout.restarting', 'control.restart (reenter)'],
    ['running.health.danger', 'control.restart'],
  ])('starts away from the initial dot of %s (%s)', async (state, label) => {
    const svg = await createDiagram(diagramMachines.control.machine, { format: 'svg', ...diagramMachines.control.dot });
    const edge = edgesOf(svg).find((e) => e.title.startsWith(`${state}.`) && e.labels.some((l) => l.text === label));
    expect(edge).toBeDefined();
    expect(distance(edge!.points[0]!, centreOf(svg, `${state}.__start__`))).toBeGreaterThan(10);
  });
});
