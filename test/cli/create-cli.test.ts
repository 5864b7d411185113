/**
 * createCli() in this process, against sockets the test serves itself:
 * - a socket that accepts but never answers ends every remote command, the waiting ones
 *   (stop, shutdown, terminate, set-size, add, remove, restart --wait) included, with exit 3
 *   after 10 s naming the command, never a hang (fake timers: no real 10 s);
 * - a socket that answers lines that are not the protocol is no control: exit 3, said so;
 * - a command that changes something is sent only once the control answered a `status`, and
 *   one sent but not answered in time says it may still be carried out;
 * - restart --wait on a control in crash-loop backoff forks at once, then prints each backoff
 *   of the new version as it comes, and its progress as the new version's ready workers out
 *   of the size (a control on the simulated cluster);
 * - the control's refusals name the command the user typed (`clusterchart set-size 0`), not the
 *   library's method (`setSize(0)`);
 * - a diagram name or format mistyped is a one-line usage error naming the one meant.
 */
import { type Server, type Socket, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCli } from '../../src/cli/create-cli.js';
import { exitStatus, exitStatusOf } from '../../src/cli/exit-status.js';
import { createError } from '../../src/errors.js';
import { simulatedServer, tempDir } from '../server/helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A CLI whose output is kept (and shown to `onStdout` as it comes), with no CLUSTERCHART_* from the host. */
function cliIn(cwd: string, onStdout: (text: string) => void = () => {}) {
  const output = { stdout: '', stderr: '' };
  const stdout = (text: string) => {
    output.stdout += text;
    onStdout(text);
  };
  const cli = createCli({ cwd, env: {}, stdout, stderr: (text) => (output.stderr += text) });
  return { cli, output };
}

/** A socket server the test controls: `onLine` sees every line a client sends. */
async function socketServer(onLine: (socket: Socket, line: string) => void) {
  const { dir, remove } = tempDir();
  const path = join(dir, 'c.sock');
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let rest = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf('\n')) !== -1) {
        onLine(socket, rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    remove();
  });
  return { dir, path };
}

describe('a socket that accepts but never answers', () => {
  const commands = ['stop', 'stop --force', 'shutdown 1', 'terminate all', 'set-size 2', 'set-size 2 --no-wait', 'add', 'remove', 'restart', 'restart --wait', 'status'];

  // A hang fails within 5 s of real time: the 10 s are fake.
  it.each(commands)('%s ends with exit 3 after 10 s, naming the command', { timeout: 5_000 }, async (command) => {
    const args = command.split(' ');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let heard!: () => void;
    const lineHeard = new Promise<void>((resolve) => (heard = resolve));
    const sent: string[] = [];
    const { dir, path } = await socketServer((_, line) => {
      sent.push((JSON.parse(line) as { cmd: string }).cmd);
      heard();
    });
    const { cli, output } = cliIn(dir);
    let code: number | undefined;
    const running = cli.run([...args, '--control', path]).then((c) => (code = c));
    await lineHeard;
    vi.advanceTimersByTime(9_999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(code).toBeUndefined();
    vi.advanceTimersByTime(1);
    await running;
    expect(code).toBe(exitStatus.unreachable);
    // Only a `status` went out: whatever changes something waits for the control to answer first.
    expect(sent).toEqual(['status']);
    expect(output.stderr).toBe(
      `clusterchart: The control at ${path} accepted the connection but did not answer ${args[0]} within 10000 ms${args[0] === 'status' ? '' : ' (it was not sent)'};` +
        ' it is busy (many workers booting at once on few cores) or its event loop is stuck: try again, and if it never answers, send it SIGTERM, or SIGKILL (its warden takes the workers down). [CC_ERR_CLI_NO_REPLY]\n',
    );
  });

  it('a change sent to a control that answered its status, then went quiet, may still be carried out: said so', { timeout: 5_000 }, async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let heard!: () => void;
    const changeHeard = new Promise<void>((resolve) => (heard = resolve));
    const { dir, path } = await socketServer((socket, line) => {
      const { id, cmd } = JSON.parse(line) as { id: number; cmd: string };
      if (cmd === 'status') socket.write(`${JSON.stringify({ id, ok: true, result: {} })}\n`);
      else heard();
    });
    const { cli, output } = cliIn(dir);
    const running = cli.run(['add', '--no-wait', '--control', path]);
    await changeHeard;
    vi.advanceTimersByTime(10_000);
    expect(await running).toBe(exitStatus.unreachable);
    expect(output.stderr).toMatch(/did not answer add within 10000 ms \(it was sent, and may still be carried out once the control answers again\); it is busy/);
  });
});

describe('a socket that does not speak the protocol', () => {
  it('is no clusterchart control: exit 3, and the message says so', async () => {
    const { dir, path } = await socketServer((socket) => socket.write('SSH-2.0-OpenSSH_9.6\r\n'));
    const { cli, output } = cliIn(dir);
    expect(await cli.run(['stop', '--control', path])).toBe(exitStatus.unreachable);
    expect(output.stderr).toBe(
      `clusterchart: The control at ${path} sent an invalid reply: a line that is not JSON; what listens there is not a clusterchart control. [CC_ERR_CLI_PROTOCOL]\n`,
    );
  });

  it('maps CC_ERR_CLI_PROTOCOL to exit 3, as the other codes of an unreachable control', () => {
    expect(exitStatusOf(createError('CC_ERR_CLI_PROTOCOL', { path: 'x', reason: 'y' }))).toBe(exitStatus.unreachable);
    expect(exitStatusOf(createError('CC_ERR_CLI_NO_REPLY'))).toBe(exitStatus.unreachable);
  });
});

describe('restart --wait on a crash-looping control', () => {
  it('forks at once (a restart ends the backoff), then prints every backoff of the new version until the restart is done', async () => {
    let crashing = false;
    const env = await simulatedServer({ size: 2, throttleDelay: 2_000, maxThrottleDelay: 8_000 }, {}, () => (crashing ? { exitAtStart: true } : {}));
    cleanups.push(() => env.cleanup());
    // Worker 1 crashes young, and so does its replacement: the control is in danger, backing off.
    crashing = true;
    env.sim.crash(1);
    expect((await env.drive(env.control.status())).master.health).toBe('danger');

    // Fixed once the restart has said it waits on a further backoff: the rollout then completes.
    const { cli, output } = cliIn(env.dir, (text) => {
      if (/forks held back/.test(text)) crashing = false;
    });
    const lines = () => output.stdout.trimEnd().split('\n');
    expect(await env.drive(cli.run(['restart', '--wait', '--control', env.path]))).toBe(exitStatus.ok);
    expect(output.stderr).toBe('');
    // Progress counts the new generation's ready workers out of the size (2), though one slot had no worker when the restart began.
    expect(lines()[0]).toBe('0/2 replaced');
    expect(lines().filter((line) => !line.includes('danger') && !line.startsWith('restarted'))).toEqual(['0/2 replaced', '1/2 replaced', '2/2 replaced']);
    expect(lines().filter((line) => /^0\/2 replaced; danger, crash loop: forks held back \d/.test(line)).length).toBeGreaterThanOrEqual(1);
    expect(lines().at(-1)).toMatch(/^restarted: 2 workers replaced in \S+ \(generation 2\)$/);
  });
});

describe("the control's refusals, as the CLI prints them", () => {
  it('name the command the user typed, not the method of the library: `clusterchart remove`, `clusterchart set-size 0`', async () => {
    const env = await simulatedServer({ size: 2 });
    cleanups.push(() => env.cleanup());
    /** Runs `args` against the control: the exit status, and the one line it prints. */
    const says = async (args: string[], code: number, line: string) => {
      const { cli, output } = cliIn(env.dir);
      expect({ code: await env.drive(cli.run([...args, '--control', env.path])), stderr: output.stderr }).toEqual({ code, stderr: line === '' ? '' : `clusterchart: ${line}\n` });
    };
    await says(['remove', '3'], exitStatus.usage, 'Invalid argument to `clusterchart remove`: cannot take 3 workers away from a size of 2 (`clusterchart set-size 0` stops them all). [CC_ERR_ARGUMENT_INVALID]');
    await says(['add', '1023'], exitStatus.usage, 'Invalid argument to `clusterchart add`: the size would be 1025, more than 1024. [CC_ERR_ARGUMENT_INVALID]');
    await says(['stop'], exitStatus.ok, '');
    await says(['set-size', '3'], exitStatus.failed, 'The control is stopped; `clusterchart set-size` needs it running. [CC_ERR_CONTROL_NOT_RUNNING]');
    await says(['restart', '--wait'], exitStatus.failed, 'The control is stopped; `clusterchart restart` needs it running. [CC_ERR_CONTROL_NOT_RUNNING]');
  });
});

describe('clusterchart diagram with a name or format it does not draw', () => {
  it.each([
    [['diagram', 'contrl'], 'the machine is worker or control, got "contrl" (did you mean control?)'],
    [['diagram', '--format', 'SVG'], '--format is mermaid, dot or svg, got "SVG" (did you mean svg?)'],
  ])('%j is a usage error in one line, naming the one meant, with no stack trace', async (argv, reason) => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const { cli, output } = cliIn(dir);
    expect(await cli.run(argv)).toBe(exitStatus.usage);
    expect(output).toEqual({ stdout: '', stderr: `clusterchart: Invalid argument for \`clusterchart diagram\`: ${reason}. [CC_ERR_CLI_BAD_ARGUMENT]\n` });
  });
});
