/**
 * The dashboard server on the simulated cluster: the page, the event stream (a transition
 * reaches a client within 200 ms), the commands and their protection (token, origin, host),
 * /metrics, /healthz and /readyz, and close().
 */
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../src/inspect/create-dashboard.js';
import { until } from '../helpers/processes.js';
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

/** The token with its last character changed (to one it is not: a random token may end in x). */
const wrongToken = (token: string) => `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`;

const started = async (s: Awaited<ReturnType<typeof setup>>) => {
  const done = s.control.start();
  s.clock.advance(100);
  await done;
};

describe('createDashboard', () => {
  it('listens on 127.0.0.1 on a free port by default', async () => {
    const { dashboard } = await setup();
    expect(dashboard.host).toBe('127.0.0.1');
    expect(dashboard.token).toMatch(/^[\w-]{32}$/);
    expect(dashboard.url).toBe(`http://127.0.0.1:${dashboard.port}/?token=${dashboard.token}`);
    expect(dashboard.port).toBeGreaterThan(0);
  });

  it('on 0.0.0.0, gives the address a browser on this machine opens: the loopback one', async () => {
    const { control } = simulatedControl();
    cleanups.push(() => control.close());
    const dashboard = await createDashboard(control, { host: '0.0.0.0' });
    cleanups.push(() => dashboard.close());
    expect(dashboard.url).toBe(`http://127.0.0.1:${dashboard.port}/?token=${dashboard.token}`);
    expect((await fetch(dashboard.url)).status).toBe(200);
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

  it('streams the control\'s other events too, a worker replaced for its memory among them', async () => {
    const s = await setup({ size: 1, maxMemory: 20_000_000, memoryCheckInterval: 1000 });
    const events = await openEvents(s.dashboard.url);
    cleanups.push(() => events.close());
    await started(s);
    s.clock.advance(1000);
    const limit = await events.next('event', (e) => e.type === 'memoryLimit');
    expect(limit.data).toMatchObject({ worker: { id: 1 }, memory: 30_000_000, limit: 20_000_000 });
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
      ['wrong token', { 'x-clusterchart-token': wrongToken(token) }],
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

  it('serves the page, which holds the token, and its event stream only with the token (401)', async () => {
    const s = await setup();
    const page = new URL(s.dashboard.url);
    for (const query of ['', '?token=', `?token=${wrongToken(s.dashboard.token)}`, `?other=${s.dashboard.token}`]) {
      const res = await rawRequest(`${page.origin}/${query}`, {});
      expect(res.status, query).toBe(401);
      expect(res.body, query).not.toContain(s.dashboard.token);
      expect(JSON.parse(res.body).error.message).toMatch(/open the address the dashboard printed/);
    }
    expect((await rawRequest(s.dashboard.url, {})).status).toBe(200);
    // The page's event stream too: a page of an earlier dashboard on this port (another
    // token) is refused it, rather than shown this control as its own.
    for (const query of ['', `?token=${wrongToken(s.dashboard.token)}`]) {
      const res = await rawRequest(`${page.origin}/events${query}`, {});
      expect(res.status, `/events${query}`).toBe(401);
      expect(JSON.parse(res.body).error.message).toMatch(/open the address the dashboard printed/);
    }
    // The rest stays readable without it: Prometheus and kubelets send no token.
    for (const path of ['/metrics', '/healthz', '/api/status']) expect((await rawRequest(`${page.origin}${path}`, {})).status, path).not.toBe(401);
  });

  it('answers HEAD like GET without the body, and reads `//x` as a path', async () => {
    const s = await setup();
    const origin = new URL(s.dashboard.url).origin;
    const head = await rawRequest(`${origin}/healthz`, { method: 'HEAD' });
    expect(head).toEqual({ status: 200, body: '' });
    expect((await rawRequest(s.dashboard.url, { method: 'HEAD' })).status).toBe(200);
    expect((await rawRequest(`${origin}/events`, { method: 'HEAD' })).status).toBe(405);
    expect((await rawRequest(`${origin}//metrics`, {})).status).toBe(404);
  });

  it('drops an event-stream client that stops reading, instead of buffering for it without end', async () => {
    const sim = simulatedControl({ size: 2 });
    cleanups.push(() => sim.control.close());
    const { createEventStream } = await import('../../src/inspect/event-stream.js');
    const stream = createEventStream(sim.control, { sampleInterval: 0, maxBuffered: 64 * 1024 });
    cleanups.push(() => stream.close());
    const server = createServer((_req, res) => stream.attach(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    // A client that sends its request and never reads: the kernel's buffers fill, then ours.
    const stuck = connect(port, '127.0.0.1', () => stuck.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    stuck.pause();
    cleanups.push(() => void stuck.destroy());
    await until(() => stream.size() === 1, 'the stuck client to attach', { on: [[server, 'request']] });
    const done = sim.control.start();
    sim.clock.advance(100);
    await done;
    let restarts = 0;
    for (; restarts < 2000 && stream.size() > 0; restarts++) {
      const restarted = sim.control.restart();
      sim.clock.advance(100);
      await restarted;
      // The simulated cluster settles in microtasks: a turn of the event loop lets sockets close.
      await new Promise(setImmediate);
    }
    expect(stream.size(), `the stuck client is still attached after ${restarts} rolling restarts`).toBe(0);
  });

  it('close() sends a last status, so a page left open shows how the control ended', async () => {
    const s = await setup();
    await started(s);
    const events = await openEvents(s.dashboard.url);
    cleanups.push(() => events.close());
    await events.next('status', (d) => d.status.master.state === 'running');
    // Closed in the `stopped` listener, as `clusterchart run` closes it: the status refresh
    // of that burst comes after the close, so only the close's own last status can say it.
    const closed = new Promise<void>((resolve) => s.control.once('stopped', () => void s.dashboard.close().then(resolve)));
    const stopped = s.control.stop();
    s.clock.advance(100);
    await stopped;
    await closed;
    await expect(events.next('never')).rejects.toThrow(/ended/);
    expect(events.messages.at(-1)).toMatchObject({ event: 'status', data: { status: { master: { state: 'stopped' } } } });
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
    // Backing off from a crash loop, the worker that serves keeps the instance ready.
    expect(await get('/readyz')).toMatchObject({ status: 200, body: { ready: true, health: 'danger', readyWorkers: 1 } });
    s.sim.crash(2);
    s.clock.advance(1);
    expect(await get('/readyz')).toMatchObject({ status: 503, body: { ready: false, health: 'danger', reason: 'no worker is ready' } });
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
