/**
 * `clusterchart run` as a real process, driven only through the CLI and the socket:
 * - status (table and JSON shape, the agent's connections and memory), socket mode 0600;
 * - set-size up and down, add and remove, restart --wait with progress, shutdown and
 *   terminate of one id and of all, stop and stop --force, events;
 * - SIGTERM and SIGINT to the run process stop the workers and exit 0; a crash loop exits 1;
 * - --env, configuration files and `-- args` reach the workers.
 * Every test kills what it started (the run process's whole group) in afterEach.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, get, until } from '../helpers/processes.js';
import { cleanEnv, cli, cliPath, fixture, isAlive, killStarted, requireBuild, startFollower, startRun, status, tempDir } from './helpers.js';

const dirs: Array<() => void> = [];
beforeAll(requireBuild);
afterEach(() => {
  killStarted();
  for (const remove of dirs.splice(0)) remove();
});

function temp() {
  const t = tempDir();
  dirs.push(t.remove);
  return t;
}

/** Fast timings so the rollouts and stops of these tests take milliseconds. */
const fast = ['--restart-probation', '50', '--shutdown-timeout', '2s', '--terminate-timeout', '2s'];

async function app(size: number, extra: string[] = []) {
  const { sock, dir } = temp();
  const run = await startRun([fixture('http-app.cjs'), '--size', String(size), ...fast, ...extra], { sock });
  return { run, sock, dir };
}

const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('status', () => {
  it('shows the control and every worker as a table and as JSON; the socket is mode 0600', async () => {
    const { run, sock } = await app(2);
    expect(statSync(sock).mode & 0o777).toBe(0o600);

    const json = await status(sock);
    expect(json.master).toMatchObject({ pid: run.pid, state: 'running', size: 2, generation: 1, health: 'ok', restarting: false });
    expect(json.master.startTime).toEqual(expect.any(Number));
    expect(json.workers).toHaveLength(2);
    for (const [i, w] of json.workers.entries()) {
      expect(w).toEqual({
        id: i + 1,
        pid: expect.any(Number),
        state: 'online.ready',
        generation: 1,
        slot: expect.any(Number),
        startTime: expect.any(Number),
        uptime: expect.any(Number),
        restarts: 0,
        // The agent is preloaded: the app has no code for these.
        connections: 0,
        memory: expect.any(Number),
      });
      expect(w.memory).toBeGreaterThan(1_000_000);
    }
    expect(json.workers.map((w) => w.slot).sort()).toEqual([0, 1]);
    expect(run.workerPids().sort()).toEqual(json.workers.map((w) => w.pid).sort());

    const table = await cli(['status', '--control', sock]);
    expect(table.code).toBe(0);
    const [summary, header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(summary).toMatch(new RegExp(`^control ${run.pid} running · size 2 · generation 1 · health ok · up `));
    expect(header!.split(/\s+/)).toEqual(['ID', 'PID', 'SLOT', 'STATE', 'GEN', 'UPTIME', 'RESTARTS', 'CONNS', 'MEMORY']);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.trim().split(/\s+/).slice(0, 5)).toEqual(['1', String(json.workers[0]!.pid), '0', 'online.ready', '1']);
    expect(rows[0]).toMatch(/MiB$/);
  });
});

describe('size', () => {
  it('set-size grows and shrinks the cluster and waits for it', async () => {
    const { sock } = await app(1);
    const up = await cli(['set-size', '3', '--control', sock]);
    expect(up).toMatchObject({ code: 0, stdout: 'size 3: 3 live, 3 ready\n' });
    let now = await status(sock);
    expect(now.master.size).toBe(3);
    expect(now.workers.map((w) => w.state)).toEqual(['online.ready', 'online.ready', 'online.ready']);
    const before = now.workers.map((w) => w.pid!);

    const down = await cli(['set-size', '1', '--json', '--control', sock]);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)).toEqual({ size: 1, live: 1, ready: 1 });
    now = await status(sock);
    expect(now.workers).toHaveLength(1);
    // Scale-down removes the newest first: the first worker stays.
    expect(now.workers[0]!.pid).toBe(before[0]);
    for (const pid of before.slice(1)) expect(isAlive(pid)).toBe(false);
  });

  it('add and remove are relative', async () => {
    const { sock } = await app(1);
    expect(await cli(['add', '--control', sock])).toMatchObject({ code: 0, stdout: 'size 2: 2 live, 2 ready\n' });
    expect(await cli(['add', '2', '--control', sock])).toMatchObject({ code: 0, stdout: 'size 4: 4 live, 4 ready\n' });
    expect(await cli(['remove', '3', '--control', sock])).toMatchObject({ code: 0, stdout: 'size 1: 1 live, 1 ready\n' });
    expect(await cli(['remove', '--control', sock])).toMatchObject({ code: 0, stdout: 'size 0: 0 live, 0 ready\n' });
    expect((await status(sock)).workers).toEqual([]);
  });
});

describe('restart', () => {
  it('restart --wait prints progress, then a summary; every worker is new', async () => {
    const { sock, run } = await app(2);
    const before = (await status(sock)).workers.map((w) => w.pid);
    const result = await cli(['restart', '--wait', '--control', sock]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(['0/2 replaced', '1/2 replaced', '2/2 replaced']);
    expect(lines[3]).toMatch(/^restarted: 2 workers replaced in \S+ \(generation 2\)$/);
    const after = await status(sock);
    expect(after.master).toMatchObject({ generation: 2, restarting: false });
    expect(after.workers.map((w) => w.generation)).toEqual([2, 2]);
    expect(after.workers.map((w) => w.restarts)).toEqual([1, 1]);
    for (const pid of before) expect(after.workers.map((w) => w.pid)).not.toContain(pid);
    await run.waitFor(/^control: restart done, generation 2$/);
  });

  it('restart without --wait answers at once; --json streams progress objects', async () => {
    const { sock, run } = await app(2);
    const quick = await cli(['restart', '--control', sock]);
    expect(quick).toMatchObject({ code: 0, stdout: 'restarting: generation 2, 2 workers to replace\n' });
    await run.waitFor(/^control: restart done, generation 2$/);
    const waited = await cli(['restart', '--wait', '--json', '--control', sock]);
    const lines = waited.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.slice(0, -1)).toEqual([{ progress: { replaced: 0, total: 2 } }, { progress: { replaced: 1, total: 2 } }, { progress: { replaced: 2, total: 2 } }]);
    expect(lines.at(-1)).toMatchObject({ generation: 3, replaced: 2, total: 2, waited: true });
  });
});

describe('shutdown and terminate', () => {
  it('one id, then all; the control replaces them', async () => {
    const { sock } = await app(2);
    const [first, second] = (await status(sock)).workers;

    expect(await cli(['shutdown', String(first!.id), '--control', sock])).toMatchObject({ code: 0, stdout: `shut down: #${first!.id}\n` });
    expect(isAlive(first!.pid!)).toBe(false);
    expect(await cli(['terminate', String(second!.id), '--control', sock])).toMatchObject({ code: 0, stdout: `terminated: #${second!.id}\n` });
    expect(isAlive(second!.pid!)).toBe(false);

    const replaced = await cli(['set-size', '2', '--control', sock]);
    expect(replaced.code).toBe(0);
    const now = (await status(sock)).workers;
    expect(now.map((w) => w.id)).toEqual([3, 4]);

    const all = await cli(['shutdown', 'all', '--control', sock]);
    expect(all).toMatchObject({ code: 0, stdout: 'shut down: #3, #4\n' });
    for (const w of now) expect(isAlive(w.pid!)).toBe(false);
    await cli(['set-size', '2', '--control', sock]);
    const again = (await status(sock)).workers;
    const term = await cli(['terminate', 'all', '--control', sock]);
    expect(term).toMatchObject({ code: 0, stdout: `terminated: ${again.map((w) => `#${w.id}`).join(', ')}\n` });
    for (const w of again) expect(isAlive(w.pid!)).toBe(false);
  });
});

describe('stopping', () => {
  it('stop: workers drain, the run process exits 0, the socket is removed', async () => {
    const { sock, run } = await app(2);
    const pids = (await status(sock)).workers.map((w) => w.pid!);
    const stop = await cli(['stop', '--control', sock]);
    expect(stop).toMatchObject({ code: 0, stdout: 'stopped\n' });
    const exit = await run.exited();
    expect(exit.code).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(existsSync(sock)).toBe(false);
    expect(run.lines).toContain('clusterchart: stopped');
    expect(run.lines.filter((l) => / -> exited$/.test(l))).toHaveLength(2);
    expect(run.lines.filter((l) => / -> disconnecting$/.test(l))).toHaveLength(2);
  });

  it('stop --force terminates at once', async () => {
    const { sock, run } = await app(2);
    const stop = await cli(['stop', '--force', '--json', '--control', sock]);
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout)).toEqual({ stopped: true, force: true, ids: [1, 2], terminated: [], killed: [] });
    expect((await run.exited()).code).toBe(0);
    expect(run.lines.some((l) => / -> exiting\.terminating$/.test(l))).toBe(true);
    expect(run.lines.some((l) => / -> disconnecting$/.test(l))).toBe(false);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('%s to the run process stops the workers and exits 0', async (signal) => {
    const { sock, run } = await app(2);
    const pids = (await status(sock)).workers.map((w) => w.pid!);
    process.kill(run.pid, signal);
    const exit = await run.exited();
    expect(exit).toMatchObject({ code: 0, signal: null });
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(existsSync(sock)).toBe(false);
    expect(run.lines).toContain('control: stop');
    noStack(exit.stderr);
  });

  // A terminal's Ctrl-C, or systemd's default KillMode=control-group, signals every process
  // of the group at once: the workers too, not only the control.
  it.each(['SIGINT', 'SIGTERM'] as const)('%s to the whole process group drains: a request in flight is answered, exit 0', async (signal) => {
    const { sock } = temp();
    const port = await freePort();
    const run = await startRun([fixture('slow-app.cjs'), '--size', '2', ...fast], { sock, env: cleanEnv({ PORT: String(port), DELAY: '800' }) });
    const pids = (await status(sock)).workers.map((w) => w.pid!);
    const answer = get(port);
    const served = await run.waitFor(/^request at \d+$/);
    process.kill(-run.pid, signal);
    expect(Number(await answer)).toBe(Number(served.split(' ').at(-1)));
    const exit = await run.exited();
    expect(exit).toMatchObject({ code: 0, signal: null });
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(run.lines.filter((l) => / -> disconnecting$/.test(l))).toHaveLength(2);
    noStack(exit.stderr);
  });

  // A closed terminal or ssh session sends SIGHUP to the whole group: a rolling restart,
  // not every worker dying of it at once.
  it('SIGHUP to the whole process group is a rolling restart: no worker dies of it', async () => {
    const { sock, run } = await app(2);
    const pids = (await status(sock)).workers.map((w) => w.pid!);
    process.kill(-run.pid, 'SIGHUP');
    await run.waitFor(/^control: restart done, generation 2$/);
    expect(run.lines.filter((l) => /exited unexpectedly/.test(l))).toEqual([]);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    const stop = await cli(['stop', '--control', sock]);
    expect(stop.code).toBe(0);
    expect((await run.exited()).code).toBe(0);
  });

  it('gives up on a crash loop and exits 1', async () => {
    const { sock } = temp();
    const run = await startRun(
      [fixture('crash-app.cjs'), '--size', '2', '--max-restarts', '2', '--throttle-delay', '10', '--max-throttle-delay', '20'],
      { sock, ready: false },
    );
    const exit = await run.exited();
    expect(exit.code).toBe(1);
    // On stderr, so a run whose stdout goes to a file still says why it exits 1.
    expect(exit.stderr).toMatch(/^control: giving up: 3 unexpected exits/m);
    expect(exit.stderr).toMatch(/^clusterchart: stopped after giving up$/m);
    expect(run.lines.some((l) => /safe/.test(l))).toBe(false);
    expect(existsSync(sock)).toBe(false);
    noStack(exit.stderr);
  });

  it('events, following it, exits 1 too', async () => {
    const { sock, dir } = temp();
    const script = join(dir, 'app.cjs');
    writeFileSync(script, readFileSync(fixture('http-app.cjs')));
    const run = await startRun([script, '--size', '1', ...fast, '--max-restarts', '1', '--throttle-delay', '10', '--max-throttle-delay', '20'], { sock });
    const follower = await startFollower(['events', '--control', sock]);
    writeFileSync(script, "throw new Error('crash at start');\n");
    await cli(['terminate', 'all', '--control', sock]);
    expect(await follower.exited()).toMatchObject({ code: 1 });
    expect(follower.lines.at(-1)).toBe('control: stopped (gave up)');
    expect((await run.exited()).code).toBe(1);
  });
});

describe('a bad deploy', () => {
  it('restart --wait exits 1 when the new version crash-loops; the old workers keep serving', async () => {
    const { sock, dir } = temp();
    const script = join(dir, 'app.cjs');
    writeFileSync(script, readFileSync(fixture('http-app.cjs')));
    const run = await startRun([script, '--size', '2', ...fast, '--max-restarts', '1', '--throttle-delay', '10', '--max-throttle-delay', '20'], { sock });
    const before = (await status(sock)).workers.map((w) => w.pid);
    writeFileSync(script, "throw new Error('bad deploy');\n");
    const result = await cli(['restart', '--wait', '--control', sock]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/restart to generation 2 was abandoned: .*the workers of the older generation keep serving/);
    noStack(result.stderr);
    const said = /^control: restart to generation 2 abandoned: .*the older workers keep serving$/m;
    await until(() => said.test(run.stderr()), 'the abandonment on the run\'s stderr', { on: [[run.child.stderr!, 'data']] });
    const after = await status(sock);
    expect(after.master).toMatchObject({ state: 'running', generation: 2, restarting: false });
    expect(after.workers.map((w) => [w.pid, w.generation, w.state])).toEqual(before.map((pid) => [pid, 1, 'online.ready']));
    expect(run.lines.some((l) => /giving up/.test(l))).toBe(false);
  });
});

describe('events', () => {
  it('follows the control: one line per transition, JSON with --json', async () => {
    const { sock } = await app(1);
    const human = await startFollower(['events', '--control', sock]);
    const json = await startFollower(['events', '--json', '--control', sock]);
    expect(await cli(['add', '--control', sock])).toMatchObject({ code: 0 });
    const worker = (await status(sock)).workers.find((w) => w.id === 2)!;
    await human.waitFor(new RegExp(`^#2\\[${worker.pid}\\] online\\.booting -> online\\.ready$`));
    expect(human.lines.slice(0, 3)).toEqual(['control: size 2', `#2[${worker.pid}] new -> starting`, `#2[${worker.pid}] starting -> online.booting`]);
    await json.waitFor(/"type":"ready"/);
    const events = json.lines.map((l) => JSON.parse(l) as { type: string });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['setSize', 'fork', 'online', 'listening', 'ready', 'transition']));
    expect(events.find((e) => e.type === 'ready')).toEqual({ type: 'ready', worker: { id: 2, pid: worker.pid, slot: 1, generation: 1 } });

    // The control stops: followers see it and exit 0.
    await cli(['stop', '--control', sock]);
    expect((await human.exited()).code).toBe(0);
    expect((await json.exited()).code).toBe(0);
    expect(human.lines.at(-1)).toBe('control: stopped');
  });

  it('ends when its reader does (`events | head -1`), at the next event it writes', async () => {
    const { sock } = await app(1);
    const follower = await startFollower(['events', '--control', sock]);
    expect(await cli(['add', '--control', sock])).toMatchObject({ code: 0 });
    await follower.waitFor(/^control: size 2$/);
    follower.child.stdout!.destroy();
    expect(await cli(['remove', '--control', sock])).toMatchObject({ code: 0 });
    expect(await follower.exited()).toMatchObject({ code: 0, signal: null });
  });
});

describe('dashboard', () => {
  it('--dashboard serves the page and the probes of this control', async () => {
    const { run, sock } = await app(2, ['--dashboard', '0']);
    const line = await run.waitFor(/^clusterchart: dashboard at http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
    const url = /http:\S+/.exec(line)![0];
    expect((await fetch(url)).status).toBe(200);
    expect((await fetch(new URL('/', url))).status).toBe(401);
    const health = await fetch(new URL('/healthz', url));
    expect(health.status).toBe(200);
    const api = (await (await fetch(new URL('/api/status', url))).json()) as { master: { pid: number } };
    expect(api.master.pid).toBe(run.pid);
    expect((await status(sock)).master.pid).toBe(run.pid);
    await cli(['stop', '--control', sock]);
    expect((await run.exited()).code).toBe(0);
    await expect(fetch(new URL('/healthz', url))).rejects.toThrow();
  });

  it('a dashboard port in use: a clear error, exit 1, no worker started', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const { sock } = temp();
      const result = await cli(['run', fixture('http-app.cjs'), '--control', sock, '--dashboard', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is in use`);
      expect(result.stderr).toMatch(/CC_ERR_DASHBOARD_PORT_IN_USE/);
      noStack(result.stderr);
      expect(result.stdout).not.toMatch(/-> starting/);
    } finally {
      taken.close();
    }
  });
});

describe('inspect and quiet', () => {
  it('--inspect prints XState inspection events as JSON lines on stderr; --quiet hides transitions', async () => {
    const { run, sock } = await app(1, ['--inspect', '--quiet']);
    const events = run
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; actor: string; source?: string | null; value?: unknown });
    expect(events.some((e) => e.type === '@xstate.snapshot' && e.actor === 'worker-1')).toBe(true);
    expect(events.some((e) => e.type === '@xstate.event' && e.actor === 'control')).toBe(true);
    // The control's events to its workers name it as it is named everywhere else.
    expect(events.some((e) => e.type === '@xstate.event' && e.actor === 'worker-1' && e.source === 'control')).toBe(true);
    expect(run.lines.some((l) => /^#\d+\[/.test(l))).toBe(false);
    await cli(['stop', '--control', sock]);
    expect((await run.exited()).code).toBe(0);
  });
});

describe('what reaches the workers', () => {
  it('--env, configuration env and the script arguments after --', async () => {
    const { sock, dir } = temp();
    const out = join(dir, 'out');
    mkdirSync(out);
    const cwd = join(dir, 'app');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'clusterchart.config.json'), JSON.stringify({ size: 2, env: { FROM_FILE: 'file', BOTH: 'file' }, nodeArgs: ['--max-old-space-size=300'] }));
    await startRun([fixture('env-app.cjs'), '--env', 'BOTH=flag', '--env', `OUT_DIR=${out}`, '--node-arg=--expose-gc', '--node-arg=--stack-trace-limit=50', '--', '--flag', 'value'], {
      sock,
      cwd,
      env: cleanEnv({ CLUSTERCHART_SHUTDOWN_TIMEOUT: '1s' }),
    });
    const seen = readdirSync(out).map((f) => JSON.parse(readFileSync(join(out, f), 'utf8')) as { argv: string[]; execArgv: string[]; env: Record<string, string> });
    expect(seen).toHaveLength(2);
    for (const worker of seen) {
      expect(worker.argv).toEqual(['--flag', 'value']);
      // The flags' list replaces the file's; the agent's preload comes after it.
      expect(worker.execArgv).toEqual(['--expose-gc', '--stack-trace-limit=50', '--require', expect.stringMatching(/worker\.cjs$/)]);
      expect(worker.env).toMatchObject({ FROM_FILE: 'file', BOTH: 'flag', CLUSTERCHART_SLOT: expect.stringMatching(/^[01]$/) });
    }
    expect(seen.map((w) => w.env.CLUSTERCHART_SLOT).sort()).toEqual(['0', '1']);
  });
});

describe('worker output', () => {
  it('--log-prefix puts the worker id before each of its lines, on stdout and stderr, up to its exit', async () => {
    const { sock } = temp();
    const run = await startRun([fixture('log-app.cjs'), '--size', '2', '--log-prefix'], { sock });
    const ids = ['1', '2'];
    // The two workers boot side by side: either may write its last line first.
    for (const id of ids) await run.waitFor(new RegExp(`^#${id} \\| split line$`));
    for (const id of ids) {
      for (const line of [/^hello from \d+$/, /^multi$/, /^line$/, /^split line$/]) {
        expect(run.lines.some((l) => l.startsWith(`#${id} | `) && line.test(l.slice(`#${id} | `.length))), `#${id} ${String(line)}`).toBe(true);
      }
    }
    // Every line the app wrote is prefixed; run's own lines are as before.
    const appLines = run.lines.filter((l) => /hello|multi|^(#\d+ \| )?line$|split|bye/.test(l));
    expect(appLines.every((l) => /^#[12] \| /.test(l)), appLines.join('\n')).toBe(true);
    expect(run.lines.some((l) => /^#1\[\d+\] /.test(l))).toBe(true);
    await until(() => ids.every((id) => run.stderr().includes(`#${id} | to stderr\n`)), 'both workers\' stderr line, prefixed', { on: [[run.child.stderr!, 'data']] });
    await cli(['stop', '--control', sock]);
    expect((await run.exited()).code).toBe(0);
    // Written in the worker's `exit` handler, as it ends: nothing stands between it and run's output.
    for (const id of ids) expect(run.lines, `#${id} | bye`).toContain(`#${id} | bye`);
  });

  it.each([
    ['without --log-prefix the lines are the app\'s own', {}, /^split line$/],
    ['logPrefix in a configuration file switches it on', { file: { logPrefix: true } }, /^#1 \| split line$/],
    ['CLUSTERCHART_LOG_PREFIX=on switches it on', { env: { CLUSTERCHART_LOG_PREFIX: 'on' } }, /^#1 \| split line$/],
  ] as const)('%s', async (_, { file, env }: { file?: object; env?: Record<string, string> }, line) => {
    const { sock, dir } = temp();
    if (file !== undefined) writeFileSync(join(dir, 'clusterchart.config.json'), JSON.stringify(file));
    const run = await startRun([fixture('log-app.cjs'), '--size', '1'], { sock, cwd: dir, env: cleanEnv(env) });
    await run.waitFor(line);
    expect(run.lines.filter((l) => /split line$/.test(l))).toEqual([run.lines.find((l) => line.test(l))]);
    await cli(['stop', '--control', sock]);
    expect((await run.exited()).code).toBe(0);
  });
});

describe('the script', () => {
  it('may be a directory with an index.js, or a name Node completes with .js, as `node` takes them', async () => {
    const { sock, dir } = temp();
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'app', 'index.js'), readFileSync(fixture('http-app.cjs')));
    writeFileSync(join(dir, 'server.js'), readFileSync(fixture('http-app.cjs')));
    for (const script of ['./app', 'server']) {
      const run = await startRun([script, '--size', '1', ...fast], { sock, cwd: dir });
      expect((await status(sock)).workers.map((w) => w.state)).toEqual(['online.ready']);
      expect((await cli(['stop', '--control', sock])).code).toBe(0);
      expect((await run.exited()).code).toBe(0);
    }
  });

  it('not found names a file beside it that was meant, and a name only a loader completes is said as such', async () => {
    const { dir } = temp();
    writeFileSync(join(dir, 'server.js'), '');
    writeFileSync(join(dir, 'worker.ts'), '');
    const cases: Array<[string, string]> = [
      ['sever.js', `Cannot find the script sever.js (resolved to ${join(dir, 'sever.js')}) (did you mean server.js?). [CC_ERR_CLI_SCRIPT_NOT_FOUND]`],
      ['client.js', `Cannot find the script client.js (resolved to ${join(dir, 'client.js')}). [CC_ERR_CLI_SCRIPT_NOT_FOUND]`],
      ['worker', 'Option exec is invalid: there is nothing to run at ' + join(dir, 'worker') + ' (found worker.ts, but without a loader in execArgv or NODE_OPTIONS Node adds only .js, .json or .node to a name). [CC_ERR_OPTION_INVALID]'],
    ];
    for (const [script, message] of cases) {
      const result = await cli(['run', script], { cwd: dir });
      expect(result.code, script).toBe(2);
      expect(result.stderr, script).toBe(`clusterchart: ${message}\n`);
    }
  });
});

describe('exit status', () => {
  it('2 for usage mistakes, with one line and no stack trace', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['deploy'], /CC_ERR_CLI_UNKNOWN_COMMAND/],
      [['status', '--verbose'], /CC_ERR_CLI_UNKNOWN_OPTION/],
      [['set-size', 'lots'], /CC_ERR_CLI_BAD_ARGUMENT/],
      [['set-size'], /CC_ERR_CLI_BAD_ARGUMENT/],
      [['terminate', 'x'], /CC_ERR_CLI_BAD_ARGUMENT/],
      [['shutdown'], /name the workers: ids \(`clusterchart status` lists them\), or `all`; to replace every worker without a gap, `clusterchart restart`/],
      [['terminate'], /name the workers: ids \(`clusterchart status` lists them\), or `all`\. \[CC_ERR_CLI_BAD_ARGUMENT\]/],
      [['run'], /CC_ERR_CLI_BAD_ARGUMENT/],
      [['run', 'no-such-app.js'], /CC_ERR_CLI_SCRIPT_NOT_FOUND/],
      [['run', fixture('http-app.cjs'), '--shutdown-timeout', '-1'], /CC_ERR_OPTION_INVALID/],
      [['run', fixture('http-app.cjs'), '--ready-on', 'never'], /CC_ERR_OPTION_INVALID/],
      [['run', fixture('http-app.cjs'), '--size'], /CC_ERR_CLI_MISSING_VALUE/],
    ];
    for (const [args, pattern] of cases) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(pattern);
      expect(result.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      noStack(result.stderr);
    }
  });

  it('1 when the output cannot be written, saying why (a full disk)', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const result = spawnSync(process.execPath, [cliPath, 'diagram'], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe('clusterchart: cannot write the output: ENOSPC: no space left on device, write\n');
    } finally {
      closeSync(full);
    }
  });

  it('2 for a bad configuration file or environment variable', async () => {
    const { dir } = temp();
    writeFileSync(join(dir, 'clusterchart.config.json'), '{"size": 2, "sizes": 3}');
    const unknown = await cli(['run', fixture('http-app.cjs')], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/CC_ERR_CONFIG_UNKNOWN_KEY/);
    const fromEnv = await cli(['run', fixture('http-app.cjs')], { env: cleanEnv({ CLUSTERCHART_SIZE: '-3' }) });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/CLUSTERCHART_SIZE.*CC_ERR_OPTION_INVALID/);
  });

  it('a misspelled CLUSTERCHART_ variable is a warning before the command runs', async () => {
    const { dir } = temp();
    const result = await cli(['status', '--control', join(dir, 'nobody.sock')], { env: cleanEnv({ CLUSTERCHART_CONTRL: join(dir, 'c.sock') }) });
    expect(result.stderr.split('\n')[0]).toBe(
      'clusterchart: warning: CLUSTERCHART_CONTRL is not a clusterchart variable (did you mean CLUSTERCHART_CONTROL?); it is ignored',
    );
    expect(result.code).toBe(3);
  });

  it('3 when no control is reachable, naming the socket', async () => {
    const { dir } = temp();
    const missing = join(dir, 'nobody.sock');
    for (const args of [['status'], ['stop'], ['restart', '--wait'], ['events'], ['set-size', '2']]) {
      const result = await cli([...args, '--control', missing]);
      expect(result.code, args.join(' ')).toBe(3);
      expect(result.stderr).toContain(missing);
      expect(result.stderr).toMatch(/CC_ERR_CLI_UNREACHABLE/);
      noStack(result.stderr);
    }
    // The default socket in a folder with none.
    const fallback = await cli(['status'], { cwd: dir });
    expect(fallback.code).toBe(3);
    expect(fallback.stderr).toContain('./clusterchart.sock');
  });

  it('1 for a command the control refuses, and for a socket already served', async () => {
    const { sock, run } = await app(1);
    const unknown = await cli(['terminate', '99', '--control', sock]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No worker with id 99.*CC_ERR_WORKER_UNKNOWN/);

    const second = await cli(['run', fixture('http-app.cjs'), '--control', sock]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/CC_ERR_SERVER_IN_USE/);
    expect(second.stderr).toContain(sock);
    noStack(second.stderr);
    // The first control was not touched.
    expect((await status(sock)).master.pid).toBe(run.pid);
    expect(second.stdout).not.toMatch(/-> starting/);
  });

  it('a control that accepts the connection but never answers ends status with exit 3 after 10 s, not a hang', async () => {
    const { dir } = temp();
    const path = join(dir, 'mute.sock');
    const mute = createServer(() => {}).listen(path);
    await new Promise((resolve) => mute.once('listening', resolve));
    try {
      const started = Date.now();
      const result = await cli(['status', '--control', path], { timeout: 20_000 });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('did not answer status within 10000 ms');
      expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
      noStack(result.stderr);
    } finally {
      mute.close();
    }
  }, 30_000);

  it('says why no control is reachable: nothing there, a missing folder, a file that is not a socket, a link to nothing, a path too long', async () => {
    const { dir } = temp();
    const file = join(dir, 'plain.sock');
    writeFileSync(file, '');
    symlinkSync('gone.sock', join(dir, 'link.sock'));
    const cases: Array<[string, number, string]> = [
      [join(dir, 'none.sock'), 3, `ENOENT: nothing at ${join(dir, 'none.sock')}); is \`clusterchart run\` running with --control ${join(dir, 'none.sock')}? [CC_ERR_CLI_UNREACHABLE]`],
      [join(dir, 'link.sock'), 3, '(a symbolic link to nothing: gone.sock)'],
      [join(dir, 'missing', 'x.sock'), 3, `the folder ${join(dir, 'missing')} does not exist`],
      [file, 3, 'not a socket but a file'],
      [dir, 3, 'not a socket but a directory'],
      [join(dir, 'x'.repeat(120)), 2, 'UNIX socket paths must be at most'],
    ];
    for (const [path, code, reason] of cases) {
      const result = await cli(['status', '--control', path]);
      expect({ path, code: result.code }).toEqual({ path, code });
      expect(result.stderr).toContain(reason);
      noStack(result.stderr);
    }
  });

  it('says the folder it looked in, for the default socket', async () => {
    const { dir } = temp();
    const result = await cli(['status'], { cwd: dir });
    expect(result.stderr).toBe(
      `clusterchart: No control is reachable at ./clusterchart.sock (ENOENT: nothing at ${join(dir, 'clusterchart.sock')}); is \`clusterchart run\` running with --control ./clusterchart.sock? [CC_ERR_CLI_UNREACHABLE]\n`,
    );
  });

  // Another user (root runs the test as nobody): the control's socket is its owner's alone.
  it.skipIf(process.getuid?.() !== 0)('says a control another user runs is out of reach by permission, not missing', async () => {
    const { sock, dir } = temp();
    await startRun([fixture('http-app.cjs'), '--size', '1', ...fast], { sock, cwd: dir });
    const asNobody = (path: string) => spawnSync(process.execPath, [cliPath, 'status', '--control', path], { uid: 65534, gid: 65534, encoding: 'utf8' });
    const closedFolder = asNobody(sock);
    expect(closedFolder.status).toBe(3);
    expect(closedFolder.stderr).toMatch(/\(EACCES: a folder on the way is closed to this user\); run the command as the user that runs the control\. \[CC_ERR_CLI_UNREACHABLE\]/);
    chmodSync(dir, 0o755);
    const ownSocket = asNobody(sock);
    expect(ownSocket.status).toBe(3);
    expect(ownSocket.stderr).toMatch(/\(EACCES: the socket belongs to uid 0, mode 0600\); run the command as the user that runs the control\./);
    expect((await cli(['stop', '--control', sock])).code).toBe(0);
  });

  it('--json errors also go to stdout as an object', async () => {
    const { dir } = temp();
    const result = await cli(['status', '--json', '--control', join(dir, 'x.sock')]);
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code: 'CC_ERR_CLI_UNREACHABLE' } });
  });
});

describe('help and version', () => {
  it('--help on every command, --version', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^clusterchart \d+\.\d+\.\d+: /);
    for (const command of ['run', 'status', 'restart', 'set-size', 'add', 'remove', 'shutdown', 'terminate', 'stop', 'events', 'diagram']) {
      const help = await cli([command, '--help']);
      expect(help.code, `${command}: ${help.stderr}`).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: clusterchart ${command} `));
    }
    const version = await cli(['--version']);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });
});
