#!/usr/bin/env node
/**
 * `npm run bench`: builds clusterchart, runs the scenarios S1–S10 for clusterchart, a
 * hand-written node:cluster master and the peers, and writes BENCHMARKS.md. The options are
 * in `usage` below (`npm run bench -- --help`).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createContext } from './lib/context.mjs';
import { createProgress } from './lib/progress.mjs';

const bench = fileURLToPath(new URL('.', import.meta.url));
const root = join(bench, '..');

const usage = `Usage: npm run bench [-- OPTIONS]

Runs the scenarios S1–S10 for clusterchart, a hand-written node:cluster master and the peers,
and writes BENCHMARKS.md (about 22 minutes on 2 cores; leave the machine otherwise idle).

Options:
  --quick             1 run of each scenario with clusterchart, node:cluster, PM2 and
                      recluster; writes bench/results/quick.md, not BENCHMARKS.md
  --only S2,S6        these scenarios only (report in bench/results/partial.md)
  --tools pm2,throng  these tools only, besides clusterchart
                      (TOOLS)
  --runs N            runs per scenario (S7 runs at least 11 in a full bench)
  --keep              keep the run's temporary folder
  --report-only       write BENCHMARKS.md again from bench/results/latest.json (no run)
  --help              this text
`;

const { tools: allTools } = await import('./lib/tools.mjs');
const scenarioFiles = [
  's01-start',
  's02-rolling-restart',
  's03-control-killed',
  's04-graceful-stop',
  's05-crash-at-start',
  's06-stubborn-workers',
  's07-resize',
  's08-idle',
  's09-scale',
  's10-machines',
];
/** `s07-resize` → `S7`, as the scenarios name themselves. */
const scenarioIds = scenarioFiles.map((file) => `S${Number(file.slice(1, 3))}`);

/** A mistake in the command line: one line, exit 2 (as the CLI does). */
const usageError = (message) => {
  process.stderr.write(`bench: ${message} (see npm run bench -- --help)\n`);
  process.exit(2);
};

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      tools: { type: 'string' },
      runs: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  usageError(error.message);
}
if (args.help) {
  process.stdout.write(usage.replace('TOOLS', allTools.map((t) => t.id).join(', ')));
  process.exit(0);
}
/** A comma-separated list of known names, or a usage error naming the unknown ones. */
const listOf = (flag, value, known, normalise = (v) => v) => {
  if (value === undefined) return undefined;
  const list = value.split(',').map((v) => normalise(v.trim())).filter((v) => v !== '');
  const unknown = list.filter((v) => !known.includes(v));
  if (list.length === 0 || unknown.length > 0) usageError(`--${flag}: ${unknown.length > 0 ? `unknown ${unknown.join(', ')}` : 'empty'} (known: ${known.join(', ')})`);
  return list;
};
const only = listOf('only', args.only, scenarioIds, (v) => v.toUpperCase().replace(/^S0+/, 'S'));
const toolIds = listOf('tools', args.tools, allTools.map((t) => t.id));
if (args.runs !== undefined && !/^[1-9]\d*$/.test(args.runs)) usageError(`--runs: expected a whole number of at least 1, got ${args.runs}`);
// --report-only: render BENCHMARKS.md again from bench/results/latest.json (the figures of
// the last full run), e.g. after a change to a report's wording.
if (args['report-only']) {
  const saved = JSON.parse(readFileSync(join(bench, 'results', 'latest.json'), 'utf8'));
  const tools = allTools;
  const scenarios = [];
  for (const file of readdirSync(join(bench, 'scenarios')).sort()) scenarios.push(await import(`./scenarios/${file}`));
  const ctx = { data: saved.data, runs: saved.runs ?? 3, tools, leaks: saved.leaks, failures: saved.failures };
  const { writeReport } = await import('./lib/report.mjs');
  const target = join(root, 'BENCHMARKS.md');
  process.stderr.write(`${writeReport({ ctx, scenarios, tools, machine: saved.machine, target, seconds: saved.seconds, timings: saved.timings, full: true, args })}\n`);
  process.exit(0);
}

// 1. The peers, installed on first use from bench/package-lock.json.
if (!existsSync(join(bench, 'node_modules', '.package-lock.json'))) {
  process.stderr.write('bench: installing the peers (npm ci --prefix bench)…\n');
  execFileSync('npm', ['ci', '--prefix', bench, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}

// 2. clusterchart, built and copied aside: others may rebuild dist/ while the bench runs.
process.stderr.write('bench: building clusterchart (npm run build)…\n');
try {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'pipe' });
} catch (error) {
  process.stderr.write(String(error.stderr ?? '').slice(-2000));
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('bench: the build failed and there is no dist/ to fall back on');
  process.stderr.write('bench: the build failed; using the dist/ already there\n');
}
const commit = (() => {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return `${head}${dirty ? ' (with uncommitted changes in src/)' : ''}`;
  } catch {
    return '?';
  }
})();
const snapshot = join(bench, '.cache', 'dist');
rmSync(snapshot, { recursive: true, force: true });
mkdirSync(snapshot, { recursive: true });
for (const file of ['index.js', 'index.cjs', 'worker.cjs']) cpSync(join(root, 'dist', file), join(snapshot, file));
const clusterchart = join(snapshot, 'index.cjs');

// 3. What to run.
const allScenarios = [];
for (const file of scenarioFiles) allScenarios.push(await import(`./scenarios/${file}.mjs`));
const scenarios = only ? allScenarios.filter((s) => only.includes(s.id)) : allScenarios;
const quickTools = ['clusterchart', 'node-cluster', 'pm2', 'recluster'];
const wanted = toolIds ?? (args.quick ? quickTools : allTools.map((t) => t.id));
const tools = allTools.filter((t) => t.id === 'clusterchart' || wanted.includes(t.id));
const runs = Number(args.runs ?? (args.quick ? 1 : 3));

const tmp = mkdtempSync(join(tmpdir(), 'clusterchart-bench-'));
const progress = createProgress(scenarios.length);
const ctx = createContext({ tools, runs, quick: args.quick, clusterchart, tmp, progress, total: scenarios.length });

// Ctrl-C: every tracked process is swept by the sessions' finally blocks; leave after that.
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  progress.note('bench: interrupted; cleaning up (Ctrl-C again to leave at once)');
});

const loadBefore = loadavg();
const timings = {};
for (const [i, scenario] of scenarios.entries()) {
  if (interrupted) break;
  ctx.begin(i + 1, scenario.id, scenario.title);
  const started = performance.now();
  try {
    await scenario.run(ctx);
  } catch (error) {
    ctx.fail(scenario.id, 'scenario', 'all', error);
  }
  timings[scenario.id] = (performance.now() - started) / 1000;
  progress.note(`${scenario.id} ${scenario.title}: done in ${timings[scenario.id].toFixed(0)} s`);
}

// 4. PM2: `pm2 kill` for any daemon still running (the sweeps SIGKILL them by pid already).
const { killPm2Daemons } = await import('./lib/pm2-kill.mjs');
await killPm2Daemons(ctx.pm2Homes, join(bench, 'node_modules', 'pm2', 'bin', 'pm2'));
progress.done();

// 5. The report.
const { writeReport } = await import('./lib/report.mjs');
const full = !args.quick && !only && !args.tools && !args.runs;
const target = full ? join(root, 'BENCHMARKS.md') : join(bench, 'results', args.quick ? 'quick.md' : 'partial.md');
mkdirSync(join(bench, 'results'), { recursive: true });
const machine = {
  nproc: availableParallelism(),
  cpu: cpus()[0]?.model ?? '?',
  ram: totalmem(),
  node: process.version,
  os: `${process.platform} ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}`,
  load: { before: loadBefore, after: loadavg() },
  commit,
};
const seconds = progress.seconds();
const summary = writeReport({ ctx, scenarios, tools, machine, target, seconds, timings, full, args });
// The figures behind the report: latest.json (a full run, committed, for --report-only), or
// partial.json / quick.json beside their report.
const saved = { machine, seconds, timings, runs, data: ctx.data, leaks: ctx.leaks, failures: ctx.failures };
writeFileSync(full ? join(bench, 'results', 'latest.json') : target.replace(/\.md$/, '.json'), JSON.stringify(saved, null, 2));
if (!args.keep) rmSync(tmp, { recursive: true, force: true });
process.stderr.write(`${summary}\nbench: ${Math.round(seconds)} s in all; report: ${target}\n`);
process.exit(ctx.leaks.length > 0 ? 1 : 0);
