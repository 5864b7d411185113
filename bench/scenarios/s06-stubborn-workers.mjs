/**
 * S6: workers that ignore disconnect, SIGTERM and SIGINT (`stubborn`): time from the stop
 * (or restart) call until every original worker is dead, or "stuck" past the cap. At
 * defaults, and once more with the timeouts equalised (1 s of grace, then SIGTERM, 1 s more,
 * then SIGKILL, where a tool has those settings). Every tool runs side by side, as these
 * figures are set by the tools' timers, but the stops and the restarts run in sessions of
 * their own: a restart boots replacements, and some twenty booting workers on 2 cores starve
 * every control whose stop timers fall due meanwhile. For clusterchart the per-worker delay
 * from its shutdown to its death is also taken from its own events.
 */
import { app } from '../lib/context.mjs';
import { waitGone, workersOf } from '../lib/proc.mjs';
import { seconds } from '../lib/stats.mjs';
import { med, table } from '../lib/table.mjs';
import { untilAnswering } from '../lib/http.mjs';

export const id = 'S6';
export const title = 'workers that ignore disconnect and SIGTERM';

const variants = [
  { name: 'defaults', cap: 20_000, grace: 10_000 },
  { name: 'equalised', cap: 8000, grace: 2000 },
];

/** Rows: clusterchart without its agent (which would end the worker itself), and with it. */
function rowsOf(tools, variant) {
  const rows = [];
  for (const tool of tools) {
    const base = variant.name === 'equalised' ? tool.equalised : {};
    if (base === null) continue; // no such setting: the same as at defaults
    if (tool.id === 'clusterchart') {
      rows.push({ row: 'clusterchart', tool, options: { ...base, agent: false } });
      rows.push({ row: 'clusterchart-agent', tool, options: { ...base } });
    } else rows.push({ row: tool.id, tool, options: base });
  }
  return rows;
}

export async function run(ctx) {
  for (const variant of variants) {
    for (const row of rowsOf(ctx.tools, variant)) if (row.tool.can.restart !== true) ctx.na(id, `${variant.name}-restart`, row.row, row.tool.can.restart);
    for (let r = 1; r <= ctx.runs; r++) {
      for (const action of ['stop', 'restart']) await measure(ctx, variant, action, r);
    }
  }
}

/** One session: every tool's stubborn workers started side by side, then all stopped (or all restarted) at once. */
async function measure(ctx, variant, action, r) {
  ctx.step({ tool: `all tools side by side, ${action}`, variant: variant.name, run: r, runs: ctx.runs });
  const jobs = rowsOf(ctx.tools, variant)
    .filter((row) => action === 'stop' || row.tool.can.restart === true)
    .map((row) => ({ ...row, action }));
  const specs = jobs.map((job) => ({ tool: job.tool, app: app('stubborn'), size: 4, options: job.options, name: `${job.row}-${job.action}` }));
  await ctx.sessions(specs, async (handles) => {
    const ready = await Promise.all(
      handles.map(async (h, i) => {
        try {
          const { control, startedAt } = await h.start(30_000);
          const up = await untilAnswering(h.run.port, 4, { since: startedAt, timeout: 30_000 });
          if (up.ms === null) throw new Error('workers did not answer');
          return { h, job: jobs[i], control };
        } catch (error) {
          ctx.fail(id, `${variant.name}-${jobs[i].action}`, jobs[i].row, error);
          return null;
        }
      }),
    );
    await Promise.all(
      ready.filter(Boolean).map(async ({ h, job, control }) => {
        const table = `${variant.name}-${job.action}`;
        const workers = workersOf(control);
        h.command(job.action, {}, variant.cap).catch(() => {});
        const gone = await waitGone(workers, variant.cap, 20);
        ctx.put(id, table, job.row, 'killed', gone);
        if (job.tool.id === 'clusterchart') {
          const trace = await h.command('trace', {}, 5000).catch(() => []);
          const delays = trace.filter((w) => workers.includes(w.pid) && w.shutdownAt && w.exitAt).map((w) => w.exitAt - w.shutdownAt);
          if (delays.length) ctx.put(id, table, job.row, 'perWorkerMax', Math.max(...delays));
          if (delays.length) ctx.put(id, table, job.row, 'perWorkerMin', Math.min(...delays));
        }
      }),
    );
  });
}

export function report(ctx) {
  const data = ctx.data[id] ?? {};
  const parts = [
    'Size 4, `stubborn`. Every tool side by side, the stops in one session and the restarts in the next (a restart boots replacements, which would starve the stopping controls). Time from the call until every original worker is dead, watched up to a cap (20 s at defaults, 8 s equalised; strong-cluster-control stops its workers one after the other, so it needs 4 × its timeouts, and the hand-written master, recluster\'s reload and throng never escalate to SIGKILL). Equalised: clusterchart and strong-cluster-control shutdownTimeout 1 s + terminateTimeout 1 s; PM2 kill_timeout 2 s; throng grace 2 s; recluster timeout 2 s; cluster-master and the hand-written master have no such setting. clusterchart runs without its agent in the main row: the agent ends a worker 100 ms after its servers closed, whatever the app does, so the escalation would never be seen; the agent row shows that.',
    '',
  ];
  const goals = [];
  const summary = {};
  for (const variant of variants) {
    const stop = data[`${variant.name}-stop`] ?? {};
    const restart = data[`${variant.name}-restart`] ?? {};
    const cell = (rows, row) => {
      if (rows[row]?.na) return `n/a (${rows[row].na})`;
      const v = med(rows, row, 'killed');
      if (v === undefined) return '–';
      const stuck = (rows[row].killed ?? []).filter((x) => x === null).length;
      const cap = `> ${seconds(variant.cap, 0)}`;
      return v === Infinity ? `${cap}: not all killed (${stuck}/${rows[row].killed.length} runs)` : `${seconds(v)}${stuck ? ` (${cap} in ${stuck} run)` : ''}`;
    };
    const lines = rowsOf(ctx.tools, variant).map(({ row, tool }) => [
      row === 'clusterchart-agent' ? 'clusterchart, agent on' : row === 'clusterchart' ? 'clusterchart (agent off)' : tool.label,
      cell(stop, row),
      cell(restart, row),
      row.startsWith('clusterchart') ? `${seconds(med(stop, row, 'perWorkerMax'))} / ${seconds(med(restart, row, 'perWorkerMax'))}` : '',
    ]);
    parts.push(`**${variant.name}**`, '', table(['tool', 'stop: all killed', 'restart: all old killed', 'shutdown → death per worker, slowest (stop / restart)'], lines), '');
    const ccStop = med(stop, 'clusterchart', 'killed');
    const perStop = stop.clusterchart?.perWorkerMax ?? [];
    const perRestart = restart.clusterchart?.perWorkerMax ?? [];
    const perMin = [...(stop.clusterchart?.perWorkerMin ?? []), ...(restart.clusterchart?.perWorkerMin ?? [])];
    const all = [...perStop, ...perRestart, ...perMin];
    const inBand = (v) => v >= variant.grace * 0.9 && v <= variant.grace * 1.1;
    const stuck = [...(stop.clusterchart?.killed ?? []), ...(restart.clusterchart?.killed ?? [])].some((v) => v === null);
    goals.push({
      goal: `S6 (${variant.name}) all killed at shutdownTimeout + terminateTimeout (${seconds(variant.grace, 0)}) ±10%, never stuck`,
      met: all.length === 0 ? null : all.every(inBand) && !stuck && ccStop !== undefined && inBand(ccStop),
      detail: `stop ${seconds(ccStop)}; per worker ${seconds(Math.min(...all))}–${seconds(Math.max(...all))} (stop and restart); restart all old killed ${seconds(med(restart, 'clusterchart', 'killed'))}${stuck ? '; stuck in a run' : ''}`,
    });
    summary[variant.name] = { figure: `stop ${seconds(ccStop)}, restart ${seconds(med(restart, 'clusterchart', 'killed'))}`, best: bestOf(ctx, stop, variant), ratio: '–' };
  }
  return { markdown: parts.join('\n'), goals, summary };
}

function bestOf(ctx, rows, variant) {
  let best;
  for (const { row, tool } of rowsOf(ctx.tools, variant)) {
    if (tool.id === 'clusterchart' || tool.baseline || tool.gracefulStop === false) continue;
    const v = med(rows, row, 'killed');
    if (v !== undefined && Number.isFinite(v) && (best === undefined || v < best.v)) best = { v, label: tool.label };
  }
  return best && `stop ${seconds(best.v)} (${best.label}; recluster's terminate() SIGKILLs at once, not counted)`;
}
