/**
 * S1: start until 4 workers answer (distinct pids over HTTP). A start takes a quarter of a
 * second and varies between runs by tens of ms, about as much as the tools differ: S1 runs
 * RUNS times (or --runs, when more) and gives the ratio's interval.
 */
import { app } from '../lib/context.mjs';
import { untilAnswering } from '../lib/http.mjs';
import { seconds, ratio } from '../lib/stats.mjs';
import { bestPeer, intervalToBest, med, naOf, runsOf, table } from '../lib/table.mjs';
import { toolById } from '../lib/tools.mjs';

export const id = 'S1';
export const title = 'start until 4 workers answer';

/** Runs of S1 in a full bench (at least); see above. */
const RUNS = 7;

export async function run(ctx) {
  const runs = ctx.runsAtLeast(RUNS);
  // Runs outside, tools inside (in turn): a passing disturbance of the machine hits every tool alike.
  for (let r = 1; r <= runs; r++) {
    for (const tool of ctx.inTurn(ctx.tools, r)) {
      ctx.step({ tool: tool.label, run: r, runs });
      await ctx.session({ tool, app: app('http-plain'), size: 4 }, async (h) => {
        try {
          const { startedAt } = await h.start();
          const answered = await untilAnswering(h.run.port, 4, { since: startedAt, timeout: 20_000 });
          if (answered.ms === null) throw new Error(`only ${answered.pids.size} workers answered within 20 s`);
          ctx.put(id, 'main', tool.id, 'fromSpawn', startedAt + answered.ms - h.spawnedAt);
          ctx.put(id, 'main', tool.id, 'fromStart', answered.ms);
        } catch (error) {
          ctx.fail(id, 'main', tool.id, error);
        }
      });
    }
  }
}

export function report(ctx) {
  const rows = ctx.data[id]?.main ?? {};
  const best = bestPeer(rows, 'fromSpawn');
  const cc = med(rows, 'clusterchart', 'fromSpawn');
  const lines = ctx.tools.map((t) => [
    t.label,
    naOf(rows, t.id) ?? seconds(med(rows, t.id, 'fromSpawn')),
    seconds(med(rows, t.id, 'fromStart')),
  ]);
  return {
    markdown: [
      'Size 4, `http-plain`. From the spawn of the primary (for PM2: of the client, which starts its daemon, as a first `pm2 start` does) until 4 distinct pids have answered; and from the start call, once the primary had loaded its tool.',
      '',
      table(['tool', 'spawn → 4 answer', 'start call → 4 answer'], lines),
      '',
      `clusterchart / best peer (${best ? toolById(best.id).label : '–'}): **${ratio(cc, best?.value)}**; medians of ${runsOf(rows, 'clusterchart', 'fromSpawn')} runs (a full bench runs S1 at least ${RUNS} times), the ratio's 95% bootstrap interval ${intervalToBest(rows, 'fromSpawn', best)}. No goal: bench/analysis.md says where clusterchart's start goes.`,
    ].join('\n'),
    summary: { figure: seconds(cc), best: best && `${seconds(best.value)} (${toolById(best.id).label})`, ratio: ratio(cc, best?.value) },
    goals: [],
  };
}
