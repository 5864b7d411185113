/**
 * The chart reader walks any machine definition: nesting, initial states, parallel regions,
 * final states, event / delayed / eventless transitions, guards (named, higher-order,
 * inline), re-entry, several targets; it folds transitions without a target.
 */
import { and, createMachine, not, or, setup, stateIn } from 'xstate';
import { describe, expect, it } from 'vitest';
import { edgesOf, guardText, leafPaths, readChart, statesOf } from '../../src/diagrams/read-chart.js';
import { diagramMachines } from '../../src/diagrams/machines.js';

const sample = setup({
  guards: { ok: () => true, ready: () => true },
  delays: { grace: 100 },
}).createMachine({
  id: 'sample',
  initial: 'a',
  on: { ping: { actions: () => {} } },
  states: {
    a: {
      on: {
        go: 'b',
        maybe: [{ guard: 'ok', target: 'b' }, { guard: not('ok'), target: 'c' }],
        both: { guard: and(['ok', or(['ready', stateIn('#sample.b')])]), target: 'b' },
        inline: { guard: () => true, target: 'c' },
        stay: { actions: () => {} },
      },
      after: { grace: 'b', 250: 'c' },
    },
    b: {
      type: 'parallel',
      states: {
        left: { initial: 'l1', states: { l1: { on: { next: 'l2' } }, l2: {} } },
        right: { initial: 'r1', states: { r1: { always: { guard: 'ready', target: 'r2' } }, r2: {} } },
      },
      on: { split: { target: ['.left.l2', '.right.r2'] }, again: { target: 'b', reenter: true } },
    },
    c: { type: 'final' },
  },
});

describe('readChart', () => {
  const chart = readChart(sample);

  it('reads the state tree in definition order, with types and initial states', () => {
    expect(statesOf(chart).map((s) => `${s.path || '(root)'}:${s.type}:${s.initial ?? '-'}`)).toEqual([
      '(root):compound:a',
      'a:atomic:-',
      'b:parallel:-',
      'b.left:compound:b.left.l1',
      'b.left.l1:atomic:-',
      'b.left.l2:atomic:-',
      'b.right:compound:b.right.r1',
      'b.right.r1:atomic:-',
      'b.right.r2:atomic:-',
      'c:final:-',
    ]);
    expect(chart.root.key).toBe('sample');
    expect(leafPaths(chart)).toEqual(['a', 'b.left.l1', 'b.left.l2', 'b.right.r1', 'b.right.r2', 'c']);
  });

  it('labels events, delays by name or ms, eventless transitions, guards and re-entry', () => {
    expect(chart.transitions.map((t) => `${t.source} -> ${t.target}: ${t.label}`)).toEqual([
      'a -> b: go',
      'a -> b: maybe [ok]',
      'a -> c: maybe [!ok]',
      'a -> b: both [ok && (ready || in(#sample.b))]',
      'a -> c: inline [inline]',
      'a -> c: after 250ms',
      'a -> b: after grace',
      'b -> b.left.l2: split',
      'b -> b.right.r2: split',
      'b -> b: again (reenter)',
      'b.left.l1 -> b.left.l2: next',
      'b.right.r1 -> b.right.r2: always [ready]',
    ]);
  });

  it('folds transitions without a target (actions only)', () => {
    expect(chart.transitions.some((t) => t.trigger.kind === 'event' && ['ping', 'stay'].includes(t.trigger.event))).toBe(false);
  });

  it('merges transitions between the same two states into one edge, labels in order', () => {
    expect(edgesOf(chart).find((e) => e.source === 'a' && e.target === 'b')?.labels).toEqual(['go', 'maybe [ok]', 'both [ok && (ready || in(#sample.b))]', 'after grace']);
  });

  it('is deterministic', () => {
    expect(readChart(sample)).toEqual(chart);
  });

  it('spells guards given as objects or unknown shapes', () => {
    expect(guardText({ type: 'named', params: { x: 1 } })).toBe('named');
    expect(guardText(42)).toBe('inline');
    expect(readChart(createMachine({ initial: 'x', states: { x: {} } })).transitions).toEqual([]);
  });
});

describe.each(Object.entries(diagramMachines))('the %s machine', (_name, { machine }) => {
  const chart = readChart(machine);
  const nodes = statesOf(chart);

  it('has a chart state for every state node of the definition', () => {
    const ids: string[] = [];
    const walk = (node: { path: string[]; states: Record<string, never> }) => {
      ids.push(node.path.join('.'));
      Object.values(node.states).forEach(walk);
    };
    walk(machine.root as never);
    expect(nodes.map((s) => s.path)).toEqual(ids);
  });

  it('labels every delayed transition with its delay and every named guard with its name', () => {
    const all: Array<typeof machine.root> = [];
    const collect = (node: typeof machine.root) => {
      all.push(node);
      Object.values(node.states).forEach((child) => collect(child as typeof machine.root));
    };
    collect(machine.root);
    for (const node of all) {
      for (const t of node.after) {
        if (t.target === undefined) continue;
        const label = `after ${String(t.delay)}`;
        expect(chart.transitions.some((c) => c.source === node.path.join('.') && c.label.startsWith(label)), label).toBe(true);
      }
      for (const list of node.transitions.values()) {
        for (const t of list) {
          if (t.target === undefined || typeof t.guard !== 'string') continue;
          expect(chart.transitions.some((c) => c.guard === t.guard), String(t.guard)).toBe(true);
        }
      }
    }
  });
});
