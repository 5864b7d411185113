/**
 * Mermaid and DOT from a chart: ids unique, cluster edges clipped, every state findable in the
 * SVG by id; Graphviz renders the real machines without a warning; bad input gets a code.
 */
import { setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { diagramFormats } from '../../src/diagrams/choices.js';
import { createDiagram } from '../../src/diagrams/create-diagram.js';
import { diagramMachines } from '../../src/diagrams/machines.js';
import { leafPaths, readChart, statesOf } from '../../src/diagrams/read-chart.js';
import { mermaidBlock, readDiagramBlock, replaceDiagramBlock } from '../../src/diagrams/readme-blocks.js';
import { dotWarnings, renderSvg } from '../../src/diagrams/render-svg.js';
import { stateIdPrefix, toDot } from '../../src/diagrams/to-dot.js';
import { mermaidIds, toMermaid } from '../../src/diagrams/to-mermaid.js';
import { ClusterchartError } from '../../src/errors.js';

const twice = setup({}).createMachine({
  id: 'twice',
  initial: 'idle',
  states: {
    idle: { on: { go: 'busy' } },
    busy: {
      initial: 'idle',
      states: { idle: { on: { 'odd;#label': 'done' } }, done: { type: 'final' } },
      on: { stop: 'idle' },
    },
  },
});

describe('toMermaid', () => {
  const text = toMermaid(readChart(twice));

  it('gives a key used twice its path as id and its key as label', () => {
    expect([...mermaidIds(readChart(twice)).values()]).toEqual(['idle', 'busy', 'busy_idle', 'done']);
    expect(text).toContain('state "idle" as busy_idle');
  });

  const awkward = setup({}).createMachine({
    id: 'awkward',
    initial: 'default',
    states: Object.fromEntries(
      ['default', 'note', 'Class', 'classDef', 'style', 'click', 'state', 'off-line', 'off_line'].map((key) => [key, { on: { next: 'off-line' } }]),
    ),
  });

  it('never gives a state a Mermaid keyword as id, in any case, and labels it with its key', () => {
    const ids = mermaidIds(readChart(awkward));
    expect([...ids.values()]).toEqual(['default_', 'note_', 'Class_', 'classDef_', 'style_', 'click_', 'state_', 'off_line', 'off_line_2']);
    expect(toMermaid(readChart(awkward))).toContain('  [*] --> default_\n  state "default" as default_\n');
  });

  it('keeps states apart whose keys differ only in characters an id cannot have', () => {
    const text = toMermaid(readChart(awkward));
    expect(text).toContain('state "off-line" as off_line\n  state "off_line" as off_line_2\n');
    expect(text).toContain('  off_line_2 --> off_line : next\n');
  });

  it('draws an edge from a composite state into its own inside as a loop on it, naming the target', () => {
    const self = setup({}).createMachine({ id: 'self', initial: 'a', states: { a: { initial: 'x', states: { x: {}, y: {} }, on: { go: '.y' } } } });
    expect(toMermaid(readChart(self))).toContain('\n  a --> a : go → y\n');
  });

  it('declares states nested, final states to [*], then every transition at the top level', () => {
    expect(text).toBe(
      [
        'stateDiagram-v2',
        "  %% twice machine; generated from its definition by clusterchart's createDiagram: do not edit",
        '  [*] --> idle',
        '  idle',
        '  state busy {',
        '    [*] --> busy_idle',
        '    state "idle" as busy_idle',
        '    done',
        '    done --> [*]',
        '  }',
        '  idle --> busy : go',
        '  busy --> idle : stop',
        '  busy_idle --> done : odd#59;#35;label',
        '',
      ].join('\n'),
    );
  });
});

describe('toDot', () => {
  it('points an initial arrow at a compound initial state\'s border', async () => {
    const nested = setup({}).createMachine({ id: 'nested', initial: 'outer', states: { outer: { initial: 'inner', states: { inner: {} } } } });
    const dot = toDot(readChart(nested));
    expect(dot).toContain('"__start__" -> "outer.__start__" [lhead="cluster_outer"];');
    expect(await dotWarnings(dot)).toEqual([]);
  });

  const dot = toDot(readChart(twice), { rankdir: 'LR' });

  it('draws compound states as clusters and clips edges at their borders', () => {
    expect(dot).toContain('rankdir=LR');
    expect(dot).toContain('subgraph "cluster_busy"');
    expect(dot).toContain('"idle" -> "busy.__start__" [label="go", lhead="cluster_busy"];');
    // busy → idle goes back against the flow (idle → busy), so it is drawn reversed, from busy's top.
    expect(dot).toContain('"idle" -> "busy.__start__" [label="stop", dir=back, lhead="cluster_busy"];');
    expect(dot).toContain('"busy.done" [label="done", id="state:busy.done", class="state final", peripheries=2];');
  });

  it('starts an edge out of a cluster at an unseen exit ranked below everything inside it', () => {
    const out = setup({}).createMachine({ id: 'out', initial: 'a', states: { a: { initial: 'x', states: { x: { on: { go: 'y' } }, y: {} }, on: { done: 'b' } }, b: {} } });
    const text = toDot(readChart(out));
    expect(text).toContain('"a.__exit__" [shape=point, style=invis');
    expect(text).toContain('"a.x" -> "a.__exit__" [style=invis, weight=0];');
    expect(text).toContain('"a.y" -> "a.__exit__" [style=invis, weight=0];');
    expect(text).toContain('"a.__exit__" -> "b" [label="done", ltail="cluster_a"];');
  });

  it('starts an edge from a compound state into its own inside at an unseen port, not at the initial dot', () => {
    const self = setup({}).createMachine({ id: 'self', initial: 'a', states: { a: { initial: 'x', states: { x: {}, y: {} }, on: { go: '.y' } } } });
    const text = toDot(readChart(self));
    expect(text).toContain('"a.__port__" -> "a.x" [style=invis, weight=0];');
    expect(text).toContain('"a.__port__" -> "a.y" [label="go"];');
  });

  it('renders to SVG with every state findable by id', async () => {
    const svg = await renderSvg(dot);
    for (const s of statesOf(readChart(twice)).filter((s) => s.path !== '')) expect(svg).toContain(`id="${stateIdPrefix}${s.path}"`);
  });
});

describe.each(Object.entries(diagramMachines))('the %s diagram', (_name, { machine, dot: options }) => {
  it('lays out without a Graphviz warning', async () => {
    expect(await dotWarnings(toDot(readChart(machine), options))).toEqual([]);
  });

  it('has every leaf state as an SVG element and in the Mermaid text', async () => {
    const svg = await createDiagram(machine, { format: 'svg', ...options });
    const mermaid = await createDiagram(machine, { format: 'mermaid' });
    const ids = mermaidIds(readChart(machine));
    for (const path of leafPaths(readChart(machine))) {
      expect(svg).toContain(`id="${stateIdPrefix}${path}"`);
      expect(mermaid).toMatch(new RegExp(`^\\s+(state "[^"]+" as )?${ids.get(path)}$`, 'm'));
    }
  });

  it('is the same every time', async () => {
    const [a, b] = await Promise.all([createDiagram(machine, { format: 'svg', ...options }), createDiagram(machine, { format: 'svg', ...options })]);
    expect(a).toBe(b);
  });
});

describe('errors', () => {
  it('rejects an unknown format with CC_ERR_OPTION_INVALID', async () => {
    const error = await createDiagram(twice, { format: 'png' as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterchartError);
    expect((error as ClusterchartError).code).toBe('CC_ERR_OPTION_INVALID');
  });

  it('suggests the format a typo obviously meant', async () => {
    await expect(createDiagram(twice, { format: 'svgg' as never })).rejects.toMatchObject({
      code: 'CC_ERR_OPTION_INVALID',
      message: 'Option format is invalid: expected one of mermaid, dot, svg, got svgg (did you mean svg?).',
    });
  });

  it.each([undefined, null, {}, 'control'])('rejects %j for a machine with CC_ERR_ARGUMENT_INVALID, in every format', async (machine) => {
    for (const format of diagramFormats) {
      const error = await createDiagram(machine as never, { format }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClusterchartError);
      expect(error).toMatchObject({ code: 'CC_ERR_ARGUMENT_INVALID', details: { method: 'createDiagram()' } });
    }
  });

  it.each([undefined, null, 'svg'])('rejects %j for the options with CC_ERR_OPTION_INVALID, as createControl() does', async (options) => {
    await expect(createDiagram(twice, options as never)).rejects.toMatchObject({ code: 'CC_ERR_OPTION_INVALID', details: { option: 'options' } });
  });

  it.each([
    ['XX', 'got XX'],
    ['TD', 'got TD (did you mean TB?)'],
  ])('rejects an unknown rankdir %s with CC_ERR_OPTION_INVALID, naming the option, the value and the one it obviously meant', async (rankdir, reason) => {
    for (const format of diagramFormats) {
      await expect(createDiagram(twice, { format, rankdir: rankdir as never })).rejects.toMatchObject({
        code: 'CC_ERR_OPTION_INVALID',
        details: { option: 'rankdir', reason: expect.stringContaining(reason) },
      });
    }
  });

  it('rejects DOT Graphviz cannot read with CC_ERR_OPTION_INVALID', async () => {
    await expect(renderSvg('digraph {')).rejects.toMatchObject({ code: 'CC_ERR_OPTION_INVALID' });
  });

  it('rejects a README without the markers with CC_ERR_OPTION_INVALID', () => {
    expect(() => replaceDiagramBlock('# no markers', 'worker', 'x')).toThrow(expect.objectContaining({ code: 'CC_ERR_OPTION_INVALID' }));
  });

  it('replaces only the text between the markers', () => {
    const readme = 'a\n<!-- diagram:worker:start -->\nold\n<!-- diagram:worker:end -->\nb\n';
    const next = replaceDiagramBlock(readme, 'worker', mermaidBlock('stateDiagram-v2'));
    expect(next).toBe('a\n<!-- diagram:worker:start -->\n```mermaid\nstateDiagram-v2\n```\n<!-- diagram:worker:end -->\nb\n');
    expect(readDiagramBlock(next, 'worker')).toBe('```mermaid\nstateDiagram-v2\n```');
    expect(replaceDiagramBlock(next, 'worker', mermaidBlock('stateDiagram-v2'))).toBe(next);
  });
});
