/**
 * The machines stay pure: they import only xstate and their own modules, and never touch
 * timers, the wall clock or the process. Time reaches them through named delays and the
 * `at` of events.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const dir = new URL('../../src/machines/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

test('there are machine modules to check', () => {
  expect(files).toEqual(expect.arrayContaining(['control.machine.ts', 'worker.machine.ts', 'reconcile.ts']));
});

test.each(files)('%s imports only xstate and its own modules', (file) => {
  const source = readFileSync(join(dir, file), 'utf8');
  const imports = [...source.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
  for (const spec of imports) {
    const allowed = spec === 'xstate' || spec.startsWith('./') || spec === '../options.js';
    expect(allowed, `${file} imports ${spec}`).toBe(true);
  }
  expect(source).not.toMatch(/\brequire\(/);
});

test.each(files)('%s uses no timers, wall clock or process', (file) => {
  const code = readFileSync(join(dir, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  for (const banned of [/\bsetTimeout\b/, /\bsetInterval\b/, /\bsetImmediate\b/, /\bDate\b/, /\bperformance\b/, /\bprocess\./, /\bqueueMicrotask\b/]) {
    expect(code, `${file} uses ${banned.source}`).not.toMatch(banned);
  }
});

test('options.ts, which the machines import for types, is pure too', () => {
  const code = readFileSync(new URL('../../src/options.ts', import.meta.url), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  expect(code).not.toMatch(/from 'node:/);
  expect(code).not.toMatch(/process\.env/);
});
