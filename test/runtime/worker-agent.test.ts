/**
 * The worker agent (dist/worker.cjs, built by `npm run build`) in real processes: a bare
 * node:cluster primary (test/fixtures/agent/primary.cjs) preloads it into its workers and
 * relays every cluster event and worker message to the test over IPC. Checks:
 * - `ready()` reaches the primary, and the CJS preload plus an ESM import install one agent;
 * - `ready()` is a no-op outside a cluster worker;
 * - `stats?` counts the connections held open;
 * - shutdown drains an unmodified HTTP app under keep-alive and close load: no failed
 *   request, and the worker exits by itself, code 0;
 * - a request in flight at shutdown is answered with `Connection: close`; an idle
 *   keep-alive connection is closed after its grace, and a request that came while a busy
 *   worker let that grace run out is answered, not reset;
 * - a drained worker exits even when the app's own handles would keep it alive;
 * - a drained worker that ends early (process.exit once its loop is empty) keeps its exit
 *   code, runs the app's exit listeners and lets a beforeExit listener finish its work;
 * - no orphans: a worker whose primary dies takes its child process along, and so does
 *   the control's SIGTERM (blocked workers are the control's warden's: warden.test.ts);
 * - a SIGTERM or SIGINT the control did not announce (the process group's) drains instead;
 * - an app that ends on its own SIGTERM or SIGINT handler gets that signal once drained.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { descendantsOf } from '../../src/runtime/process-tree.js';
import { allGone, isAlive } from '../helpers/processes.js';

const fixtures = fileURLToPath(new URL('../fixtures/agent/', import.meta.url));
const agentBuild = fileURLToPath(new URL('../../dist/worker.cjs', import.meta.url));

/** Every process a test started or learned of; afterEach kills them all, by pid. */
const started = new Set<number>();

afterEach(() => {
  const pids = [...started];
  started.clear();
  // Descendants first, found while their parents still live, then the pids themselves.
  const all = [...pids.flatMap((pid) => descendantsOf(pid)), ...pids];
  for (const pid of all) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

beforeAll(() => {
  if (!existsSync(agentBuild)) throw new Error(`${agentBuild} is missing: run \`npm run build\` first`);
});

interface PrimaryEvent {
  ev: string;
  id?: number;
  pid?: number;
  port?: number;
  code?: number | null;
  signal?: string | null;
  exitedAfterDisconnect?: boolean;
  message?: Record<string, unknown>;
}

type Predicate = (event: PrimaryEvent) => boolean;

/** A running fixture primary: its events so far, and a way to wait for the next ones. */
class Primary {
  readonly events: PrimaryEvent[] = [];
  private readonly waiters = new Set<{ match: Predicate; resolve: (event: PrimaryEvent) => void }>();

  private constructor(readonly child: ChildProcess) {
    child.on('message', (event: PrimaryEvent) => {
      this.events.push(event);
      if (event.pid !== undefined) started.add(event.pid);
      if (event.ev === 'message' && typeof event.message?.pid === 'number') started.add(event.message.pid);
      for (const waiter of [...this.waiters]) {
        if (!waiter.match(event)) continue;
        this.waiters.delete(waiter);
        waiter.resolve(event);
      }
    });
  }

  static async start(): Promise<Primary> {
    const child = fork(`${fixtures}primary.cjs`, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    if (child.pid === undefined) throw new Error('could not spawn the fixture primary');
    started.add(child.pid);
    const primary = new Primary(child);
    await primary.waitFor((event) => event.ev === 'primary', 'the primary to start');
    return primary;
  }

  get pid(): number {
    return this.child.pid!;
  }

  command(command: Record<string, unknown>): void {
    this.child.send(command);
  }

  /** The first event, past or future, that matches; fails after `ms` naming what it waited for. */
  waitFor(match: Predicate, what: string, ms = 5000): Promise<PrimaryEvent> {
    const past = this.events.find(match);
    if (past !== undefined) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (event: PrimaryEvent) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; events: ${JSON.stringify(this.events)}`));
      }, ms);
      this.waiters.add(waiter);
    });
  }

  /** Forks a worker running `app` and resolves once it is online, with its id and pid. */
  async fork(app: string, env: Record<string, string> = {}): Promise<{ id: number; pid: number }> {
    const known = new Set(this.events.filter((event) => event.ev === 'fork').map((event) => event.id));
    this.command({ cmd: 'fork', app, env });
    const forked = await this.waitFor((event) => event.ev === 'fork' && !known.has(event.id), `fork of ${app}`);
    const id = forked.id!;
    await this.waitFor((event) => event.ev === 'online' && event.id === id, `worker #${id} online`);
    return { id, pid: forked.pid! };
  }

  appMessage(id: number, kind: string, ms?: number): Promise<Record<string, unknown>> {
    return this.waitFor((event) => event.ev === 'message' && event.id === id && event.message?.app === kind, `message '${kind}' from worker #${id}`, ms).then(
      (event) => event.message!,
    );
  }

  /** The port worker `id` listens on, once node:cluster reports it listening. */
  portOf(id: number): Promise<number> {
    return this.waitFor((event) => event.ev === 'listening' && event.id === id, `worker #${id} to listen`).then((event) => event.port!);
  }

  exitOf(id: number, ms?: number): Promise<PrimaryEvent> {
    return this.waitFor((event) => event.ev === 'exit' && event.id === id, `exit of worker #${id}`, ms);
  }
}


/** `promise`, or a rejection naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Reply {
  status: number;
  body: string;
  connection: string | undefined;
}

/** One GET; rejects on any error, and after 5 s so a lost request fails instead of hanging. */
function get(port: number, options: http.RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', timeout: 5000, ...options }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, connection: response.headers.connection }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
  });
}

describe('ready()', () => {
  it('reaches the primary, and the CJS preload and an ESM import share one agent', async () => {
    const primary = await Primary.start();
    const { id } = await primary.fork('ready-app.js');

    await primary.waitFor(
      (event) => event.ev === 'message' && event.id === id && event.message?.clusterchart === 'ready',
      'the ready message',
    );
    const { preloaded, imported } = await primary.appMessage(id, 'listeners');
    // The preloaded agent is there; the imported copy added no second one.
    expect(preloaded).toMatchObject({ sigterm: 1 });
    expect(imported).toEqual(preloaded);
  });

  it('does nothing and installs nothing outside a cluster worker', () => {
    const script = `
      const listen = require('node:net').Server.prototype.listen;
      import('clusterchart/worker').then(({ ready }) => {
        ready();
        console.log(JSON.stringify({
          installed: globalThis[Symbol.for('clusterchart.agent')] !== undefined,
          sigterm: process.listenerCount('SIGTERM'),
          listenWrapped: require('node:net').Server.prototype.listen !== listen,
        }));
      });`;
    const result = spawnSync(process.execPath, ['-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', timeout: 10_000 });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ installed: false, sigterm: 0, listenWrapped: false });
  });
});

describe('stats', () => {
  it('counts the connections of every server while requests are held open', async () => {
    const primary = await Primary.start();
    const { id } = await primary.fork('hold-app.cjs');
    const port = await primary.portOf(id);

    const held = 5;
    const clients = Array.from({ length: held }, (_, i) => http.get({ host: '127.0.0.1', port, path: `/${i}`, agent: false }));
    for (const client of clients) client.on('error', () => {});
    try {
      for (let i = 0; i < held; i++) {
        await primary.waitFor((event) => event.id === id && event.message?.url === `/${i}`, `request /${i} to arrive`);
      }
      primary.command({ cmd: 'send', id, message: { cmd: 'NODE_CLUSTERCHART_STATS?', nonce: 42 } });
      const reply = await primary.waitFor((event) => event.ev === 'internal' && event.message?.nonce === 42, 'the stats reply');
      expect(reply.message).toMatchObject({ cmd: 'NODE_CLUSTERCHART_STATS', nonce: 42, connections: held });
      expect(reply.message!.memory).toBeGreaterThan(1_000_000);
    } finally {
      for (const client of clients) client.destroy();
    }
  });

  it('reports 0 connections for a worker without servers, and ignores a request without nonce', async () => {
    const primary = await Primary.start();
    const { id } = await primary.fork('idle-app.cjs');
    await primary.appMessage(id, 'started');

    primary.command({ cmd: 'send', id, message: { cmd: 'NODE_CLUSTERCHART_STATS?' } });
    primary.command({ cmd: 'send', id, message: { cmd: 'NODE_CLUSTERCHART_STATS?', nonce: 7 } });
    const reply = await primary.waitFor((event) => event.ev === 'internal', 'the stats reply');
    expect(reply.message).toMatchObject({ nonce: 7, connections: 0 });
  });

  it('is never heard by the app: requests and replies are Node internal messages', async () => {
    const primary = await Primary.start();
    const { id } = await primary.fork('echo-app.cjs');
    await primary.appMessage(id, 'started');

    primary.command({ cmd: 'send', id, message: { cmd: 'NODE_CLUSTERCHART_STATS?', nonce: 9 } });
    await primary.waitFor((event) => event.ev === 'internal' && event.message?.nonce === 9, 'the stats reply');
    // The app echoes every message it hears: the marker comes back, the stats request does not.
    primary.command({ cmd: 'send', id, message: { marker: 1 } });
    const echoOf = (event: PrimaryEvent) => (event.ev === 'message' ? (event.message?.echo as Record<string, unknown> | undefined) : undefined);
    await primary.waitFor((event) => echoOf(event)?.marker === 1, 'the echo of the marker');
    expect(primary.events.map(echoOf).filter((echo) => echo !== undefined)).toEqual([{ marker: 1 }]);
  });
});

describe('drain without resets', () => {
  it('shuts one of two workers down under keep-alive and close load without a failed request', async () => {
    const primary = await Primary.start();
    const a = await primary.fork('http-app.cjs');
    const b = await primary.fork('http-app.cjs');
    const port = await primary.portOf(a.id);
    await primary.portOf(b.id);

    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 10 });
    const servedBy = new Map<string, number>();
    const failures: string[] = [];
    let closedKeepAlive = 0;
    let running = true;
    let total = 0;
    const milestones = new Set<{ done: () => boolean; resolve: () => void }>();
    const until = (done: () => boolean, what: string, ms = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (done()) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; served: ${JSON.stringify([...servedBy])}, failures: ${failures.length}`)), ms);
        milestones.add({ done, resolve: () => (clearTimeout(timer), resolve()) });
      });

    const loop = async (options: http.RequestOptions, keptAlive: boolean) => {
      while (running) {
        try {
          const reply = await get(port, options);
          if (reply.status !== 200) failures.push(`status ${reply.status}`);
          servedBy.set(reply.body, (servedBy.get(reply.body) ?? 0) + 1);
          if (keptAlive && reply.body === String(a.pid) && reply.connection === 'close') closedKeepAlive++;
        } catch (error) {
          failures.push(String(error));
        }
        total++;
        for (const milestone of [...milestones]) {
          if (!milestone.done()) continue;
          milestones.delete(milestone);
          milestone.resolve();
        }
      }
    };
    const loops = [
      ...Array.from({ length: 10 }, () => loop({ agent: keepAlive }, true)),
      ...Array.from({ length: 10 }, () => loop({ agent: false, headers: { connection: 'close' } }, false)),
    ];

    try {
      const served = (pid: number) => servedBy.get(String(pid)) ?? 0;
      await until(() => served(a.pid) >= 50 && served(b.pid) >= 50, 'both workers to serve');

      primary.command({ cmd: 'shutdown', id: a.id });
      const exit = await primary.exitOf(a.id, 5000);
      expect(exit).toMatchObject({ code: 0, signal: null, exitedAfterDisconnect: true });

      // The load goes on against the remaining worker.
      const after = total;
      await until(() => total >= after + 200, 'requests after the shutdown');
    } finally {
      running = false;
      await Promise.all(loops);
      keepAlive.destroy();
    }
    expect(failures).toEqual([]);
    // The keep-alive clients of the drained worker were told to close, not cut off.
    expect(closedKeepAlive).toBeGreaterThan(0);
  });

  /** One worker of `app` listening, and a keep-alive agent for it, destroyed once `test` is done. */
  const withKeepAlive = async (
    app: string,
    test: (worker: { primary: Primary; id: number; pid: number; port: number; keepAlive: http.Agent }) => Promise<void>,
  ) => {
    const primary = await Primary.start();
    const { id, pid } = await primary.fork(app);
    const port = await primary.portOf(id);
    const keepAlive = new http.Agent({ keepAlive: true });
    try {
      await test({ primary, id, pid, port, keepAlive });
    } finally {
      keepAlive.destroy();
    }
  };

  it('answers a request in flight at shutdown, with Connection: close, and then exits', async () => {
    await withKeepAlive('hold-app.cjs', async ({ primary, id, pid, port, keepAlive }) => {
      const reply = get(port, { agent: keepAlive, path: '/held' });
      await primary.waitFor((event) => event.id === id && event.message?.url === '/held', 'the request to arrive');

      // One channel, in order: the agent drains before the app answers, then node disconnects.
      primary.command({ cmd: 'send', id, message: { clusterchart: 'shutdown' } });
      primary.command({ cmd: 'send', id, message: { app: 'release' } });
      primary.command({ cmd: 'disconnect', id });

      expect(await reply).toEqual({ status: 200, body: String(pid), connection: 'close' });
      expect(await primary.exitOf(id, 3000)).toMatchObject({ code: 0, signal: null });
    });
  });

  it('answers a request that came while a busy worker let its grace run out, instead of resetting it', async () => {
    await withKeepAlive('busy-app.cjs', async ({ primary, id, pid, port, keepAlive }) => {
      expect((await get(port, { agent: keepAlive })).connection).toBe('keep-alive');

      // The idle connection's grace (250 ms) starts; the worker's event loop is held well past
      // it, and the client's next request comes meanwhile. Once free, the worker's timers run
      // before its I/O: the grace is over with that request still unread.
      // (The control's shutdown message starts the drain; node's disconnect comes after.)
      primary.command({ cmd: 'send', id, message: { clusterchart: 'shutdown' } });
      primary.command({ cmd: 'send', id, message: { app: 'block', ms: 1000 } });
      await primary.appMessage(id, 'blocking');
      expect(await get(port, { agent: keepAlive })).toEqual({ status: 200, body: String(pid), connection: 'close' });
      primary.command({ cmd: 'disconnect', id });
      expect(await primary.exitOf(id, 3000)).toMatchObject({ code: 0, signal: null });
    });
  });

  it('closes an idle keep-alive connection after its grace, so the worker can exit', async () => {
    await withKeepAlive('http-app.cjs', async ({ primary, id, port, keepAlive }) => {
      const reply = await get(port, { agent: keepAlive });
      expect(reply.connection).toBe('keep-alive');
      const [idle] = Object.values(keepAlive.freeSockets).flat();
      expect(idle).toBeDefined();
      const closed = once(idle!, 'close');

      primary.command({ cmd: 'shutdown', id });
      // Well before node's own keepAliveTimeout (5 s) would close it.
      await within(closed, 2000, 'the idle connection to be closed');
      expect(await primary.exitOf(id, 3000)).toMatchObject({ code: 0, signal: null });
    });
  });

  it('exits a drained worker whose own handles would keep it alive', async () => {
    const primary = await Primary.start();
    const { id } = await primary.fork('idle-app.cjs', { TIMER: '1' });
    await primary.appMessage(id, 'started');

    primary.command({ cmd: 'shutdown', id });
    expect(await primary.exitOf(id, 3000)).toMatchObject({ code: 0, signal: null, exitedAfterDisconnect: true });
  });

  it('lets a worker with nothing left exit on its own', async () => {
    const primary = await Primary.start();
    const { id } = await primary.fork('idle-app.cjs');
    await primary.appMessage(id, 'started');

    primary.command({ cmd: 'shutdown', id });
    expect(await primary.exitOf(id, 3000)).toMatchObject({ code: 0, signal: null });
  });
});

describe('a server that starts listening during the drain', () => {
  it('is closed at once: a worker on its way out takes no new connection', async () => {
    const primary = await Primary.start();
    const { id } = await primary.fork('late-listen-app.cjs');
    await primary.appMessage(id, 'started');
    // The shutdown message starts the drain; the channel stays open (no disconnect yet).
    primary.command({ cmd: 'send', id, message: { clusterchart: 'shutdown' } });
    primary.command({ cmd: 'send', id, message: { app: 'listen' } });
    expect(await primary.appMessage(id, 'state')).toEqual({ app: 'state', listening: false });
  });
});

describe('the end of a drained worker', () => {
  // The agent ends a drained worker with process.exit() once nothing holds its event loop,
  // which skips Node's teardown; what the app sees must stay as if it had ended on its own.
  it.each([false, true])('keeps the exit code and runs the exit listeners (the app listens for beforeExit: %s)', async (beforeExit) => {
    const marks = mkdtempSync(join(tmpdir(), 'clusterchart-exit-'));
    try {
      const primary = await Primary.start();
      const env = { MARKS: marks, EXIT_CODE: '3', ...(beforeExit ? { BEFORE_EXIT: '1' } : {}) };
      const { id } = await primary.fork('exit-hooks-app.cjs', env);
      await primary.appMessage(id, 'started');

      primary.command({ cmd: 'shutdown', id });
      expect(await primary.exitOf(id, 3000)).toMatchObject({ code: 3, signal: null });
      expect(readFileSync(join(marks, 'exit'), 'utf8')).toBe('3');
      // The app's own beforeExit work is not cut short.
      if (beforeExit) expect(readFileSync(join(marks, 'before-exit'), 'utf8')).toBe('late work done');
    } finally {
      rmSync(marks, { recursive: true, force: true });
    }
  });
});

describe('an app that ends on a stop signal (written for Kubernetes, systemd or PM2)', () => {
  /** Forks signal-app.cjs with `env`, shuts it down as the control does, and returns its exit and the signals it heard. */
  const shutDown = async (env: Record<string, string>, before?: (primary: Primary, id: number) => Promise<void>) => {
    const marks = mkdtempSync(join(tmpdir(), 'clusterchart-signal-'));
    try {
      const primary = await Primary.start();
      const { id } = await primary.fork('signal-app.cjs', { MARKS: marks, ...env });
      await primary.appMessage(id, 'started');
      await before?.(primary, id);
      primary.command({ cmd: 'shutdown', id });
      // A bare primary never escalates: without its signal, such an app would run on.
      const exit = await primary.exitOf(id, 3000);
      const file = join(marks, 'signals');
      return { exit, signals: existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [] };
    } finally {
      rmSync(marks, { recursive: true, force: true });
    }
  };

  it.each([
    ['SIGTERM,SIGINT', 'SIGTERM'],
    ['SIGINT', 'SIGINT'],
  ])('gets the signal it handles (of %s: %s) once drained and disconnected, and ends', async (signals, expected) => {
    const { exit, signals: heard } = await shutDown({ SIGNALS: signals });
    expect(exit).toMatchObject({ code: 0, signal: null, exitedAfterDisconnect: true });
    expect(heard).toEqual([expected]);
  });

  it("gets no signal when it listens for the worker's disconnect: it ends itself", async () => {
    const { exit, signals } = await shutDown({ SIGNALS: 'SIGTERM', DISCONNECT_LISTENER: '1' });
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(signals).toEqual([]);
  });

  it.each([
    ['process.on', { SIGNALS: 'SIGTERM' }],
    // Its SIGTERM listener is gone once it ran; its SIGINT one still counts as owning the shutdown.
    ['process.once, for SIGTERM and SIGINT', { SIGNALS: 'SIGTERM,SIGINT', ONCE: '1' }],
  ])('gets no second signal when the process group sent it one already (listening with %s)', async (_, env) => {
    const { exit, signals } = await shutDown({ ...env, EXIT_AFTER: '500' }, async (primary, id) => {
      primary.command({ cmd: 'kill', id, signal: 'SIGTERM' });
      await primary.appMessage(id, 'signal');
    });
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(signals).toEqual(['SIGTERM']);
  });
});

describe('no orphans', () => {
  it('takes the child of a free worker along when the primary dies', async () => {
    const primary = await Primary.start();
    const { id, pid } = await primary.fork('child-app.cjs');
    const child = (await primary.appMessage(id, 'child')).pid as number;
    started.add(child);

    process.kill(primary.pid, 'SIGKILL');
    await allGone([pid, child], 2000, 'the orphaned worker and its child');
  });

  it("on the control's SIGTERM (announced) kills the children and dies by SIGTERM", async () => {
    const primary = await Primary.start();
    const { id } = await primary.fork('child-app.cjs');
    const child = (await primary.appMessage(id, 'child')).pid as number;
    started.add(child);

    primary.command({ cmd: 'terminate', id });
    expect(await primary.exitOf(id)).toMatchObject({ code: null, signal: 'SIGTERM' });
    await allGone([child], 2000, 'the child of the terminated worker');
  });

  it.each(['SIGTERM', 'SIGINT'])('on a %s its control did not send (the process group\'s, or kill PID), drains and leaves: exit 0, children killed', async (signal) => {
    const primary = await Primary.start();
    const { id } = await primary.fork('child-app.cjs');
    const child = (await primary.appMessage(id, 'child')).pid as number;
    started.add(child);

    primary.command({ cmd: 'kill', id, signal });
    // It leaves with node:cluster's worker-side disconnect, so the primary knows it was meant.
    expect(await primary.exitOf(id)).toMatchObject({ code: 0, signal: null, exitedAfterDisconnect: true });
    await allGone([child], 2000, 'the child of the worker');
  });

  it("survives a SIGHUP while its control is there (the process group's: the control restarts it)", async () => {
    const primary = await Primary.start();
    const { id } = await primary.fork('http-app.cjs');
    // Listening, the app has run: the preloaded agent is in place (`online` comes before it).
    await primary.portOf(id);
    primary.command({ cmd: 'kill', id, signal: 'SIGHUP' });
    // Node's default action would end it on delivery: a stats reply sent after the signal says it lived.
    primary.command({ cmd: 'send', id, message: { cmd: 'NODE_CLUSTERCHART_STATS?', nonce: 9 } });
    await primary.waitFor((event) => event.ev === 'internal' && event.message?.nonce === 9, 'the stats reply after SIGHUP');
    expect(primary.events.filter((event) => event.ev === 'exit')).toEqual([]);
  });

  it('leaves an app that handles SIGTERM, and its children, alone on the terminate notice: the signal decides', async () => {
    const primary = await Primary.start();
    const { id, pid } = await primary.fork('child-app.cjs', { SIGTERM_HANDLER: '1' });
    const child = (await primary.appMessage(id, 'child')).pid as number;
    started.add(child);

    primary.command({ cmd: 'send', id, message: { cmd: 'NODE_CLUSTERCHART_TERMINATE' } });
    // A stats request after it: its reply says the notice has been handled.
    primary.command({ cmd: 'send', id, message: { cmd: 'NODE_CLUSTERCHART_STATS?', nonce: 7 } });
    await primary.waitFor((event) => event.ev === 'internal' && event.message?.nonce === 7, 'the stats reply');
    expect(isAlive(child)).toBe(true);
    expect(isAlive(pid)).toBe(true);
    expect(primary.events.filter((event) => event.id === id && (event.ev === 'exit' || event.message?.app === 'sigterm'))).toEqual([]);
  });

  it("leaves SIGTERM to an app that handles it, and still kills the children on exit", async () => {
    const primary = await Primary.start();
    const { id } = await primary.fork('child-app.cjs', { SIGTERM_HANDLER: '1' });
    const child = (await primary.appMessage(id, 'child')).pid as number;
    started.add(child);

    primary.command({ cmd: 'kill', id, signal: 'SIGTERM' });
    await primary.appMessage(id, 'sigterm');
    expect(await primary.exitOf(id)).toMatchObject({ code: 7, signal: null });
    await allGone([child], 2000, 'the child of the exited worker');
  });
});
