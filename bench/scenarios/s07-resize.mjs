/**
 * S7: resize 4 → 8 (until 8 distinct pids answer) and then 8 → 2 (until only 2 of the 8
 * workers run). `http-plain`; clusterchart with its agent, as everywhere.
 *
 * Both take milliseconds to a few hundred, and the spread between runs is wider than the
 * differences between tools: S7 runs RUNS times (or --runs, when more), every tool in turn.
 * The shrink polls only the 8 pids it found before it began: reading the whole process
 * table every 2 ms would take a good part of one of the 2 cores the exiting workers need.
 */
import { app, sleep } from '../lib/context.mjs';
import { untilAnswering } from '../lib/http.mjs';
import { childTable, cpuMsOf, helpersOf, isAlive, untilAtMost, workersOf } from '../lib/proc.mjs';
import { millis, ratio, seconds } from '../lib/stats.mjs';
import { bestPeer, intervalToBest, med, naOf, table } from '../lib/table.mjs';
import { toolById } from '../lib/tools.mjs';

export const id = 'S7';
export const title = 'resize 4 → 8 and 8 → 2';

/** Runs of S7 in a full bench (at least); see above. */
const RUNS = 11;

export async function run(ctx) {
  for (const tool of ctx.tools) if (tool.can.resize !== true) ctx.na(id, 'main', tool.id, tool.can.resize);
  const runs = ctx.runsAtLeast(RUNS);
  for (let r = 1; r <= runs; r++) {
    for (const tool of ctx.inTurn(ctx.tools.filter((t) => t.can.resize === true), r)) {
      ctx.step({ tool: tool.label, run: r, runs });
      await ctx.session({ tool, app: app('http-plain'), size: 4 }, async (h) => {
        try {
          const { control, startedAt } = await h.start();
          const up = await untilAnswering(h.run.port, 4, { since: startedAt, timeout: 20_000 });
          if (up.ms === null) throw new Error('workers did not answer');
          await sleep(300);
          const serving = workersOf(control).filter(isAlive);
          const cpuBefore = cpuNow(control, serving);
          let t0 = performance.now();
          const grown = h.command('resize', { size: 8 }, 30_000);
          const eight = await untilAnswering(h.run.port, 8, { since: t0, timeout: 30_000 });
          const cpuAfter = cpuNow(control, serving);
          await grown;
          ctx.put(id, 'main', tool.id, 'up', eight.ms);
          const spent = cpuParts.map((part) => cpuAfter[part] - cpuBefore[part]);
          cpuParts.forEach((part, i) => ctx.put(id, 'cpu', tool.id, part, spent[i]));
          ctx.put(id, 'cpu', tool.id, 'total', spent.reduce((sum, ms) => sum + ms, 0));
          await sleep(300);
          const workers = workersOf(control).filter(isAlive);
          if (workers.length !== 8) throw new Error(`expected 8 workers before the shrink, found ${workers.length}`);
          t0 = performance.now();
          const shrunk = h.command('resize', { size: 2 }, 30_000);
          const two = await untilAtMost(workers, 2, { since: t0, timeout: 30_000, interval: 2 });
          await shrunk;
          ctx.put(id, 'main', tool.id, 'down', two);
        } catch (error) {
          ctx.fail(id, 'main', tool.id, error);
        }
      });
    }
  }
}

/** Where the CPU of the 4 → 8 window goes, in the order of the report's columns. */
const cpuParts = ['control', 'serving', 'booting', 'poller'];

/**
 * CPU time (ms) so far of the control with its helpers, of the workers that were serving
 * before the grow, of its other workers (those the grow started: all of their CPU falls in
 * the window), and of this process, whose only work in the window is asking for pids.
 */
function cpuNow(control, serving) {
  const table = childTable();
  const sum = (pids) => pids.reduce((total, pid) => total + (cpuMsOf(pid) ?? 0), 0);
  const { user, system } = process.cpuUsage();
  return {
    control: sum([control, ...helpersOf(control, table)]),
    serving: sum(serving),
    booting: sum(workersOf(control, table).filter((pid) => !serving.includes(pid))),
    poller: (user + system) / 1000,
  };
}

/** How many runs the figures are medians of. */
const runsIn = (rows) => Math.max(0, ...Object.values(rows).map((row) => row.down?.length ?? 0));

export function report(ctx) {
  const rows = ctx.data[id]?.main ?? {};
  const bestUp = bestPeer(rows, 'up');
  const bestDown = bestPeer(rows, 'down');
  const ccUp = med(rows, 'clusterchart', 'up');
  const ccDown = med(rows, 'clusterchart', 'down');
  const lines = ctx.tools.map((t) => {
    const na = naOf(rows, t.id);
    return na ? [t.label, na, ''] : [t.label, seconds(med(rows, t.id, 'up')), millis(med(rows, t.id, 'down'))];
  });
  // The shrink takes milliseconds: shown in ms, not in hundredths of a second.
  const label = (b, format = seconds) => (b ? `${format(b.value)} (${toolById(b.id).label})` : '–');
  const cpu = ctx.data[id]?.cpu ?? {};
  const ms = (v) => (v === undefined ? '–' : v.toFixed(0));
  const cpuLines = ctx.tools
    .filter((t) => cpu[t.id]?.total !== undefined)
    .map((t) => [t.label, ...[...cpuParts, 'total'].map((part) => ms(med(cpu, t.id, part))), ms(med(cpu, t.id, 'total') / 2)]);
  const upRange = intervalToBest(rows, 'up', bestUp);
  const downRange = intervalToBest(rows, 'down', bestDown);
  return {
    markdown: [
      `Size 4 → 8: resize call → 8 distinct pids answered. 8 → 2: resize call → only 2 of the 8 workers run (their pids, taken before the call, are read every 2 ms). Medians of ${runsIn(rows)} runs (a full bench runs S7 at least ${RUNS} times: its figures are milliseconds apart).`,
      '',
      table(['tool', '4 → 8', '8 → 2'], lines),
      '',
      `clusterchart / best peer: 4 → 8 **${ratio(ccUp, bestUp?.value)}** (${label(bestUp)}); 8 → 2 **${ratio(ccDown, bestDown?.value)}** (${label(bestDown, millis)})`,
      '',
      `95% bootstrap interval of that ratio, from the runs above: 4 → 8 ${upRange}, 8 → 2 ${downRange} (one that spans 1.00× means the two are apart by less than their run-to-run noise).`,
      '',
      'Where the two cores went in the 4 → 8 window (ms of CPU, medians): the control with its helper processes, the four workers already serving, the four booting (all of their CPU so far), and the bench itself, whose one job then is asking for pids, 4 connections at a time. The cores are busy throughout, so the window takes about the total over two; a supervisor adds its control\'s CPU and its workers\' to it.',
      '',
      table(['tool', 'control', 'serving workers', 'booting workers', 'bench', 'total', 'total / 2 cores'], cpuLines),
    ].join('\n'),
    summary: {
      '4 → 8': { figure: seconds(ccUp), best: label(bestUp), ratio: ratio(ccUp, bestUp?.value) },
      '8 → 2': { figure: millis(ccDown), best: label(bestDown, millis), ratio: ratio(ccDown, bestDown?.value) },
    },
    goals: [
      { goal: 'S7 4 → 8 no slower than the fastest peer', met: ccUp === undefined || !bestUp ? null : ccUp <= bestUp.value, detail: `${seconds(ccUp)} vs ${label(bestUp)} (ratio 95% interval ${upRange})` },
      { goal: 'S7 8 → 2 no slower than the fastest peer', met: ccDown === undefined || !bestDown ? null : ccDown <= bestDown.value, detail: `${millis(ccDown)} vs ${label(bestDown, millis)} (ratio 95% interval ${downRange})` },
    ],
  };
}
