/**
 * The control server over a control on the simulated cluster:
 * - every command answers with the result shape of the protocol (status, set-size, add,
 *   remove, restart with progress, shutdown, terminate, stop, events);
 * - bad lines (JSON, envelope, unknown command, arguments, over 64 KiB, binary, half lines)
 *   get coded errors and the connection, the control and other clients carry on;
 * - the socket is mode 0600, a stale socket is replaced, a live one or a regular file is
 *   refused, and close() answers what is in flight and removes the socket file.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createControlServer } from '../../src/server/control-server.js';
import { simulatedServer, tempDir, within } from './helpers.js';

type Env = Awaited<ReturnType<typeof simulatedServer>>;
let env: Env | undefined;
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  await env?.cleanup();
  env = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setup(...args: Parameters<typeof simulatedServer>) {
  env = await simulatedServer(...args);
  return env;
}

describe('commands', () => {
  it('status answers the control status', async () => {
    const { client } = await setup();
    const c = await client();
    const status = await c.request('status');
    expect(status.master).toMatchObject({ pid: process.pid, state: 'running', size: 2, generation: 1, health: 'ok', restarting: false });
    expect(status.workers.map((w) => [w.id, w.state, w.generation])).toEqual([
      [1, 'online.ready', 1],
      [2, 'online.ready', 1],
    ]);
    expect(status.workers[0]).toEqual(
      expect.objectContaining({ pid: expect.any(Number), slot: 0, restarts: 0, connections: 0, memory: 30_000_000, uptime: expect.any(Number) }),
    );
    c.close();
  });

  it('set-size grows and shrinks, waiting until the size is reached', async () => {
    const { client, drive } = await setup();
    const c = await client();
    await expect(drive(c.request('set-size', { size: 4 }))).resolves.toEqual({ size: 4, live: 4, ready: 4 });
    await expect(drive(c.request('set-size', { size: 1 }))).resolves.toEqual({ size: 1, live: 1, ready: 1 });
    const cpus = await drive(c.request('set-size', { size: 'cpus' }));
    expect(cpus.size).toBeGreaterThanOrEqual(1);
    c.close();
  });

  it('set-size without wait answers once accepted', async () => {
    const { client, control } = await setup();
    const c = await client();
    const result = await c.request('set-size', { size: 3, wait: false });
    expect(result).toMatchObject({ size: 3 });
    expect(control.actor.getSnapshot().context.size).toBe(3);
    c.close();
  });

  it('add and remove are relative, one by default', async () => {
    const { client, drive } = await setup();
    const c = await client();
    await expect(drive(c.request('add'))).resolves.toMatchObject({ size: 3, ready: 3 });
    await expect(drive(c.request('add', { n: 2 }))).resolves.toMatchObject({ size: 5, ready: 5 });
    await expect(drive(c.request('remove', { n: 3 }))).resolves.toMatchObject({ size: 2, live: 2 });
    await expect(drive(c.request('remove'))).resolves.toMatchObject({ size: 1, live: 1 });
    c.close();
  });

  it('restart with wait streams progress and answers a summary', async () => {
    const { client, drive } = await setup({ size: 3 });
    const c = await client();
    const progress: Array<[number, number]> = [];
    const result = await drive(c.request('restart', { wait: true }, { onProgress: (p) => progress.push([p.replaced, p.total]) }));
    expect(result).toMatchObject({ generation: 2, replaced: 3, total: 3, waited: true });
    expect(result.duration).toEqual(expect.any(Number));
    expect(progress).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    const status = await c.request('status');
    expect(status.workers.map((w) => w.generation)).toEqual([2, 2, 2]);
    c.close();
  });

  it('restart with wait says so when the new workers crash-loop, then goes on when they stop crashing', async () => {
    let crashing = true;
    const { client, drive } = await setup({ size: 2 }, {}, ({ generation }) => (generation > 1 && crashing ? { exitAtStart: true } : {}));
    const c = await client();
    const progress: Array<{ replaced: number; danger?: { delay: number } }> = [];
    const result = drive(
      c.request('restart', { wait: true }, {
        onProgress: (p) => {
          progress.push(p);
          // Fixed after the second backoff: the restart completes.
          if (progress.filter((line) => line.danger !== undefined).length === 2) crashing = false;
        },
      }),
    );
    await expect(result).resolves.toMatchObject({ generation: 2, replaced: 2, total: 2, waited: true });
    const dangers = progress.filter((p) => p.danger !== undefined);
    expect(dangers.length).toBeGreaterThanOrEqual(2);
    expect(dangers[0]).toEqual({ replaced: 0, total: 2, danger: { delay: expect.any(Number) } });
    expect(dangers[1]!.danger!.delay).toBeGreaterThan(dangers[0]!.danger!.delay);
    expect(progress.at(-1)).toEqual({ replaced: 2, total: 2 });
    c.close();
  });

  it('restart with wait on a control that fails meanwhile answers CC_ERR_CONTROL_FAILED, and leaves no error unhandled', async () => {
    const { client, drive, sim, control } = await setup({ size: 2 });
    // The second replacement's fork throws: the control fails while the reply follows its steps.
    const fork = sim.fork.bind(sim);
    let forks = 0;
    sim.fork = (request) => {
      if (++forks === 2) throw new Error('port fork failed');
      fork(request);
    };
    control.on('error', () => {});
    const c = await client();
    const progress: Array<[number, number]> = [];
    await expect(drive(c.request('restart', { wait: true }, { onProgress: (p) => progress.push([p.replaced, p.total]) }))).rejects.toMatchObject({
      code: 'CC_ERR_CONTROL_FAILED',
    });
    expect(progress[0]).toEqual([0, 2]);
    // A report of the failure as unhandled would come on a later turn.
    await new Promise((resolve) => setImmediate(resolve));
    c.close();
  });

  it('a restart --wait that a later restart joined answers the generation it ended at', async () => {
    const { client, drive } = await setup({ size: 2 });
    const c = await client();
    const first = c.request('restart', { wait: true });
    await expect(c.request('restart')).resolves.toMatchObject({ generation: 3 });
    await expect(drive(first)).resolves.toMatchObject({ generation: 3, waited: true });
    c.close();
  });

  it('restart with wait says which old workers outlived shutdownTimeout', async () => {
    const { client, drive } = await setup({ size: 2 }, {}, ({ id }) => (id === 1 ? { ignoreDisconnect: true } : {}));
    const c = await client();
    await expect(drive(c.request('restart', { wait: true }))).resolves.toMatchObject({ generation: 2, waited: true, terminated: [1], killed: [] });
    c.close();
  });

  it('restart without wait answers at once', async () => {
    const { client, control } = await setup();
    const c = await client();
    await expect(c.request('restart')).resolves.toEqual({ generation: 2, replaced: 0, total: 2, waited: false, duration: null, terminated: [], killed: [] });
    expect(control.actor.getSnapshot().context.generation).toBe(2);
    c.close();
  });

  it('without wait, restart, set-size and add on a stopped control still answer its refusal', async () => {
    const { client, drive } = await setup();
    const c = await client();
    await drive(c.request('stop', {}));
    await expect(c.request('restart')).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_NOT_RUNNING' });
    await expect(c.request('set-size', { size: 3, wait: false })).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_NOT_RUNNING' });
    await expect(c.request('add', { wait: false })).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_NOT_RUNNING' });
    c.close();
  });

  it('shutdown and terminate target ids or all, and refuse unknown ids before acting', async () => {
    const { client, drive, sim } = await setup({ size: 3 });
    const c = await client();
    await expect(drive(c.request('shutdown', { ids: [2] }))).resolves.toEqual({ ids: [2], terminated: [], killed: [] });
    await expect(drive(c.request('terminate', { ids: [1, 3, 1] }))).resolves.toEqual({ ids: [1, 3], terminated: [], killed: [] });
    const signals = sim.calls.filter((call) => call.call === 'signal').map((call) => call.id);
    expect(signals.sort()).toEqual([1, 3]);
    await expect(c.request('terminate', { ids: [4, 999] })).rejects.toMatchObject({ code: 'CC_ERR_WORKER_UNKNOWN' });
    const live = (await c.request('status')).workers.map((w) => w.id);
    expect(live).toHaveLength(3);
    await expect(drive(c.request('shutdown', { ids: 'all' }))).resolves.toEqual({ ids: live, terminated: [], killed: [] });
    await expect(drive(c.request('terminate'))).resolves.toMatchObject({ ids: expect.any(Array) });
    c.close();
  });

  it('shutdown says which workers outlived its timeouts: SIGTERM, then SIGKILL', async () => {
    // Worker 1 ignores the disconnect, worker 2 the SIGTERM too; worker 3 leaves in time.
    const { client, drive } = await setup({ size: 3 }, {}, ({ id }) => (id === 1 ? { ignoreDisconnect: true } : id === 2 ? { ignoreDisconnect: true, ignoreTerm: true } : {}));
    const c = await client();
    await expect(drive(c.request('shutdown', { ids: [1, 2, 3] }))).resolves.toEqual({ ids: [1, 2, 3], terminated: [1, 2], killed: [2] });
    await expect(drive(c.request('terminate', { ids: 'all' }))).resolves.toMatchObject({ terminated: [] });
    c.close();
  });

  it('stop says which workers outlived its timeouts; a forced stop\'s SIGTERM is its own, not an escalation', async () => {
    const stubborn = ({ id }: { id: number }) => (id === 1 ? { ignoreDisconnect: true } : id === 2 ? { ignoreDisconnect: true, ignoreTerm: true } : {});
    const graceful = await setup({ size: 3 }, {}, stubborn);
    const c = await graceful.client();
    await expect(graceful.drive(c.request('stop'))).resolves.toEqual({ stopped: true, force: false, ids: [1, 2, 3], terminated: [1, 2], killed: [2] });
    c.close();
    const forced = await setup({ size: 3 }, {}, stubborn);
    const f = await forced.client();
    await expect(forced.drive(f.request('stop', { force: true }))).resolves.toEqual({ stopped: true, force: true, ids: [1, 2, 3], terminated: [], killed: [2] });
    f.close();
  });

  it('a graceful stop overtaken by a forced one names no worker as outliving shutdownTimeout: the SIGTERMs were the forced stop\'s', async () => {
    const { client, drive, sim, control } = await setup({ size: 2, shutdownTimeout: 30_000 }, {}, () => ({ ignoreDisconnect: true }));
    const graceful = await client();
    const forced = await client();
    const stopping = new Promise((resolve) => control.on('stop', resolve));
    const first = graceful.request('stop');
    first.catch(() => {});
    await stopping;
    sim.clock.advance(1_000);
    await expect(drive(forced.request('stop', { force: true }))).resolves.toMatchObject({ force: true, terminated: [] });
    await expect(drive(first)).resolves.toEqual({ stopped: true, force: false, ids: [1, 2], terminated: [], killed: [] });
    graceful.close();
    forced.close();
  });

  it('stop stops the control; later commands get the control error', async () => {
    const { client, drive, control } = await setup();
    const c = await client();
    await expect(drive(c.request('stop', { force: true }))).resolves.toEqual({ stopped: true, force: true, ids: [1, 2], terminated: [], killed: [] });
    expect(control.actor.getSnapshot().matches('stopped')).toBe(true);
    await expect(c.request('add')).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_NOT_RUNNING' });
    await expect(c.request('restart', { wait: true })).rejects.toMatchObject({ code: 'CC_ERR_CONTROL_NOT_RUNNING' });
    c.close();
  });

  it('events acknowledges, streams every event until the client closes', async () => {
    const { client, drive, server } = await setup();
    const c = await client();
    const events: Array<{ type: string }> = [];
    await expect(c.request('events', {}, { onEvent: (e) => events.push(e) })).resolves.toEqual({ subscribed: true });
    const other = await client();
    await drive(other.request('add'));
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['setSize', 'fork', 'online', 'listening', 'ready', 'transition']));
    const transition = events.find((e) => e.type === 'transition') as unknown as { worker: { id: number }; from: string | null; to: string };
    expect(transition).toMatchObject({ worker: { id: 3 }, from: null, to: 'starting' });
    c.close();
    await c.closed;
    const seen = events.length;
    await drive(other.request('remove'));
    expect(events.length).toBe(seen);
    other.close();
    await other.closed;
    await within(
      (async () => {
        while (server.connections() > 0) await new Promise((r) => setImmediate(r));
      })(),
      2_000,
      'connections to close',
    );
  });
});

describe('bad input', () => {
  const code = (line: Record<string, unknown>) => (line.error as { code: string } | undefined)?.code;

  it('answers every malformed line with a coded error and keeps the connection', async () => {
    const { raw } = await setup();
    const r = await raw();
    r.send('not json\n');
    r.send('[1,2]\n');
    r.send('{"id":7,"cmd":42}\n');
    r.send('{"id":8,"cmd":"status","extra":1}\n');
    r.send('{"id":9,"cmd":"explode"}\n');
    r.send('{"id":10,"cmd":"set-size","args":{"size":-1}}\n');
    r.send('{"id":11,"cmd":"set-size","args":{"size":"many"}}\n');
    r.send('{"id":12,"cmd":"terminate","args":{"ids":[]}}\n');
    r.send('{"id":13,"cmd":"stop","args":{"force":"yes"}}\n');
    r.send('{"id":14,"cmd":"status","args":{"verbose":true}}\n');
    r.send('{"id":{"nested":1},"cmd":"__proto__"}\n');
    r.send('{"id":15,"cmd":"toString"}\n');
    r.send(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a]));
    r.send('\n   \n');
    r.send('{"id":"last","cmd":"status"}\n');
    const lines = await r.read(14);
    expect(lines.map((l) => [l.id, code(l)])).toEqual([
      [null, 'CC_ERR_SERVER_BAD_JSON'],
      [null, 'CC_ERR_SERVER_BAD_REQUEST'],
      [7, 'CC_ERR_SERVER_BAD_REQUEST'],
      [8, 'CC_ERR_SERVER_BAD_REQUEST'],
      [9, 'CC_ERR_SERVER_UNKNOWN_COMMAND'],
      [10, 'CC_ERR_SERVER_BAD_ARGS'],
      [11, 'CC_ERR_SERVER_BAD_ARGS'],
      [12, 'CC_ERR_SERVER_BAD_ARGS'],
      [13, 'CC_ERR_SERVER_BAD_ARGS'],
      [14, 'CC_ERR_SERVER_BAD_ARGS'],
      [null, 'CC_ERR_SERVER_BAD_REQUEST'],
      [15, 'CC_ERR_SERVER_UNKNOWN_COMMAND'],
      [null, 'CC_ERR_SERVER_BAD_JSON'],
      ['last', undefined],
    ]);
    expect(lines.at(-1)).toMatchObject({ ok: true, result: { master: { state: 'running' } } });
    for (const line of lines.slice(0, -1)) expect((line.error as { message: string }).message).toEqual(expect.any(String));
  });

  it('discards a line over 64 KiB, even across chunks, and reads the next one', async () => {
    const { raw } = await setup();
    const r = await raw();
    const huge = `{"id":1,"cmd":"status","args":{"x":"${'a'.repeat(64 * 1024)}"}}`;
    r.send(huge.slice(0, 40_000));
    r.send(huge.slice(40_000));
    r.send('\n{"id":2,"cmd":"status"}\n');
    const exact = `{"id":3,"cmd":"status"${' '.repeat(64 * 1024 - 23)}}`;
    expect(Buffer.byteLength(exact)).toBe(64 * 1024);
    r.send(`${exact}\n`);
    const lines = await r.read(3);
    expect(lines[0]).toMatchObject({ id: null, ok: false, error: { code: 'CC_ERR_SERVER_LINE_TOO_LONG' } });
    expect(lines[1]).toMatchObject({ id: 2, ok: true });
    expect(lines[2]).toMatchObject({ id: 3, ok: true });
  });

  it('answers a last line without newline when the client ends its side', async () => {
    const { raw } = await setup();
    const r = await raw();
    r.socket.end('{"id":1,"cmd":"status"}');
    const [line] = await r.read(1);
    expect(line).toMatchObject({ id: 1, ok: true });
    await within(r.ended, 2_000, 'the server to end the connection');
  });

  it('refuses requests over the in-flight limit with CC_ERR_SERVER_BUSY', async () => {
    const { raw, drive } = await setup({}, { maxPending: 2 });
    const r = await raw();
    r.send('{"id":1,"cmd":"set-size","args":{"size":3}}\n{"id":2,"cmd":"set-size","args":{"size":4}}\n{"id":3,"cmd":"status"}\n');
    const [busy] = await r.read(1);
    expect(busy).toMatchObject({ id: 3, ok: false, error: { code: 'CC_ERR_SERVER_BUSY' } });
    await drive(r.read(3));
    expect(r.lines.slice(1).map((l) => l.id).sort()).toEqual([1, 2]);
  });

  it('a bad client does not disturb another client mid-request', async () => {
    const { raw, client, drive } = await setup();
    const good = await client();
    const pending = good.request('set-size', { size: 5 });
    const bad = await raw();
    bad.send(Buffer.alloc(200_000, 0x7b));
    bad.send('\n');
    bad.socket.destroy();
    await expect(drive(pending)).resolves.toMatchObject({ size: 5, ready: 5 });
    good.close();
  });
});

describe('socket', () => {
  it('is created with mode 0600 and removed on close', async () => {
    const { path, server, control } = await setup();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path).isSocket()).toBe(true);
    await server.close();
    expect(existsSync(path)).toBe(false);
    expect(control.actor.getSnapshot().matches('running')).toBe(true);
  });

  it('replaces a stale socket file', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const path = join(dir, 's.sock');
    // A socket file whose server was SIGKILLed, so nothing removed it.
    const child = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(child.signal).toBe('SIGKILL');
    expect(statSync(path).isSocket()).toBe(true);
    const { control } = await setup();
    const server = await createControlServer(control, { path });
    cleanups.push(() => server.close());
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses a live socket and a path that is not a socket', async () => {
    const { path, control, dir } = await setup();
    await expect(createControlServer(control, { path })).rejects.toMatchObject({ code: 'CC_ERR_SERVER_IN_USE' });
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'keep me');
    await expect(createControlServer(control, { path: file })).rejects.toMatchObject({ code: 'CC_ERR_SERVER_PATH_TAKEN' });
    expect(existsSync(file)).toBe(true);
    await expect(createControlServer(control, { path: join(dir, 'x'.repeat(120)) })).rejects.toMatchObject({
      code: 'CC_ERR_SERVER_PATH_TOO_LONG',
    });
    await expect(createControlServer(control, { path: join(dir, 'missing', 'dir', 's.sock') })).rejects.toMatchObject({
      code: 'CC_ERR_SERVER_LISTEN',
    });
  });

  it('close answers requests in flight with CC_ERR_SERVER_CLOSING and ends streams', async () => {
    const { client, server, path } = await setup({}, {});
    const c = await client();
    const follower = await client();
    await follower.request('events', {}, { onEvent: () => {} });
    const waiting = c.request('set-size', { size: 9 });
    waiting.catch(() => {});
    // Replies to one connection's requests are read in order: once status answers, set-size is in flight.
    await c.request('status');
    await server.close();
    await expect(waiting).rejects.toMatchObject({ code: 'CC_ERR_SERVER_CLOSING' });
    await within(Promise.all([c.closed, follower.closed]), 2_000, 'clients to be disconnected');
    expect(existsSync(path)).toBe(false);
  });
});
