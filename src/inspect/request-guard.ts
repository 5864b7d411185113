/**
 * What the dashboard lets in. Every request: a `Host` this server answers to (when it listens
 * on a loopback address, only loopback names: a DNS-rebinding page cannot read it). The page
 * (`GET /`, which carries the token for its buttons) and its event stream (`GET /events`):
 * the per-run token in the address (`?token=`), as the dashboard's `url` has it, so neither
 * another user of the machine nor a page of another site can load the page, and a page
 * served by an earlier dashboard on the same port is refused the stream of this one instead
 * of showing another control as its own. Every command (POST): the token in the
 * `x-clusterchart-token` header, and no sign of another origin (`Origin` must be this
 * server's own, `Sec-Fetch-Site` same-origin).
 */
import type * as Crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { requireDependency } from '../load-on-use.js';

export const tokenHeader = 'x-clusterchart-token';
/** The page's query parameter that carries the token. */
export const tokenParam = 'token';

/**
 * `read`: data anyone who reaches the port may see (probes, metrics, status); `page`: the page
 * and its event stream, which carry the token in `?token=`; `command`: a POST.
 */
export type RequestKind = 'read' | 'page' | 'command';

export interface RequestGuard {
  /** Null when the request may go on, else why it is refused, with the HTTP status to answer. */
  refuse(req: IncomingMessage, kind: RequestKind): { status: 401 | 403; reason: string } | null;
}

/** The path and query of a request's target (origin-form; `//x` is a path here, not a host). */
export function targetOf(req: IncomingMessage): { path: string; query: URLSearchParams } {
  const target = req.url ?? '/';
  const at = target.indexOf('?');
  return at === -1 ? { path: target, query: new URLSearchParams() } : { path: target.slice(0, at), query: new URLSearchParams(target.slice(at + 1)) };
}

const loopbackNames = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const isLoopback = (host: string) => loopbackNames.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

export function createRequestGuard({ host, port, token }: { host: string; port: number; token: string }): RequestGuard {
  const { timingSafeEqual } = requireDependency<typeof Crypto>('node:crypto');
  const expected = Buffer.from(token);
  const strictHost = isLoopback(host);
  const hostAllowed = (header: string | undefined) => {
    if (!strictHost) return true;
    if (header === undefined) return false;
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header.toLowerCase());
    return match !== null && isLoopback(match[1]!) && Number(match[2] ?? 80) === port;
  };
  const tokenIs = (given: unknown) => {
    const actual = Buffer.from(typeof given === 'string' ? given : '');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  };
  return {
    refuse(req, kind) {
      if (!hostAllowed(req.headers.host)) return { status: 403, reason: 'unexpected Host header' };
      if (kind === 'read') return null;
      if (kind === 'page') {
        return tokenIs(targetOf(req).query.get(tokenParam)) ? null : { status: 401, reason: `missing or wrong ?${tokenParam}=: open the address the dashboard printed` };
      }
      if (!tokenIs(req.headers[tokenHeader])) return { status: 403, reason: `missing or wrong ${tokenHeader} header` };
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${req.headers.host}`) return { status: 403, reason: 'cross-origin request' };
      const site = req.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') return { status: 403, reason: 'cross-site request' };
      return null;
    },
  };
}
