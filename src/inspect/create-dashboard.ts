/**
 * `createDashboard()`: a small HTTP server (node:http, no framework) for one control.
 *
 *   GET  /             the page (self-contained; see dashboard-page.ts)
 *   GET  /events       Server-Sent Events: transitions, events, status (see event-stream.ts)
 *   GET  /api/status   `control.status()` as JSON
 *   POST /api/restart  rolling restart          } token in `x-clusterchart-token`,
 *   POST /api/add      size + 1                 } same origin only (request-guard.ts);
 *   POST /api/remove   size − 1                 } 202 at once, the work goes on
 *   GET  /metrics      Prometheus text (see metrics.ts)
 *   GET  /healthz      200 while the control is alive, else 503 (JSON body)
 *   GET  /readyz       200 when running at size and not in danger, else 503 (JSON body)
 *
 * It listens on 127.0.0.1 by default; the token is random per dashboard.
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
import { createRequestGuard } from './request-guard.js';

export interface DashboardOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on. Default `127.0.0.1`; anything else exposes the buttons to that network. */
  host?: string;
  /** ms between status samples for connected pages (uptime, memory). Default 2000. */
  sampleInterval?: number;
}

export interface Dashboard {
  /** `http://host:port/`. */
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

  const routes: Record<string, { method: 'GET' | 'POST'; run: Route }> = {
    '/': {
      method: 'GET',
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
    '/events': { method: 'GET', run: (_req, res) => stream.attach(res) },
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
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes[path];
    if (route === undefined) return fail(res, 404, `no route ${path}`);
    if (req.method !== route.method) {
      res.setHeader('allow', route.method);
      return fail(res, 405, `${path} takes ${route.method}`);
    }
    const refused = guard.refuse(req, route.method === 'POST' ? 'command' : 'read');
    if (refused !== null) return fail(res, 403, refused);
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
  }).catch((error: unknown) => {
    stream.close();
    metrics.close();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  guard = createRequestGuard({ host, port, token });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;

  let closing: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    token,
    metrics,
    close() {
      closing ??= new Promise<void>((resolve) => {
        stream.close();
        metrics.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
