/** HTTP probes of the apps, which answer their pid. */
import http from 'node:http';

/** One GET with a fresh connection; resolves with the pid that answered, or null. */
export function askPid(port, timeout = 1000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' }, timeout }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 && /^\d+$/.test(body) ? Number(body) : null));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves with the ms (from `since`) when `count` distinct pids, none of them in `exclude`,
 * have answered; null after `timeout` ms. Asks `parallel` requests at a time.
 */
export async function untilAnswering(port, count, { since = performance.now(), timeout = 30_000, exclude = new Set(), parallel = 4 } = {}) {
  const seen = new Set();
  const deadline = since + timeout;
  while (performance.now() < deadline) {
    const pids = await Promise.all(Array.from({ length: parallel }, () => askPid(port, 500)));
    let failed = false;
    for (const pid of pids) {
      if (pid === null) failed = true;
      else if (!exclude.has(pid)) seen.add(pid);
    }
    if (seen.size >= count) return { ms: performance.now() - since, pids: seen };
    if (failed) await sleep(5);
  }
  return { ms: null, pids: seen };
}
