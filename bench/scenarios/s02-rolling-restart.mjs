/**
 * S2: rolling restart of 4 workers under load (autocannon: 10 keep-alive connections and 10
 * sending `Connection: close`), with a careful app that drains on its own and a plain one
 * with no shutdown code. Full replacement: from the restart call until every old worker has
 * exited and the tool says the restart is done.
 */
import { app, sleep } from '../lib/context.mjs';
import { untilAnswering } from '../lib/http.mjs';
import { startLoad } from '../lib/load.mjs';
import { isAlive, waitGone, workersOf } from '../lib/proc.mjs';
import { count, ratio, seconds } from '../lib/stats.mjs';
import { bestPeer, intervalToBest, med, naOf, table } from '../lib/table.mjs';
import { toolById } from '../lib/tools.mjs';

export const id = 'S2';
export const title = 'rolling restart under load';

/**
 * clusterchart twice: at its defaults (every replacement at once, no canary) and with a
 * canary (one replacement, 1 s of probation, then one at a time).
 */
const rowsOf = (tool) =>
  tool.id === 'clusterchart'
    ? [
        ['clusterchart', {}],
        ['clusterchart-canary', { restartConcurrency: 1, restartProbation: 1000 }],
      ]
    : [[tool.id, {}]];
const labels = { 'clusterchart-canary': 'clusterchart (canary: restartProbation 1000, restartConcurrency 1)' };

/**
 * Runs of S2 in a full bench (at least): clusterchart and recluster both fork every
 * replacement at once, and one run's spread (0.39–0.50 s) is wider than their difference.
 */
const RUNS = 5;

const apps = [
  ['careful', 'http-careful'],
  ['plain', 'http-plain'],
];

export async function run(ctx) {
  const runs = ctx.runsAtLeast(RUNS);
  for (const [variant, appName] of apps) {
    for (const tool of ctx.tools) if (tool.can.restart !== true) ctx.na(id, variant, tool.id, tool.can.restart);
    const rows = ctx.tools.filter((t) => t.can.restart === true).flatMap((t) => rowsOf(t).map(([row, o]) => [t, row, o]));
    // Runs outside, tools inside (in turn): a passing disturbance of the machine hits every tool alike.
    for (let r = 1; r <= runs; r++) {
      for (const [tool, row, options] of ctx.inTurn(rows, r)) {
        ctx.step({ tool: labels[row] ?? tool.label, variant: `${variant} app`, run: r, runs });
        await ctx.session({ tool, app: app(appName), size: 4, options }, async (h) => {
          try {
            const { control, startedAt } = await h.start();
            const up = await untilAnswering(h.run.port, 4, { since: startedAt, timeout: 20_000 });
            if (up.ms === null) throw new Error('workers did not answer');
            const load = startLoad(h.run.port, h.run.ledger);
            await load.running;
            await sleep(500);
            const old = workersOf(control);
            const t0 = performance.now();
            const t0Wall = Date.now();
            let replied = null;
            const reply = h.command('restart', {}, 60_000).then(() => (replied = performance.now() - t0));
            const gone = await waitGone(old, 60_000);
            await reply;
            await sleep(300);
            const result = await load.stop();
            const failed = (k) => result[k].errors + result[k].timeouts;
            const now = workersOf(control).filter(isAlive);
            ctx.put(id, variant, row, 'full', gone === null ? null : Math.max(gone, replied));
            ctx.put(id, variant, row, 'failed', failed('keepAlive') + failed('close'));
            ctx.put(id, variant, row, 'failedKeepAlive', failed('keepAlive'));
            ctx.put(id, variant, row, 'failedClose', failed('close'));
            ctx.put(id, variant, row, 'non2xx', result.keepAlive.non2xx + result.close.non2xx);
            ctx.put(id, variant, row, 'requests', result.keepAlive.requests + result.close.requests);
            ctx.put(id, variant, row, 'workersAfter', now.filter((pid) => !old.includes(pid)).length);
            if (tool.id === 'clusterchart' || tool.id === 'recluster') breakdown(ctx, variant, row, await h.command('trace', {}, 5000), old, t0Wall);
          } catch (error) {
            ctx.fail(id, variant, row, error);
          }
        });
      }
    }
  }
}

/** Where the time goes, from the tool's trace: boots of the new workers, drains of the old. */
function breakdown(ctx, variant, row, trace, old, t0) {
  const fresh = trace.filter((w) => w.generation === 2 && w.forkAt && w.readyAt).sort((a, b) => a.forkAt - b.forkAt);
  const leaving = trace.filter((w) => old.includes(w.pid) && w.shutdownAt && w.exitAt);
  if (fresh.length === 0 || leaving.length === 0) return;
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  ctx.put(id, variant, row, 'firstFork', fresh[0].forkAt - t0);
  ctx.put(id, variant, row, 'boot', mean(fresh.map((w) => w.readyAt - w.forkAt)));
  ctx.put(id, variant, row, 'drain', mean(leaving.map((w) => w.exitAt - w.shutdownAt)));
  ctx.put(id, variant, row, 'lastReady', Math.max(...fresh.map((w) => w.readyAt)) - t0);
}

const sum = (values) => (values ?? []).reduce((a, b) => a + (b ?? 0), 0);

export function report(ctx) {
  const parts = [
    'Size 4. Load: autocannon, 10 keep-alive connections + 10 `Connection: close` connections, from 0.5 s before the restart until 0.3 s after it. *Full replacement*: restart call → every old worker exited and the tool reports done. *Failed*: socket errors and timeouts (resets included), summed over the runs; non-2xx likewise.',
    '',
  ];
  const goals = [];
  const summary = {};
  for (const [variant] of apps) {
    const rows = ctx.data[id]?.[variant] ?? {};
    const clean = (row) => sum(rows[row]?.failed) === 0 && sum(rows[row]?.non2xx) === 0;
    const bestServing = bestPeer(rows, 'full', { eligible: clean });
    const bestAny = bestPeer(rows, 'full');
    const cc = med(rows, 'clusterchart', 'full');
    const noise = intervalToBest(rows, 'full', bestServing);
    const lines = ctx.tools.flatMap((t) =>
      rowsOf(t).map(([row]) => {
        const na = naOf(rows, row);
        if (na) return [t.label, na, '', '', '', '', ''];
        return [
          labels[row] ?? t.label,
          seconds(med(rows, row, 'full')),
          `${sum(rows[row]?.failed)} (keep-alive ${sum(rows[row]?.failedKeepAlive)}, close ${sum(rows[row]?.failedClose)})`,
          String(sum(rows[row]?.non2xx)),
          count(med(rows, row, 'requests')),
          count(med(rows, row, 'workersAfter')),
          clean(row) ? 'yes' : 'no',
        ];
      }),
    );
    const why = (row) =>
      rows[row]?.boot
        ? `first fork after ${seconds(med(rows, row, 'firstFork'))}, a new worker boots (fork → ready) in ${seconds(med(rows, row, 'boot'))} on average, the last is ready at ${seconds(med(rows, row, 'lastReady'))}, an old one drains in ${seconds(med(rows, row, 'drain'))} on average`
        : '';
    parts.push(
      `**${variant} app** (\`bench/apps/http-${variant}.cjs\`)`,
      '',
      table(['tool', 'full replacement', 'failed requests', 'non-2xx', 'requests (median)', 'new workers after', 'kept serving'], lines),
      '',
      `clusterchart / fastest peer that kept serving (${bestServing ? toolById(bestServing.id).label : 'none'}): **${ratio(cc, bestServing?.value)}**; / fastest peer at all (${bestAny ? toolById(bestAny.id).label : '–'}, ${seconds(bestAny?.value)}): ${ratio(cc, bestAny?.value)}; with a canary (restartProbation 1000, restartConcurrency 1): ${ratio(med(rows, 'clusterchart-canary', 'full'), bestServing?.value)}. Medians of ${rows.clusterchart?.full?.length ?? 0} runs (a full bench runs S2 at least ${RUNS} times); the 95% bootstrap interval of the first ratio: ${noise}.`,
      '',
      `Where the time goes (medians; clusterchart from its own events, recluster from node:cluster's): clusterchart at defaults, ${why('clusterchart')}; with a canary, ${why('clusterchart-canary')} (the 1 s probation sits between the canary's ready and the second fork); recluster, ${why('recluster')}.`,
      '',
    );
    const failures = sum(rows.clusterchart?.failed) + sum(rows.clusterchart?.non2xx);
    goals.push({
      goal: `S2 ${variant} app: zero failed requests (both client kinds)`,
      met: rows.clusterchart?.failed ? failures === 0 : null,
      detail: `${failures} failed/non-2xx over ${rows.clusterchart?.failed?.length ?? 0} runs`,
    });
    goals.push({
      goal: `S2 ${variant} app: full replacement no slower than the fastest peer that keeps serving`,
      met: cc === undefined ? null : bestServing === undefined ? true : cc <= bestServing.value,
      detail: `${seconds(cc)} vs ${bestServing ? `${seconds(bestServing.value)} (${toolById(bestServing.id).label}) (ratio 95% interval ${noise})` : 'no peer kept serving'}`,
    });
    summary[variant] = { figure: `${seconds(cc)}, ${failures} failed`, best: bestServing && `${seconds(bestServing.value)} (${toolById(bestServing.id).label})`, ratio: ratio(cc, bestServing?.value) };
  }
  return { markdown: parts.join('\n'), goals, summary };
}
