/**
 * S9: 64 tiny workers (`http-plain`): start until all 64 answer, then a rolling restart until
 * every old one has exited and the tool says done; clusterchart against the hand-written
 * master, whose restart replaces one worker at a time with no canary. clusterchart once at
 * its defaults (agent on, every replacement at once) and once equalised with the master:
 * agent off, one replacement at a time.
 */
import { app, sleep } from '../lib/context.mjs';
import { untilAnswering } from '../lib/http.mjs';
import { waitGone, workersOf } from '../lib/proc.mjs';
import { ratio, seconds } from '../lib/stats.mjs';
import { med, table } from '../lib/table.mjs';

export const id = 'S9';
export const title = 'scale: 64 workers started, then restarted';

const SIZE = 64;

const rows = (tools) =>
  [
    ['clusterchart', 'clusterchart', {}],
    ['clusterchart-equalised', 'clusterchart', { agent: false, restartConcurrency: 1 }],
    ['node-cluster', 'node-cluster', {}],
  ].filter(([, tool]) => tools.some((t) => t.id === tool));

export async function run(ctx) {
  for (let r = 1; r <= ctx.runs; r++) {
    for (const [row, toolId, options] of rows(ctx.tools)) {
      const tool = ctx.tools.find((t) => t.id === toolId);
      ctx.step({ tool: tool.label, variant: row.endsWith('equalised') ? 'agent off, one at a time' : '', run: r, runs: ctx.runs });
      await ctx.session({ tool, app: app('http-plain'), size: SIZE, options }, async (h) => {
        try {
          const { control, startedAt } = await h.start(60_000);
          const up = await untilAnswering(h.run.port, SIZE, { since: startedAt, timeout: 60_000 });
          if (up.ms === null) throw new Error(`only ${up.pids.size} of ${SIZE} answered`);
          ctx.put(id, 'main', row, 'start', up.ms);
          await sleep(500);
          const old = workersOf(control);
          const t0 = performance.now();
          let replied = null;
          const reply = h.command('restart', {}, 120_000).then(() => (replied = performance.now() - t0));
          const gone = await waitGone(old, 120_000, 20);
          await reply;
          ctx.put(id, 'main', row, 'restart', gone === null ? null : Math.max(gone, replied));
        } catch (error) {
          ctx.fail(id, 'main', row, error);
        }
      });
    }
  }
}

export function report(ctx) {
  const data = ctx.data[id]?.main ?? {};
  const labels = { clusterchart: 'clusterchart (defaults: agent on, all at once)', 'clusterchart-equalised': 'clusterchart (agent off, one at a time)', 'node-cluster': 'node:cluster by hand' };
  const base = { start: med(data, 'node-cluster', 'start'), restart: med(data, 'node-cluster', 'restart') };
  const lines = rows(ctx.tools).map(([row]) => [
    labels[row],
    seconds(med(data, row, 'start')),
    ratio(med(data, row, 'start'), base.start),
    seconds(med(data, row, 'restart')),
    ratio(med(data, row, 'restart'), base.restart),
  ]);
  const cc = { start: med(data, 'clusterchart', 'start'), restart: med(data, 'clusterchart', 'restart') };
  const eq = { start: med(data, 'clusterchart-equalised', 'start'), restart: med(data, 'clusterchart-equalised', 'restart') };
  const within = (a, b) => (a === undefined || b === undefined ? null : a <= b * 1.1);
  return {
    markdown: [
      `Size ${SIZE}, \`http-plain\`. Start: start call → all ${SIZE} answered. Restart: restart call → every old worker exited and the tool says done (the hand-written master: one replacement at a time; clusterchart at its defaults: all at once, each old worker leaving once its replacement is ready).`,
      '',
      table(['tool', `start ${SIZE}`, 'vs by hand', `restart ${SIZE}`, 'vs by hand'], lines),
    ].join('\n'),
    summary: {
      start: { figure: seconds(cc.start), best: `${seconds(base.start)} (by hand)`, ratio: ratio(cc.start, base.start) },
      restart: { figure: seconds(cc.restart), best: `${seconds(base.restart)} (by hand)`, ratio: ratio(cc.restart, base.restart) },
    },
    goals: [
      { goal: 'S9 start of 64 within 10% of the hand-written master', met: within(cc.start, base.start), detail: `${seconds(cc.start)} vs ${seconds(base.start)} (${ratio(cc.start, base.start)}); agent off: ${ratio(eq.start, base.start)}` },
      { goal: 'S9 restart of 64 within 10% of the hand-written master', met: within(cc.restart, base.restart), detail: `${seconds(cc.restart)} vs ${seconds(base.restart)} (${ratio(cc.restart, base.restart)}); agent off, one at a time: ${seconds(eq.restart)} (${ratio(eq.restart, base.restart)})` },
    ],
  };
}
