'use strict';
// What V8 compiles during S7's 8 → 2 in a fresh clusterchart primary: functions that run
// there for the first time are parsed and compiled to bytecode then (V8 compiles lazily).
// Runs fresh-resize.cjs's clusterchart primary (start 4, grow to 8, shrink to 2) under
// --log-function-events, ROUNDS times, and sums the compile events between its two marks
// around the shrink, by script: clusterchart, XState, Node's own (which a bare node:cluster
// primary compiles too). Medians of ROUNDS; the functions named are from the last round.
// V8 logs each compile's wall time: one during which the primary loses its core (six workers
// end on two cores meanwhile) counts long, up to a few ms; the medians leave those out.
// Run after `npm run build`: node bench/diagnose/compile-log.cjs
// (To see what that compiling costs: node bench/diagnose/fresh-resize.cjs --no-lazy.)
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROUNDS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const groupOf = (url) => (url.startsWith('node:') ? 'Node' : url.includes('/xstate/') ? 'XState' : url.includes('/dist/') ? 'clusterchart' : 'this diagnostic');

/** `file:line` of a source offset (Node's own scripts: the script's name). */
function whereIs(url, offset) {
  if (!url.startsWith('/')) return url;
  const line = fs.readFileSync(url, 'utf8').slice(0, offset).split('\n').length;
  return `${path.basename(url)}:${line}`;
}

/**
 * One fresh shrink's compile events, from a V8 log: lines
 * `function,<event>,<script>,<start>,<end>,<ms>,<timestamp>,<name>`, and one
 * `script-details,<script>,<url>,…` per script.
 */
function compiledDuringShrink(log) {
  const urls = new Map();
  const functions = new Map();
  let inShrink = false;
  for (const line of log.split('\n')) {
    const fields = line.split(',');
    if (fields[0] === 'script-details') urls.set(fields[1], fields[2]);
    if (fields[0] !== 'function') continue;
    const [, event, script, start, end, ms, , ...name] = fields;
    if (event === 'first-execution' && name[0] === 'shrinkBegins') inShrink = true;
    if (event === 'first-execution' && name[0] === 'shrinkEnds') break;
    if (!inShrink || event === 'first-execution' || Number(ms) === 0) continue;
    const key = `${script}:${start}-${end}`;
    const fn = functions.get(key) ?? { script, start: Number(start), name: name.join(',') || '(anonymous)', ms: 0 };
    fn.ms += Number(ms);
    functions.set(key, fn);
  }
  const groups = {};
  for (const fn of functions.values()) {
    fn.url = urls.get(fn.script) ?? '';
    fn.group = groupOf(fn.url);
    const group = (groups[fn.group] ??= { functions: 0, ms: 0 });
    group.functions += 1;
    group.ms += fn.ms;
  }
  return { groups, functions: [...functions.values()] };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compile-log-'));
const logfile = path.join(dir, 'v8.log');
const rounds = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const flags = ['--log-function-events', `--logfile=${logfile}`, '--no-logfile-per-isolate'];
    execFileSync(process.execPath, [...flags, path.join(__dirname, 'fresh-resize.cjs'), 'clusterchart'], { encoding: 'utf8' });
    rounds.push(compiledDuringShrink(fs.readFileSync(logfile, 'utf8')));
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
const groups = [...new Set(rounds.flatMap((r) => Object.keys(r.groups)))];
const total = median(rounds.map((r) => Object.values(r.groups).reduce((sum, g) => sum + g.ms, 0)));
console.log(`compiled during a fresh 8 → 2: ${total.toFixed(2)} ms (medians of ${ROUNDS} fresh primaries)`);
for (const group of groups) {
  const of = (key) => median(rounds.map((r) => r.groups[group]?.[key] ?? 0));
  console.log(`  ${group.padEnd(16)} ${String(of('functions')).padStart(3)} functions, ${of('ms').toFixed(2)} ms`);
}
console.log('the longest to compile, last round:');
for (const fn of rounds.at(-1).functions.sort((a, b) => b.ms - a.ms).slice(0, 8)) {
  console.log(`  ${fn.ms.toFixed(3)} ms  ${fn.name} (${whereIs(fn.url, fn.start)})`);
}
