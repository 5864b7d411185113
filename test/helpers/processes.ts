/**
 * Helpers for tests that start real processes: free ports, bounded waits on events, pid
 * liveness, cleanup by pid, and an HTTP load loop that counts failures.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { EventEmitter, once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  return port;
}

/** True while `pid` runs; a zombie (exited, not yet reaped) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** SIGKILL every pid that is still alive. */
export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    // 0 and below name process groups (0: the test runner's own): never a worker that lived.
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

/**
 * Resolves when `check` holds, re-checking on every `emitter` event named in `events`
 * (no polling of time); fails after `timeout` ms with `message`.
 */
export function until(
  check: () => boolean,
  message: string,
  { timeout = 10_000, on }: { timeout?: number; on?: Array<[NodeJS.EventEmitter | { on: Function; off: Function }, string]> } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const cleanups: Array<() => void> = [];
    const finish = (error?: Error) => {
      for (const c of cleanups) c();
      clearTimeout(timer);
      error === undefined ? resolve() : reject(error);
    };
    const test = () => {
      if (check()) finish();
    };
    const timer = setTimeout(() => finish(new Error(`timed out after ${Date.now() - started} ms: ${message}`)), timeout);
    for (const [emitter, event] of on ?? []) {
      emitter.on(event, test);
      cleanups.push(() => emitter.off(event, test));
    }
    test();
  });
}

/** Resolves when every pid is gone, checking at each exit of a process we can see, else every 20 ms. */
export async function allGone(pids: number[], timeout: number, what: string): Promise<number> {
  const started = Date.now();
  while (pids.some(isAlive)) {
    if (Date.now() - started > timeout) throw new Error(`${what}: still alive after ${timeout} ms: ${pids.filter(isAlive).join(', ')}`);
    // A process that is not our child sends us no event when it dies: a bounded poll is all there is.
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

export interface JsonLineProcess {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  /** Resolves with the first line (already seen or coming) that matches. */
  line(match: (line: Record<string, unknown>) => boolean, what: string, timeout?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

/** Spawns `node args…` and collects its stdout as JSON lines. */
export function spawnJsonLines(args: string[], env: NodeJS.ProcessEnv = {}, { openFiles }: { openFiles?: number } = {}): JsonLineProcess {
  // Under a limit of open files, through a shell that sets it and then becomes node (same pid).
  const [command, argv] =
    openFiles === undefined ? [process.execPath, args] : ['/bin/sh', ['-c', `ulimit -n ${openFiles} && exec "$0" "$@"`, process.execPath, ...args]];
  const child = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  const stream = new EventEmitter();
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text));
      stream.emit('line');
    } catch {}
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      stream.emit('line');
      resolve({ code, signal });
    }),
  );
  return {
    child,
    lines,
    exited,
    async line(match, what, timeout = 15_000) {
      let found: Record<string, unknown> | undefined;
      await until(() => (found = lines.find(match)) !== undefined, `${what} (stderr: ${stderr.slice(-500)})`, { timeout, on: [[stream, 'line']] });
      return found!;
    },
  };
}

export interface LoadResult {
  ok: number;
  failed: number;
  non2xx: number;
  errors: string[];
}

/** A request with no answer by then counts as failed: a stalled connection is a dropped one. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Which processes hold the server's end of a stalled connection (`ss`, where there is one):
 * the control, a worker, or nobody, which is what tells the causes of a stall apart.
 */
function serverEndOf(clientPort: number | undefined): string {
  if (clientPort === undefined) return 'not connected';
  try {
    const line = execFileSync('ss', ['-tnpH', 'dport', '=', `:${clientPort}`], { encoding: 'utf8', timeout: 2000 }).trim();
    return line === '' ? 'no server end' : `server end: ${line.replace(/\s+/g, ' ')}`;
  } catch {
    return 'server end unknown';
  }
}

/**
 * Sends requests in a loop from `keepAlive` keep-alive clients and `close` clients that send
 * `Connection: close`, until `stop()`; counts every failure, a request unanswered after
 * REQUEST_TIMEOUT_MS included (so `stop()` always returns).
 */
export function startLoad(port: number, { keepAlive = 10, close = 10 } = {}) {
  const result: LoadResult = { ok: 0, failed: 0, non2xx: 0, errors: [] };
  let running = true;
  const agent = new http.Agent({ keepAlive: true, maxSockets: keepAlive });
  const one = (keep: boolean) =>
    new Promise<void>((resolve) => {
      const req = http.get(
        { host: '127.0.0.1', port, path: '/', agent: keep ? agent : false, headers: keep ? {} : { connection: 'close' } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) result.ok++;
            else result.non2xx++;
            resolve();
          });
          res.on('error', (e) => {
            result.failed++;
            result.errors.push(e.message);
            resolve();
          });
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms (${serverEndOf(req.socket?.localPort)})`)));
      req.on('error', (e) => {
        result.failed++;
        if (result.errors.length < 20) result.errors.push(`${keep ? 'keep-alive' : 'close'}: ${e.message}`);
        resolve();
      });
    });
  const loop = async (keep: boolean) => {
    while (running) await one(keep);
  };
  const loops = [...Array(keepAlive)].map(() => loop(true)).concat([...Array(close)].map(() => loop(false)));
  return {
    result,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return result;
    },
  };
}

/** GET / once; resolves with the body. */
export function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}
