/**
 * A dashboard page left open across two runs on one port, in a real browser (Debian's
 * Chromium through playwright-core) with real `clusterchart run --dashboard PORT` processes:
 * - after `clusterchart stop`, the page says `control stopped` and its buttons are disabled;
 * - when a new run takes the same port (a new token), the page does not adopt it: the new
 *   dashboard refuses the old page's stream, and the page stops, keeps its buttons disabled,
 *   says to open the address the running control printed, and shows none of the new
 *   control's pids or events.
 * Needs `npm run build` first and /usr/bin/chromium; it never skips.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cli, fixture, killStarted, requireBuild, startRun, status, tempDir } from '../cli/helpers.js';
import { freePort } from '../helpers/processes.js';

const chromiumPath = '/usr/bin/chromium';
/** Fast timings so the stops take milliseconds. */
const fast = ['--restart-probation', '50', '--shutdown-timeout', '2s', '--terminate-timeout', '2s'];

let browser: Browser | undefined;
const removals: Array<() => void> = [];

beforeAll(requireBuild);
afterAll(async () => {
  await browser?.close();
  killStarted();
  for (const remove of removals.splice(0)) remove();
});

async function runWithDashboard(port: number) {
  const temp = tempDir();
  removals.push(temp.remove);
  const run = await startRun([fixture('http-app.cjs'), '--size', '2', ...fast, '--dashboard', String(port)], { sock: temp.sock });
  const line = await run.waitFor(/^clusterchart: dashboard at http:\/\/127\.0\.0\.1:\d+\/\?token=/);
  return { run, sock: temp.sock, url: /http:\S+/.exec(line)![0] };
}

it('a page left open says its control stopped, and does not become the page of the next run on its port', { timeout: 90_000 }, async () => {
  expect(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium`).toBe(true);
  const port = await freePort();
  const first = await runWithDashboard(port);
  const firstWorkers = (await status(first.sock)).workers.map((w) => w.pid);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(first.url);
  await page.waitForFunction(
    () => document.getElementById('master')?.dataset.state === 'running' && document.querySelectorAll('#workers tbody tr[data-state="online.ready"]').length === 2,
    null,
    { timeout: 15_000 },
  );
  expect(await page.locator('#link').textContent()).toBe('live');
  expect(await page.locator('#restart').isDisabled()).toBe(false);

  expect((await cli(['stop', '--control', first.sock])).code).toBe(0);
  expect((await first.run.exited()).code).toBe(0);
  await page.waitForFunction(() => document.getElementById('link')?.dataset.link === 'stopped', null, { timeout: 15_000 });
  expect(await page.locator('#link').textContent()).toBe('control stopped');
  for (const id of ['#restart', '#size-up', '#size-down']) expect(await page.locator(id).isDisabled(), id).toBe(true);

  const second = await runWithDashboard(port);
  expect(new URL(second.url).origin).toBe(new URL(first.url).origin);
  expect(second.url).not.toBe(first.url);
  const secondWorkers = (await status(second.sock)).workers.map((w) => w.pid);

  // The page retries its stream by itself; the new dashboard refuses it (another token).
  await page.waitForFunction(() => document.getElementById('link')?.dataset.link === 'replaced', null, { timeout: 15_000 });
  expect(await page.locator('#link').textContent()).toBe('control gone');
  expect(await page.locator('#notice').isVisible()).toBe(true);
  expect(await page.locator('#notice').textContent()).toContain('Open the address the running control printed');
  for (const id of ['#restart', '#size-up', '#size-down']) expect(await page.locator(id).isDisabled(), id).toBe(true);
  // Still the first control's page: its pid, and nothing of the second's.
  expect(await page.locator('#master-facts').textContent()).toContain(`pid ${first.run.pid}`);
  const events = (await page.locator('#events li').allTextContents()).join('\n');
  for (const pid of secondWorkers) expect(events, `worker ${pid} of the second run`).not.toContain(`[${pid}]`);
  expect(events).toContain(`[${firstWorkers[0]}]`);
  expect(await page.locator('#events li').first().textContent()).toContain('the page stops here');
  expect(pageErrors).toEqual([]);

  expect((await cli(['stop', '--control', second.sock])).code).toBe(0);
  expect((await second.run.exited()).code).toBe(0);
});
