/**
 * The dashboard server on the simulated cluster: the page, the event stream (a transition
 * reaches a client within 200 ms), the commands and their protection (token, origin, host),
 * /metrics, /healthz and /readyz, and close().
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../src/inspect/create-dashboard.js';
import { openEvents, parsePrometheus, rawRequest, simulatedControl, valueOf } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(settings: Parameters<typeof simulatedControl>[0] = { size: 2 }) {
  const sim = simulatedControl(settings);
  const dashboard = await createDashboard(sim.control);
  cleanups.push(() => sim.control.close());
  cleanups.push(() => dashboard.close());
  const post = (path: string, headers: Record<string, string> = { 'x-clusterchart-token': dashboard.token }) =>
    fetch(new URL(path, dashboard.url), { method: 'POST', headers });
  return { ...sim, dashboard, post };
}

const started = async (s: Awaited<ReturnType<typeof setup>>) => {
  const done = s.control.start();
  s.clock.advance(100);
  await done;
};

describe('createDashboard', () => {
  it('listens on 127.0.0.1 on a free port by default', async () => {
    const { dashboard } = await setup();
    expect(dashboard.host).toBe('127.0.0.1');
    expect(dashboard.url).toBe(`http://127.0.0.1:${dashboard.port}/`);
    expect(dashboard.port).toBeGreaterThan(0);
    expect(dashboard.token).toMatch(/^[\w-]{32}$/);
  });

  it('refuses a bad port or host with CC_ERR_OPTION_INVALID', async () => {
    const { control } = simulatedControl();
    cleanups.push(() => control.close());
    await expect(createDashboard(control, { port: 70000 })).rejects.toMatchObject({ code: 'CC_ERR_OPTION_INVALID' });
    await expect(createDashboard(control, { port: 1.5 })).rejects.toMatchObject({ code: 'CC_ERR_OPTION_INVALID' });
    await expect(createDashboard(control, { host: '' })).rejects.toMatchObject({ code: 'CC_ERR_OPTION_INVALID' });
  });

  it('rejects with the listen error when the port is taken', async () => {
    const { dashboard, control } = await setup();
    await expect(createDashboard(control, { port: dashboard.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('serves one self-contained page with the token, a strict CSP and the worker chart', async () => {
    const { dashboard } = await setup();
    const res = await fetch(dashboard.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).toContain(`<meta name="clusterchart-token" content="${dashboard.token}">`);
    expect(html).toContain('id="state:online.ready"');
    expect(html).toContain('id="state:disconnecting"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(html).toContain(`<script nonce="${nonce}">`);
  });

  it('streams status, then each transition within 200 ms', async () => {
    const s = await setup();
    const events = await openEvents(s.dashboard.url);
    cleanups.push(() => events.close());
    const first = await events.next('status');
    expect(first.data.status.master.state).toBe('idle');

    void s.control.start();
    const t0 = performance.now();
    s.clock.advance(100);
    const transition = await events.next('transition', (t) => t.to === 'online.ready');
    expect(transition.at - t0).toBeLessThan(200);
    const status = await events.next('status', (d) => d.status.workers.length === 2 && d.status.workers.every((w: { state: string }) => w.state === 'online.ready'));
    expect(status.data.seq).toBeGreaterThanOrEqual(transition.data.seq);

    const t1 = performance.now();
    s.sim.crash(1);
    const exit = await events.next('event', (e) => e.type === 'exit');
    expect(exit.data.exit).toMatchObject({ phase: 'runtime', expected: false });
    expect(exit.at - t1).toBeLessThan(200);
    // A crash reports `disconnect` before `exit`, as node:cluster does.
    const path = events.messages.filter((m) => m.event === 'transition' && m.data.worker.id === 1).map((m) => m.data.to);
    expect(path).toEqual(['starting', 'online.booting', 'online.ready', 'disconnecting', 'exited']);
  });

  it('sends every message with an increasing seq; a status carries the seq it was read at', async () => {
    const s = await setup();
    const events = await openEvents(s.dashboard.url);
    cleanups.push(() => events.close());
    await events.next('status');
    void s.control.start();
    s.clock.advance(100);
    await events.next('status', (d) => d.status.workers.filter((w: { state: string }) => w.state === 'online.ready').length === 2);
    const seqs = events.messages.filter((m) => m.event !== 'status').map((m) => m.data.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('runs a command on POST with the token: 202, then the control does it', async () => {
    const s = await setup();
    await started(s);
    const res = await s.post('/api/restart');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ok: true });
    expect((await s.control.status()).master.restarting).toBe(true);

    expect((await s.post('/api/add')).status).toBe(202);
    expect((await s.control.status()).master.size).toBe(3);
    expect((await s.post('/api/remove')).status).toBe(202);
    expect((await s.control.status()).master.size).toBe(2);
  });

  it('answers 409 with the code when the control cannot run the command', async () => {
    const s = await setup();
    const res = await s.post('/api/restart');
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'CC_ERR_CONTROL_NOT_RUNNING' } });
  });

  it('refuses a command without the token, with a wrong one, or from another origin (403)', async () => {
    const s = await setup();
    await started(s);
    const url = new URL('/api/restart', s.dashboard.url).href;
    const host = `127.0.0.1:${s.dashboard.port}`;
    const token = s.dashboard.token;
    const attempts: Array<[string, Record<string, string>]> = [
      ['no token', {}],
      ['wrong token', { 'x-clusterchart-token': `${token.slice(0, -1)}x` }],
      ['short token', { 'x-clusterchart-token': 'x' }],
      ['other origin', { 'x-clusterchart-token': token, origin: 'http://evil.example' }],
      ['other port', { 'x-clusterchart-token': token, origin: `http://127.0.0.1:${s.dashboard.port + 1}` }],
      ['cross-site fetch', { 'x-clusterchart-token': token, 'sec-fetch-site': 'cross-site' }],
      ['rebound host', { 'x-clusterchart-token': token, host: `evil.example:${s.dashboard.port}` }],
    ];
    for (const [why, headers] of attempts) {
      const res = await rawRequest(url, { method: 'POST', headers });
      expect(res.status, why).toBe(403);
      expect(JSON.parse(res.body).ok, why).toBe(false);
    }
    expect((await s.control.status()).master.restarting).toBe(false);
    const same = await rawRequest(url, { method: 'POST', headers: { 'x-clusterchart-token': token, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' } });
    expect(same.status).toBe(202);
  });

  it('refuses to serve the page to a rebound Host (DNS rebinding)', async () => {
    const s = await setup();
    expect((await rawRequest(s.dashboard.url, { headers: { host: `evil.example:${s.dashboard.port}` } })).status).toBe(403);
    expect((await rawRequest(s.dashboard.url, { headers: { host: `localhost:${s.dashboard.port}` } })).status).toBe(200);
  });

  it('answers 404 for unknown paths and 405 for the wrong method', async () => {
    const s = await setup();
    expect((await fetch(new URL('/nope', s.dashboard.url))).status).toBe(404);
    const res = await fetch(new URL('/api/restart', s.dashboard.url));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect((await s.post('/metrics')).status).toBe(405);
  });

  it('serves /metrics as Prometheus text', async () => {
    const s = await setup();
    await started(s);
    const res = await fetch(new URL('/metrics', s.dashboard.url));
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples } = parsePrometheus(await res.text());
    expect(valueOf(samples, 'clusterchart_workers', { state: 'online.ready' })).toBe(2);
    s.sim.crash(2);
    s.clock.advance(100);
    const after = parsePrometheus(await (await fetch(new URL('/metrics', s.dashboard.url))).text()).samples;
    expect(valueOf(after, 'clusterchart_worker_exits_total', { phase: 'runtime', expected: 'false' })).toBe(1);
  });

  it('answers /healthz and /readyz from the control', async () => {
    const s = await setup({ size: 2, minRestartAge: 1000, throttleDelay: 500 });
    const get = async (path: string) => {
      const res = await fetch(new URL(path, s.dashboard.url));
      return { status: res.status, body: await res.json() };
    };
    expect(await get('/healthz')).toEqual({ status: 200, body: { alive: true, state: 'idle', health: 'ok' } });
    expect(await get('/readyz')).toMatchObject({ status: 503, body: { ready: false, reason: 'the control is idle' } });
    await started(s);
    expect(await get('/readyz')).toEqual({ status: 200, body: { ready: true, state: 'running', health: 'ok', size: 2, readyWorkers: 2 } });
    s.sim.crash(1);
    s.clock.advance(1);
    expect(await get('/readyz')).toMatchObject({ status: 503, body: { ready: false, health: 'danger' } });
    expect((await get('/healthz')).status).toBe(200);
    s.control.close();
    expect((await get('/healthz')).status).toBe(503);
  });

  it('serves /api/status', async () => {
    const s = await setup();
    await started(s);
    const status = await (await fetch(new URL('/api/status', s.dashboard.url))).json();
    expect(status.workers.map((w: { state: string }) => w.state)).toEqual(['online.ready', 'online.ready']);
  });

  it('close() ends the event streams, stops listening and stops following the control', async () => {
    const s = await setup();
    const events = await openEvents(s.dashboard.url);
    await events.next('status');
    await s.dashboard.close();
    await expect(events.next('never')).rejects.toThrow(/ended/);
    await expect(fetch(s.dashboard.url)).rejects.toThrow();
    await s.dashboard.close();
  });
});

export type { Dashboard };
