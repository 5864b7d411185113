/**
 * What the dashboard lets in. Every request: a `Host` this server answers to (when it listens
 * on a loopback address, only loopback names: a DNS-rebinding page cannot read it). Every
 * command (POST): the per-run token in the `x-clusterchart-token` header, and no sign of
 * another origin (`Origin` must be this server's own, `Sec-Fetch-Site` same-origin).
 */
import type * as Crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { requireDependency } from '../load-on-use.js';

export const tokenHeader = 'x-clusterchart-token';

export interface RequestGuard {
  /** Null when the request may go on, else why it is refused (answered with 403). */
  refuse(req: IncomingMessage, kind: 'read' | 'command'): string | null;
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
  return {
    refuse(req, kind) {
      if (!hostAllowed(req.headers.host)) return 'unexpected Host header';
      if (kind === 'read') return null;
      const given = req.headers[tokenHeader];
      const actual = Buffer.from(typeof given === 'string' ? given : '');
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return `missing or wrong ${tokenHeader} header`;
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${req.headers.host}`) return 'cross-origin request';
      const site = req.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'cross-site request';
      return null;
    },
  };
}
