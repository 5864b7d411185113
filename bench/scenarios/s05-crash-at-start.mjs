/**
 * S5: an app that crashes at start, every time. Forks in the first 10 s after the start call
 * (counted from the app's own records, so every tool is counted alike) and whether the tool
 * gives up: its primary exits (with which code), or PM2 marks the app `errored`. The tools
 * run side by side (the counts are set by their timers, except for the ones that re-fork at
 * once, which share the CPU). Then clusterchart alone, for 65 s, to see whether (and when) it
 * gives up at all.
 */
import { app, sleep } from '../lib/context.mjs';
import { readRecords } from '../lib/proc.mjs';
import { count, seconds } from '../lib/stats.mjs';
import { med, table } from '../lib/table.mjs';

export const id = 'S5';
export const title = 'crash at start';

const WINDOW_MS = 10_000;

export async function run(ctx) {
  for (let r = 1; r <= ctx.runs; r++) {
    ctx.step({ tool: 'all tools side by side', run: r, runs: ctx.runs });
    const specs = ctx.tools.map((tool) => ({ tool, app: app('crash-at-start'), size: 4 }));
    await ctx.sessions(specs, async (handles) => {
      await Promise.all(handles.map((h) => h.loaded().catch(() => {})));
      const started = new Map();
      await Promise.all(
        handles.map(async (h) => {
          try {
            const wall = Date.now();
            const perf = performance.now();
            await h.start();
            started.set(h, { wall, perf });
          } catch (error) {
            ctx.fail(id, 'main', h.spec.tool.id, error);
          }
        }),
      );
      await sleep(WINDOW_MS + 300);
      for (const h of handles) {
        const tool = h.spec.tool;
        const t0 = started.get(h);
        if (t0 === undefined) continue;
        const forks = readRecords(h.run.pidsFile).filter((rec) => rec.kind === 'worker' && rec.time - t0.wall <= WINDOW_MS);
        ctx.put(id, 'main', tool.id, 'forks', forks.length);
        const exit = h.exit();
        let gaveUp = exit === null ? null : { how: `exits ${exit.signal ?? exit.code}`, at: exit.at - t0.perf };
        if (tool.id === 'pm2' && exit === null) {
          const status = await h.command('status', {}, 5000).catch(() => []);
          if (status.length > 0 && status.every((p) => p.state === 'errored')) gaveUp = { how: 'errored (daemon stays)', at: null };
        }
        ctx.put(id, 'main', tool.id, 'gaveUp', gaveUp === null ? 'no' : gaveUp.how);
        if (gaveUp?.at != null) ctx.put(id, 'main', tool.id, 'gaveUpAt', gaveUp.at);
      }
    });
  }
  if (ctx.tools.some((t) => t.id === 'clusterchart') && !ctx.quick) await watchLong(ctx);
}

/**
 * clusterchart alone, on a machine at rest, for LONG_MS: does it give up at all? (At
 * defaults the 11th unexpected exit, if it came, would come after about 62 s.)
 */
const LONG_MS = 65_000;
async function watchLong(ctx) {
  const tool = ctx.tools.find((t) => t.id === 'clusterchart');
  ctx.step({ tool: 'clusterchart alone', variant: `watched ${LONG_MS / 1000} s`, run: 1, runs: 1 });
  await ctx.session({ tool, app: app('crash-at-start'), size: 4 }, async (h) => {
    const { startedAt } = await h.start();
    await Promise.race([h.exited, sleep(LONG_MS)]);
    const exit = h.exit();
    ctx.put(id, 'long', tool.id, 'watched', performance.now() - startedAt);
    ctx.put(id, 'long', tool.id, 'forks', readRecords(h.run.pidsFile).filter((rec) => rec.kind === 'worker').length);
    ctx.put(id, 'long', tool.id, 'gaveUp', exit === null ? 'no' : `exits ${exit.signal ?? exit.code}`);
    if (exit !== null) ctx.put(id, 'long', tool.id, 'gaveUpAt', exit.at - startedAt);
  });
}

export function report(ctx) {
  const rows = ctx.data[id]?.main ?? {};
  const long = ctx.data[id]?.long?.clusterchart;
  const lines = ctx.tools.map((t) => [
    t.label,
    count(med(rows, t.id, 'forks')),
    (rows[t.id]?.forks ?? []).join(', '),
    [...new Set(rows[t.id]?.gaveUp ?? [])].join(' / ') || '–',
    seconds(med(rows, t.id, 'gaveUpAt')),
  ]);
  const ccForks = med(rows, 'clusterchart', 'forks');
  const ccGaveUp = rows.clusterchart?.gaveUp ?? [];
  const longText = long ? `alone on the machine for ${seconds(long.watched?.[0], 0)}: ${long.forks?.[0]} forks, ${long.gaveUp?.[0] === 'no' ? 'it never gave up' : `it gave up (${long.gaveUp?.[0]}) after ${seconds(long.gaveUpAt?.[0])}`}.` : '';
  return {
    markdown: [
      'Size 4, `crash-at-start` (exits 1 before it listens). Forks: processes the app recorded in the 10 s after the start call. All tools run side by side, 3 times; then clusterchart once more alone, for 65 s, to see whether it gives up at all.',
      '',
      table(['tool', 'forks in 10 s (median)', 'per run', 'gives up?', 'gave up after'], lines),
      '',
      longText ? `clusterchart, long watch: ${longText}` : '',
    ].join('\n'),
    summary: { figure: `${count(ccForks)} forks, gives up: ${[...new Set(ccGaveUp)].join('/') || '–'}`, best: bestForks(ctx, rows), ratio: '–' },
    goals: [
      { goal: 'S5 at most 10 forks in 10 s', met: ccForks === undefined ? null : ccForks <= 10, detail: `${count(ccForks)} forks` },
      {
        goal: 'S5 gives up with exit code 1 within maxRestarts (10)',
        met: long ? long.gaveUp?.[0] === 'exits 1' : ccGaveUp.length ? ccGaveUp.every((g) => g === 'exits 1') : null,
        detail: longText || `within 10 s: ${[...new Set(ccGaveUp)].join('/')}`,
      },
    ],
  };
}

function bestForks(ctx, rows) {
  let best;
  for (const t of ctx.tools) {
    if (t.id === 'clusterchart' || t.baseline) continue;
    const v = med(rows, t.id, 'forks');
    if (v !== undefined && (best === undefined || v < best.v)) best = { v, label: t.label };
  }
  return best && `${count(best.v)} forks (${best.label})`;
}
