/**
 * S3: SIGKILL of the control with (a) plain workers, (b) workers whose main thread is blocked
 * in a busy loop, (c) workers that spawned a child process of their own. Survivors: processes
 * of the control's tree (workers and their children) still running 3 s later. The three
 * cases run side by side, one control each (PM2: three apps in one daemon, its control).
 */
import { app, sleep } from '../lib/context.mjs';
import { descendantsOf, isAlive, readRecords, signal, startTimeOf } from '../lib/proc.mjs';
import { count } from '../lib/stats.mjs';
import { med, table } from '../lib/table.mjs';

export const id = 'S3';
export const title = 'SIGKILL of the control';

const cases = [
  ['plain', 'http-plain', 4],
  ['blocked', 'blocked', 4],
  ['child', 'spawner', 8],
];
const WAIT_MS = 3000;

export async function run(ctx) {
  for (let r = 1; r <= ctx.runs; r++) {
    for (const tool of ctx.inTurn(ctx.tools, r)) {
      ctx.step({ tool: tool.label, variant: 'plain, blocked, child', run: r, runs: ctx.runs });
      const pm2Home = tool.id === 'pm2' ? ctx.pm2Home() : undefined;
      const specs = cases.map(([name, appName]) => ({ tool, app: app(appName), size: 4, pm2Home, name }));
      await ctx.sessions(specs, async (handles) => {
        try {
          // One at a time: the PM2 primaries share a daemon.
          const controls = [];
          for (const h of handles) controls.push((await h.start()).control);
          // Every worker (and, for (c), its child) has recorded itself; then let (b) block.
          await Promise.all(handles.map((h, i) => untilRecorded(h.run.pidsFile, cases[i][2], 20_000)));
          await sleep(600);
          // What each case's apps recorded (workers and their children), and for a control of
          // its own, its whole tree (PM2's daemon is shared by the three cases).
          const shared = new Set(controls.filter((c, k) => controls.indexOf(c) !== k));
          const trees = handles.map((h, i) =>
            readRecords(h.run.pidsFile)
              .filter((rec) => rec.kind === 'worker' || rec.kind === 'child')
              .filter((rec) => isAlive(rec.pid) && startTimeOf(rec.pid) === rec.start)
              .map((rec) => rec.pid)
              .concat(shared.has(controls[i]) ? [] : descendantsOf(controls[i]))
              .filter((pid, k, all) => all.indexOf(pid) === k && pid !== controls[i]),
          );
          for (const control of new Set(controls)) signal(control, 'SIGKILL');
          await sleep(WAIT_MS);
          cases.forEach(([name], i) => {
            ctx.put(id, 'main', tool.id, name, trees[i].filter(isAlive).length);
            ctx.put(id, 'main', tool.id, `${name}Of`, trees[i].length);
          });
        } catch (error) {
          ctx.fail(id, 'main', tool.id, error);
        }
      });
    }
  }
}

async function untilRecorded(file, n, timeout) {
  const deadline = performance.now() + timeout;
  while (performance.now() < deadline) {
    if (readRecords(file).filter((r) => r.kind === 'worker' || r.kind === 'child').length >= n) return;
    await sleep(20);
  }
  throw new Error(`fewer than ${n} processes recorded in ${file}`);
}

export function report(ctx) {
  const rows = ctx.data[id]?.main ?? {};
  const cell = (row, name) => (rows[row]?.[name] ? `${count(med(rows, row, name))} of ${count(med(rows, row, `${name}Of`))}` : '–');
  const lines = ctx.tools.map((t) => [t.label, ...cases.map(([name]) => cell(t.id, name))]);
  const goals = cases.map(([name]) => {
    const values = rows.clusterchart?.[name];
    return {
      goal: `S3 (${name === 'plain' ? 'a) plain' : name === 'blocked' ? 'b) blocked main thread' : 'c) worker with a child process'}): zero survivors`,
      met: values === undefined ? null : values.every((v) => v === 0),
      detail: values === undefined ? 'not run' : `survivors per run: ${values.join(', ')}`,
    };
  });
  const peersHandling = (name) => ctx.tools.filter((t) => t.id !== 'clusterchart' && rows[t.id]?.[name]?.length && rows[t.id][name].every((v) => v === 0)).map((t) => t.label);
  return {
    markdown: [
      'Size 4. The control (the primary; for PM2 its daemon) is SIGKILLed once every worker serves; survivors are the processes of its tree still running 3 s later (workers; for the child case, workers and their children: 8 in all). Median of the runs.',
      '',
      table(['tool', '(a) plain workers', '(b) blocked main thread', '(c) worker + its child'], lines),
      '',
      `Peers with zero survivors: (a) ${peersHandling('plain').join(', ') || 'none'}; (b) ${peersHandling('blocked').join(', ') || 'none'}; (c) ${peersHandling('child').join(', ') || 'none'}.`,
    ].join('\n'),
    summary: Object.fromEntries(cases.map(([name]) => [name, { figure: `${cell('clusterchart', name)} survive`, best: `${peersHandling(name).length} of ${ctx.tools.length - 1} others have none`, ratio: '–' }])),
    goals,
  };
}
