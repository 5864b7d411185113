/**
 * S8: the control at rest: RSS and CPU of the control process (the primary; PM2's daemon)
 * with 4 idle workers, sampled over 5 s after 3 s of settling. All tools run side by side:
 * at rest they do not compete.
 */
import { app, sleep } from '../lib/context.mjs';
import { untilAnswering } from '../lib/http.mjs';
import { cpuMsOf, helpersOf, rssOf } from '../lib/proc.mjs';
import { mb, ratio } from '../lib/stats.mjs';
import { med, table } from '../lib/table.mjs';

export const id = 'S8';
export const title = 'idle control RSS and CPU';

const SETTLE_MS = 3000;
const SAMPLE_MS = 10_000;

export async function run(ctx) {
  for (let r = 1; r <= ctx.runs; r++) {
    ctx.step({ tool: 'all tools side by side', run: r, runs: ctx.runs });
    const specs = ctx.tools.map((tool) => ({ tool, app: app('http-plain'), size: 4 }));
    await ctx.sessions(specs, async (handles) => {
      const ready = await Promise.all(
        handles.map(async (h) => {
          try {
            const { control, startedAt } = await h.start(30_000);
            const up = await untilAnswering(h.run.port, 4, { since: startedAt, timeout: 30_000 });
            if (up.ms === null) throw new Error('workers did not answer');
            return { h, control };
          } catch (error) {
            ctx.fail(id, 'main', h.spec.tool.id, error);
            return null;
          }
        }),
      );
      await sleep(SETTLE_MS);
      const live = ready.filter(Boolean);
      const before = live.map(({ control }) => cpuMsOf(control));
      const t0 = performance.now();
      await sleep(SAMPLE_MS);
      const elapsed = performance.now() - t0;
      live.forEach(({ h, control }, i) => {
        const cpu = cpuMsOf(control);
        ctx.put(id, 'main', h.spec.tool.id, 'rss', rssOf(control));
        // Helper processes of the control that are not workers (clusterchart's warden, a /bin/sh).
        const helpers = helpersOf(control);
        ctx.put(id, 'main', h.spec.tool.id, 'helpers', helpers.reduce((sum, pid) => sum + (rssOf(pid) ?? 0), 0));
        ctx.put(id, 'main', h.spec.tool.id, 'cpu', cpu === null || before[i] === null ? null : ((cpu - before[i]) / elapsed) * 100);
      });
    });
  }
}

export function report(ctx) {
  const rows = ctx.data[id]?.main ?? {};
  const base = med(rows, 'node-cluster', 'rss');
  const cc = med(rows, 'clusterchart', 'rss');
  const ccCpu = med(rows, 'clusterchart', 'cpu');
  const pct = (v) => (v === undefined ? '–' : `${v.toFixed(2)} %`);
  const helpers = (tool) => {
    const bytes = med(rows, tool, 'helpers');
    return bytes === undefined || bytes === 0 ? '–' : mb(bytes);
  };
  const ccHelpers = med(rows, 'clusterchart', 'helpers');
  const lines = ctx.tools.map((t) => [t.label, mb(med(rows, t.id, 'rss')), ratio(med(rows, t.id, 'rss'), base), helpers(t.id), pct(med(rows, t.id, 'cpu'))]);
  return {
    markdown: [
      `Size 4, \`http-plain\`, no traffic. RSS of the control process after ${SETTLE_MS / 1000} s at rest; *helpers*: RSS of its child processes that are not workers (clusterchart's orphan warden, a \`/bin/sh\`), shown apart; CPU = its CPU time over the next ${SAMPLE_MS / 1000} s, every thread's, to the nanosecond (V8's collections of what the start allocated count too). PM2: its daemon (the client that started it has gone idle too, and is not counted).`,
      '',
      table(['tool', 'RSS', 'vs hand-written master', 'helpers', 'CPU'], lines),
    ].join('\n'),
    summary: { figure: `${mb(cc)}, ${pct(ccCpu)} CPU`, best: `${mb(base)} (node:cluster by hand)`, ratio: ratio(cc, base) },
    goals: [
      { goal: 'S8 RSS within 15% of the plain master', met: cc === undefined || base === undefined ? null : cc <= base * 1.15, detail: `${mb(cc)} vs ${mb(base)} (${ratio(cc, base)})${ccHelpers ? `; with its warden (${mb(ccHelpers)}) ${mb(cc + ccHelpers)} (${ratio(cc + ccHelpers, base)})` : ''}` },
      { goal: 'S8 idle CPU under 0.5%', met: ccCpu === undefined ? null : ccCpu < 0.5, detail: pct(ccCpu) },
    ],
  };
}
