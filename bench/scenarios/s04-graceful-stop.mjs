/**
 * S4: graceful stop of 4 workers that each need 1 s after they are asked to stop
 * (`slow-drain`, whichever way they are asked). Time from the stop call until every worker
 * has exited, and how many finished their drain (recorded by the app before it exits 0).
 */
import { app } from '../lib/context.mjs';
import { untilAnswering } from '../lib/http.mjs';
import { readRecords, waitGone, workersOf } from '../lib/proc.mjs';
import { count, ratio, seconds } from '../lib/stats.mjs';
import { bestPeer, med, table } from '../lib/table.mjs';
import { toolById } from '../lib/tools.mjs';

export const id = 'S4';
export const title = 'graceful stop, 1 s drain per worker';

const DRAIN_MS = 1000;
const CAP_MS = 15_000;

/** clusterchart also without its agent: the agent ends a worker 100 ms after its servers closed. */
const variants = (tool) =>
  tool.id === 'clusterchart'
    ? [
        ['clusterchart', {}],
        ['clusterchart-no-agent', { agent: false }],
      ]
    : [[tool.id, {}]];

export async function run(ctx) {
  for (let r = 1; r <= ctx.runs; r++) {
    for (const tool of ctx.inTurn(ctx.tools, r)) {
      for (const [row, options] of variants(tool)) {
        ctx.step({ tool: tool.label, variant: row === tool.id ? '' : 'no agent', run: r, runs: ctx.runs });
        await ctx.session({ tool, app: app('slow-drain'), size: 4, options, env: { DRAIN_MS: String(DRAIN_MS) } }, async (h) => {
          try {
            const { control, startedAt } = await h.start();
            const up = await untilAnswering(h.run.port, 4, { since: startedAt, timeout: 20_000 });
            if (up.ms === null) throw new Error('workers did not answer');
            const workers = workersOf(control);
            h.command('stop', {}, CAP_MS).catch(() => {});
            const gone = await waitGone(workers, CAP_MS);
            const drained = readRecords(h.run.pidsFile).filter((rec) => rec.kind === 'drained' && workers.includes(rec.pid)).length;
            ctx.put(id, 'main', row, 'stop', gone);
            ctx.put(id, 'main', row, 'drained', drained);
          } catch (error) {
            ctx.fail(id, 'main', row, error);
          }
        });
      }
    }
  }
}

export function report(ctx) {
  const rows = ctx.data[id]?.main ?? {};
  const allDrained = (row) => rows[row]?.drained?.length && rows[row].drained.every((d) => d === 4);
  const best = bestPeer(rows, 'stop', { eligible: allDrained });
  const cc = med(rows, 'clusterchart', 'stop');
  const labels = { 'clusterchart-no-agent': 'clusterchart, agent off' };
  const lines = ctx.tools.flatMap((t) =>
    variants(t).map(([row]) => [labels[row] ?? t.label, seconds(med(rows, row, 'stop')), `${count(med(rows, row, 'drained'))} of 4`, allDrained(row) ? 'yes' : 'no']),
  );
  const within = (v) => v !== undefined && v <= DRAIN_MS * 1.1;
  const noAgent = med(rows, 'clusterchart-no-agent', 'stop');
  return {
    markdown: [
      `Size 4, \`slow-drain\` (DRAIN_MS=${DRAIN_MS}). Stop call → every worker exited; drained = workers that finished their 1 s of work and exited 0 on their own. Best peer: the fastest among those whose 4 workers all drained (recluster has no graceful stop: its terminate() SIGKILLs).`,
      '',
      table(['tool', 'stop', 'drained', 'all drained'], lines),
      '',
      `clusterchart / best peer (${best ? toolById(best.id).label : '–'}): **${ratio(cc, best?.value)}**`,
    ].join('\n'),
    summary: { figure: `${seconds(cc)}, ${count(med(rows, 'clusterchart', 'drained'))}/4 drained`, best: best && `${seconds(best.value)} (${toolById(best.id).label})`, ratio: ratio(cc, best?.value) },
    goals: [
      {
        goal: 'S4 stop within 10% of one drain (parallel), every worker drained',
        met: cc === undefined ? null : within(cc) && allDrained('clusterchart'),
        detail: `${seconds(cc)}, ${count(med(rows, 'clusterchart', 'drained'))}/4 drained (agent on); agent off: ${seconds(noAgent)}, ${count(med(rows, 'clusterchart-no-agent', 'drained'))}/4 drained`,
      },
    ],
  };
}
