/**
 * `createDashboard()`: a small HTTP server (node:http, no framework) for one control.
 *
 *   GET  /             the page (self-contained; see dashboard-page.ts)
 *   GET  /events       Server-Sent Events: transitions, events, status (see event-stream.ts);
 *                      with the token in `?token=`, as the page itself
 *   GET  /api/status   `control.status()` as JSON
 *   POST /api/restart  rolling restart          } token in `x-clusterchart-token`,
 *   POST /api/add      size + 1                 } same origin only (request-guard.ts);
 *   POST /api/remove   size − 1                 } 202 at once, the work goes on
 *   GET  /metrics      Prometheus text (see metrics.ts)
 *   GET  /healthz      200 while the control is alive, else 503 (JSON body)
 *   GET  /readyz       200 when running with workers ready at size (see probes.ts), else 503
 *
 * It listens on 127.0.0.1 by default; the token is random per dashboard, and the page is
 * served only to its address with the token (`url`). HEAD is answered for every GET but the
 * event stream.
 */
import type * as Crypto from 'node:crypto';
import type * as Http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createError } from '../errors.js';
import { requireDependency } from '../load-on-use.js';
import { readChart } from '../diagrams/read-chart.js';
import { renderSvg } from '../diagrams/render-svg.js';
import { toDot } from '../diagrams/to-dot.js';
import { workerMachine } from '../machines/worker.machine.js';
import type { Control } from '../runtime/create-control.js';
import { renderDashboardPage } from './dashboard-page.js';
import { createEventStream } from './event-stream.js';
import { type Metrics, createMetrics } from './metrics.js';
import { livenessOf, readinessOf } from './probes.js';
import { type RequestKind, createRequestGuard, targetOf, tokenParam } from './request-guard.js';

export interface DashboardOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on. Default `127.0.0.1`; anything else exposes the buttons to that network. */
  host?: string;
  /** ms between status samples for connected pages (uptime, memory). Default 2000. */
  sampleInterval?: number;
}

export interface Dashboard {
  /**
   * The page's address with its token, `http://host:port/?token=…`: the page is served only
   * to it. On an unspecified address (`0.0.0.0`, `::`), the host is the loopback one.
   */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The per-run token the page sends with every command (`x-clusterchart-token`). */
  readonly token: string;
  /** The metrics behind `/metrics`, to merge into another registry if wanted. */
  readonly metrics: Metrics;
  /** Closes the server, its event streams and the metrics' listeners. */
  close(): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

let workerSvg: Promise<string> | undefined;

export async function createDashboard(control: Control, options: DashboardOptions = {}): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw createError('CC_ERR_OPTION_INVALID', { option: 'port', reason: `expected a whole number 0..65535, got ${String(options.port)}` });
  }
  if (typeof host !== 'string' || host === '') {
    throw createError('CC_ERR_OPTION_INVALID', { option: 'host', reason: `expected an address, got ${String(options.host)}` });
  }
  workerSvg ??= renderSvg(toDot(readChart(workerMachine)));
  const svg = await workerSvg;

  const { createServer } = requireDependency<typeof Http>('node:http');
  const { randomBytes } = requireDependency<typeof Crypto>('node:crypto');
  const token = randomBytes(24).toString('base64url');
  const metrics = createMetrics(control);
  const stream = createEventStream(control, options.sampleInterval === undefined ? {} : { sampleInterval: options.sampleInterval });
  const server = createServer();
  let guard = createRequestGuard({ host, port: requestedPort, token });

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`${JSON.stringify(body)}\n`);
  };
  const fail = (res: ServerResponse, status: number, message: string, code?: string) =>
    json(res, status, { ok: false, error: code === undefined ? { message } : { code, message } });

  /**
   * Starts a command and answers 202 without waiting for it to finish (a rollout takes a
   * while); a command refused at once (the control is not running) answers 409 with its code.
   */
  const command = (run: () => Promise<void>): Route => async (_req, res) => {
    const refused = await Promise.race([
      run().then(
        () => null,
        (error: unknown) => error,
      ),
      new Promise<null>((resolve) => setImmediate(resolve, null)),
    ]);
    if (refused === null) return json(res, 202, { ok: true });
    const code = (refused as { code?: unknown }).code;
    fail(res, 409, (refused as Error).message, typeof code === 'string' ? code : undefined);
  };

  const routes: Record<string, { method: 'GET' | 'POST'; kind?: RequestKind; run: Route }> = {
    '/': {
      method: 'GET',
      kind: 'page',
      run: (_req, res) => {
        const nonce = randomBytes(16).toString('base64');
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
          'x-frame-options': 'DENY',
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
        });
        res.end(renderDashboardPage({ token, nonce, workerSvg: svg }));
      },
    },
    '/events': { method: 'GET', kind: 'page', run: (_req, res) => stream.attach(res) },
    '/api/status': { method: 'GET', run: async (_req, res) => json(res, 200, await control.status()) },
    '/api/restart': { method: 'POST', run: command(() => control.restart()) },
    '/api/add': { method: 'POST', run: command(() => control.add(1)) },
    '/api/remove': { method: 'POST', run: command(() => control.remove(1)) },
    '/metrics': {
      method: 'GET',
      run: async (_req, res) => {
        const text = await metrics.text();
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(text);
      },
    },
    '/healthz': {
      method: 'GET',
      run: async (_req, res) => {
        const live = livenessOf(await control.status(), control.actor.getSnapshot().status === 'active');
        json(res, live.alive ? 200 : 503, live);
      },
    },
    '/readyz': {
      method: 'GET',
      run: async (_req, res) => {
        const ready = readinessOf(await control.status());
        json(res, ready.ready ? 200 : 503, ready);
      },
    },
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const { path } = targetOf(req);
    const route = routes[path];
    if (route === undefined) return fail(res, 404, `no route ${path}`);
    // HEAD is a GET without the body (node:http drops it), but for a stream that never ends.
    const headable = route.method === 'GET' && path !== '/events';
    const method = req.method === 'HEAD' && headable ? 'GET' : req.method;
    if (method !== route.method) {
      res.setHeader('allow', headable ? 'GET, HEAD' : route.method);
      return fail(res, 405, `${path} takes ${route.method}`);
    }
    const refused = guard.refuse(req, route.kind ?? (route.method === 'POST' ? 'command' : 'read'));
    if (refused !== null) return fail(res, refused.status, refused.reason);
    Promise.resolve(route.run(req, res)).catch((error: unknown) => {
      if (!res.headersSent) fail(res, 500, (error as Error).message);
      else res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await stream.close();
    metrics.close();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  guard = createRequestGuard({ host, port, token });
  const url = `http://${addressFor(host)}:${port}/?${tokenParam}=${token}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    token,
    metrics,
    close() {
      closing ??= (async () => {
        metrics.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await stream.close();
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

/** How a browser on this machine reaches `host`: the loopback address for an unspecified one. */
function addressFor(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
