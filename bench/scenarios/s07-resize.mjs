/**
 * S7: resize 4 → 8 (until 8 distinct pids answer) and then 8 → 2 (until only 2 workers run).
 * `http-plain`; clusterchart with its agent, as everywhere.
 */
import { app } from '../lib/context.mjs';
import { untilAnswering } from '../lib/http.mjs';
import { isAlive, workersOf } from '../lib/proc.mjs';
import { ratio, seconds } from '../lib/stats.mjs';
import { bestPeer, med, naOf, table } from '../lib/table.mjs';
import { toolById } from '../lib/tools.mjs';
import { sleep } from '../lib/context.mjs';

export const id = 'S7';
export const title = 'resize 4 → 8 and 8 → 2';

async function untilCount(control, n, timeout) {
  const started = performance.now();
  while (performance.now() - started < timeout) {
    if (workersOf(control).filter(isAlive).length <= n) return performance.now() - started;
    await sleep(2);
  }
  return null;
}

export async function run(ctx) {
  for (const tool of ctx.tools) if (tool.can.resize !== true) ctx.na(id, 'main', tool.id, tool.can.resize);
  for (let r = 1; r <= ctx.runs; r++) {
    for (const tool of ctx.tools.filter((t) => t.can.resize === true)) {
      ctx.step({ tool: tool.label, run: r, runs: ctx.runs });
      await ctx.session({ tool, app: app('http-plain'), size: 4 }, async (h) => {
        try {
          const { control, startedAt } = await h.start();
          const up = await untilAnswering(h.run.port, 4, { since: startedAt, timeout: 20_000 });
          if (up.ms === null) throw new Error('workers did not answer');
          await sleep(300);
          let t0 = performance.now();
          const grown = h.command('resize', { size: 8 }, 30_000);
          const eight = await untilAnswering(h.run.port, 8, { since: t0, timeout: 30_000 });
          await grown;
          ctx.put(id, 'main', tool.id, 'up', eight.ms);
          await sleep(300);
          t0 = performance.now();
          const shrunk = h.command('resize', { size: 2 }, 30_000);
          const two = await untilCount(control, 2, 30_000);
          await shrunk;
          ctx.put(id, 'main', tool.id, 'down', two);
        } catch (error) {
          ctx.fail(id, 'main', tool.id, error);
        }
      });
    }
  }
}

export function report(ctx) {
  const rows = ctx.data[id]?.main ?? {};
  const bestUp = bestPeer(rows, 'up');
  const bestDown = bestPeer(rows, 'down');
  const ccUp = med(rows, 'clusterchart', 'up');
  const ccDown = med(rows, 'clusterchart', 'down');
  const lines = ctx.tools.map((t) => {
    const na = naOf(rows, t.id);
    return na ? [t.label, na, ''] : [t.label, seconds(med(rows, t.id, 'up')), seconds(med(rows, t.id, 'down'))];
  });
  const label = (b) => (b ? `${seconds(b.value)} (${toolById(b.id).label})` : '–');
  return {
    markdown: [
      'Size 4 → 8: resize call → 8 distinct pids answered. 8 → 2: resize call → only 2 workers run (the process table is read every 2 ms).',
      '',
      table(['tool', '4 → 8', '8 → 2'], lines),
      '',
      `clusterchart / best peer: 4 → 8 **${ratio(ccUp, bestUp?.value)}** (${label(bestUp)}); 8 → 2 **${ratio(ccDown, bestDown?.value)}** (${label(bestDown)})`,
    ].join('\n'),
    summary: {
      '4 → 8': { figure: seconds(ccUp), best: label(bestUp), ratio: ratio(ccUp, bestUp?.value) },
      '8 → 2': { figure: seconds(ccDown), best: label(bestDown), ratio: ratio(ccDown, bestDown?.value) },
    },
    goals: [
      { goal: 'S7 4 → 8 no slower than the fastest peer', met: ccUp === undefined || !bestUp ? null : ccUp <= bestUp.value, detail: `${seconds(ccUp)} vs ${label(bestUp)}` },
      { goal: 'S7 8 → 2 no slower than the fastest peer', met: ccDown === undefined || !bestDown ? null : ccDown <= bestDown.value, detail: `${seconds(ccDown)} vs ${label(bestDown)}` },
    ],
  };
}
