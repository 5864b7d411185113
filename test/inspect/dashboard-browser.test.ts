/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) on a real
 * primary (test/fixtures/dashboard-primary.mjs: the built package, 2 workers, signals on):
 * - the page shows 2 workers, both marked `online.ready` on the worker statechart;
 * - a click on Restart moves the marks through `disconnecting` and back to `online.ready`
 *   (a new generation), with no console error (CSP included);
 * - a screenshot lands in test/artifacts/dashboard.png;
 * - SIGTERM (then SIGKILL) to the primary's pid leaves no worker process behind.
 * Needs `npm run build` first (`npm test` does it) and /usr/bin/chromium (`.ci/run`
 * installs it); it never skips.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';

const chromiumPath = '/usr/bin/chromium';
const primaryScript = fileURLToPath(new URL('../fixtures/dashboard-primary.mjs', import.meta.url));
const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));

let primary: ChildProcess | undefined;
let browser: Browser | undefined;
let stderr = '';

afterAll(async () => {
  await browser?.close();
  if (primary !== undefined && primary.exitCode === null && primary.signalCode === null) primary.kill('SIGKILL');
});

/** Alive and not a zombie (an orphan nobody reaped yet counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Resolves with the child's first stdout line, parsed; rejects on exit or after `ms`. */
function firstLine(child: ChildProcess, ms: number): Promise<{ url?: string; pid?: number; error?: string }> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => done(() => reject(new Error(`the primary printed no line within ${ms} ms; stderr:\n${stderr}`))), ms);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const end = out.indexOf('\n');
      if (end !== -1) done(() => resolve(JSON.parse(out.slice(0, end))));
    };
    const onExit = (code: number | null) => done(() => reject(new Error(`the primary exited (${code}) before printing its url; stdout: ${out}; stderr:\n${stderr}`)));
    const done = (settle: () => void) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      settle();
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Resolves with the exit once the child has exited, or false after `ms`. */
function exited(child: ChildProcess, ms: number): Promise<{ code: number | null; signal: string | null } | false> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

it('shows a real cluster live: 2 workers, a restart through disconnecting back to online.ready', { timeout: 90_000 }, async () => {
  expect(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium (.ci/run does)`).toBe(true);

  primary = spawn(process.execPath, [primaryScript], { stdio: ['ignore', 'pipe', 'pipe'] });
  primary.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const hello = await firstLine(primary, 20_000);
  if (hello.error !== undefined) throw new Error(hello.error);
  const url = hello.url!;
  expect(hello.pid).toBe(primary.pid);

  const pids = new Set<number>();
  const collectPids = async () => {
    const status = (await (await fetch(new URL('/api/status', url))).json()) as { workers: Array<{ pid: number | null }> };
    for (const w of status.workers) if (w.pid !== null) pids.add(w.pid);
  };
  await collectPids();

  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(url);

  // Two workers, both ready, both marked on the chart.
  await page.waitForFunction(
    () =>
      document.querySelectorAll('#workers tbody tr').length === 2 &&
      document.querySelectorAll('#workers tbody tr[data-state="online.ready"][data-generation="1"]').length === 2 &&
      document.getElementById('state:online.ready')?.getAttribute('data-count') === '2' &&
      document.getElementById('master')?.dataset.state === 'running',
    null,
    { timeout: 15_000 },
  );
  expect(await page.locator('#link').textContent()).toBe('live');

  // Record every change of a state's mark from here on.
  await page.evaluate(() => {
    const seen: Array<{ state: string; count: string | null }> = [];
    (window as unknown as { seen: typeof seen }).seen = seen;
    new MutationObserver((records) => {
      for (const r of records) {
        const g = r.target as Element;
        seen.push({ state: g.id.slice('state:'.length), count: g.getAttribute('data-count') });
      }
    }).observe(document.getElementById('chart-svg')!, { subtree: true, attributes: true, attributeFilter: ['data-count'] });
  });

  await page.click('#restart');
  // The rollout ends with 2 workers of generation 2, ready, and nothing else marked.
  await page.waitForFunction(
    () =>
      document.getElementById('master')?.dataset.restarting === 'false' &&
      document.getElementById('master')?.dataset.generation === '2' &&
      document.querySelectorAll('#workers tbody tr').length === 2 &&
      document.querySelectorAll('#workers tbody tr[data-state="online.ready"][data-generation="2"]').length === 2 &&
      [...document.querySelectorAll('#chart-svg g.state.node')].every(
        (g) => (g.id === 'state:online.ready' ? g.getAttribute('data-count') === '2' : g.getAttribute('data-count') === '0'),
      ),
    null,
    { timeout: 30_000 },
  );
  const seen = await page.evaluate(() => (window as unknown as { seen: Array<{ state: string; count: string | null }> }).seen);
  const marked = (state: string) => seen.some((s) => s.state === state && Number(s.count) > 0);
  expect(marked('starting'), JSON.stringify(seen)).toBe(true);
  expect(marked('online.booting'), JSON.stringify(seen)).toBe(true);
  expect(marked('disconnecting'), JSON.stringify(seen)).toBe(true);
  expect(seen.filter((s) => s.state === 'online.ready').map((s) => s.count)).toContain('3');
  expect(await page.locator('#events li', { hasText: 'rolling restart done: generation 2' }).count()).toBe(1);
  expect(problems).toEqual([]);

  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: `${artifacts}dashboard.png`, fullPage: true });
  await collectPids();
  expect(pids.size).toBe(4);

  // SIGTERM stops the workers gracefully and exits; SIGKILL only if it does not.
  primary.kill('SIGTERM');
  let exit = await exited(primary, 15_000);
  if (exit === false) {
    primary.kill('SIGKILL');
    exit = await exited(primary, 5_000);
  }
  expect(exit, `the primary did not exit on SIGTERM; stderr:\n${stderr}`).toEqual({ code: 0, signal: null });
  expect([...pids].filter(alive), 'worker processes left after the primary exited').toEqual([]);
});
