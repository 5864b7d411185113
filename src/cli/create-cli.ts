/**
 * `createCli()`: the `clusterchart` command as a factory. Each command parses its
 * arguments (`parseArgv`), calls a library factory (`createControl`, `createControlServer`,
 * `createControlClient`, `createDiagram`) and turns the error `code` into an exit status
 * (`exit-status.ts`). A user's mistake prints one line, never a stack trace.
 */
import { resolve } from 'node:path';
import type { InspectionEvent } from 'xstate';
import packageJson from '../../package.json' with { type: 'json' };
import { createError } from '../errors.js';
import { type Control, type ControlEventMap, createControl } from '../runtime/create-control.js';
import { logPrefixEnv } from '../runtime/agent-protocol.js';
import { didYouMeanScript, existsAsName } from '../runtime/exec-check.js';
import { type ControlClient, createControlClient } from '../server/control-client.js';
import { createControlServer } from '../server/control-server.js';
import type { CommandArgs, CommandName, CommandResults, RestartProgress, WireEvent } from '../server/protocol.js';
import { type ConfigSources, type RunConfig, envWarnings, resolveControlPath, resolveRunConfig } from './config.js';
import { exitStatus, exitStatusOf } from './exit-status.js';
import { formatDuration, formatEvent, formatProgress, formatRestart, formatSize, formatStatus, formatStop, formatStopped } from './format.js';
import { renderHelp } from './help.js';
import { type Invocation, parseArgv } from './parse-argv.js';

/** How long a command waits for the control's first answer (see `change`). */
const REPLY_TIMEOUT_MS = 10_000;

/** A request's `CC_ERR_CLI_NO_REPLY`, said of the command the user typed and whether its change went out. */
async function saying<T>(request: Promise<T>, details: { what: string; sent: string }): Promise<T> {
  try {
    return await request;
  } catch (error) {
    const { code, details: was } = error as { code?: unknown; details?: Record<string, unknown> };
    if (code !== 'CC_ERR_CLI_NO_REPLY') throw error;
    throw createError('CC_ERR_CLI_NO_REPLY', { ...was, ...details }, error);
  }
}

/**
 * A request that changes something. First a `status` on the same connection, bounded as
 * `status` itself is, tells a control that answers from one that cannot (its event loop stuck
 * or starved, or another program on the socket): exit 3 after REPLY_TIMEOUT_MS instead of a
 * hang, and the change is not sent, to be carried out when the control comes back after the
 * command failed. Then the change: one that does not wait for workers gets its answer within
 * REPLY_TIMEOUT_MS (unanswered, it was sent all the same: the error says so); one that waits,
 * as long as the drain or rollout takes (the protocol sends nothing before the result).
 */
async function change<C extends Exclude<CommandName, 'status' | 'events'>>(
  client: ControlClient,
  cmd: C,
  args: CommandArgs<C>,
  { wait, onProgress }: { wait: boolean; onProgress?: (progress: RestartProgress) => void },
): Promise<CommandResults[C]> {
  await saying(client.request('status', {}, { timeout: REPLY_TIMEOUT_MS }), { what: cmd, sent: ' (it was not sent)' });
  const handlers = { ...(onProgress === undefined ? {} : { onProgress }), ...(wait ? {} : { timeout: REPLY_TIMEOUT_MS }) };
  return saying(client.request(cmd, args, handlers), { what: cmd, sent: ' (it was sent, and may still be carried out once the control answers again)' });
}

/** A reply that is not the protocol: whatever listens on the socket is no clusterchart control (exit 3). */
function notAControl(error: unknown): unknown {
  const { code, details } = (error ?? {}) as { code?: unknown; details?: Record<string, unknown> };
  if (code !== 'CC_ERR_CLI_PROTOCOL' || typeof details?.reason !== 'string') return error;
  return createError('CC_ERR_CLI_PROTOCOL', { ...details, reason: `${details.reason}; what listens there is not a clusterchart control` }, error);
}

export const version: string = packageJson.version;

export interface CliIo {
  /** Writes text to standard output (the text carries its own newlines). */
  stdout(text: string): void;
  stderr(text: string): void;
  /** Working directory for the script, package.json and clusterchart.config.json. */
  cwd?: string;
  /** Environment for `CLUSTERCHART_*`; default `process.env` (read in config.ts). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface Cli {
  /** Runs one invocation; resolves with the exit status. */
  run(argv: readonly string[]): Promise<number>;
}

type RemoteInvocation = Extract<Invocation, { json: boolean }>;
/** The invocation of one remote command (`add` and `remove` share a shape). */
type RemoteOf<C extends RemoteInvocation['command']> = RemoteInvocation extends infer I ? (I extends { command: infer K } ? (C extends K ? I : never) : never) : never;
type Out = { line(text: string): void; json(value: unknown): void; err(text: string): void };

export function createCli(io: CliIo): Cli {
  const cwd = io.cwd ?? process.cwd();
  const sources: ConfigSources = { cwd, ...(io.env === undefined ? {} : { env: io.env }) };
  const out: Out = {
    line: (text) => io.stdout(`${text}\n`),
    json: (value) => io.stdout(`${JSON.stringify(value)}\n`),
    err: (text) => io.stderr(`${text}\n`),
  };

  /** The commands that need no running control, in a lookup table. */
  const localHandlers: { [C in Exclude<Invocation['command'], RemoteInvocation['command']>]: (inv: Extract<Invocation, { command: C }>) => Promise<number> } = {
    help: async (inv) => {
      io.stdout(renderHelp(inv.topic, version));
      return exitStatus.ok;
    },
    version: async () => {
      out.line(version);
      return exitStatus.ok;
    },
    run: (inv) => runCommand(inv),
    diagram: (inv) => diagramCommand(inv),
  };

  /** `shutdown` and `terminate`: once the workers have exited, which ones and what it took. */
  async function stopWorkers(client: ControlClient, inv: RemoteOf<'shutdown' | 'terminate'>, verb: string): Promise<number> {
    const result = await change(client, inv.command, { ids: inv.ids }, { wait: true });
    if (inv.json) out.json(result);
    else out.line(formatStopped(verb, result));
    return exitStatus.ok;
  }

  /**
   * What each command that talks to a running control does, in a lookup table; those that
   * change something go through `change`.
   */
  const remoteHandlers: { [C in RemoteInvocation['command']]: (client: ControlClient, inv: RemoteOf<C>) => Promise<number> } = {
    async status(client, inv) {
      const status = await client.request('status', {}, { timeout: REPLY_TIMEOUT_MS });
      if (inv.json) out.json(status);
      else out.line(formatStatus(status, Date.now()));
      return exitStatus.ok;
    },
    async restart(client, inv) {
      const onProgress = (progress: RestartProgress) => (inv.json ? out.json({ progress }) : out.line(formatProgress(progress)));
      const result = await change(client, 'restart', { wait: inv.wait }, { wait: inv.wait, onProgress });
      if (inv.json) out.json(result);
      else out.line(formatRestart(result));
      return exitStatus.ok;
    },
    async 'set-size'(client, inv) {
      const result = await change(client, 'set-size', { size: inv.size, wait: inv.wait }, inv);
      if (inv.json) out.json(result);
      else out.line(formatSize(result));
      return exitStatus.ok;
    },
    async add(client, inv) {
      const result = await change(client, 'add', { n: inv.n, wait: inv.wait }, inv);
      if (inv.json) out.json(result);
      else out.line(formatSize(result));
      return exitStatus.ok;
    },
    async remove(client, inv) {
      const result = await change(client, 'remove', { n: inv.n, wait: inv.wait }, inv);
      if (inv.json) out.json(result);
      else out.line(formatSize(result));
      return exitStatus.ok;
    },
    shutdown: (client, inv) => stopWorkers(client, inv, 'shut down'),
    terminate: (client, inv) => stopWorkers(client, inv, 'terminated'),
    async stop(client, inv) {
      // Drains may take long: only the control's first answer is bounded.
      const result = await change(client, 'stop', { force: inv.force }, { wait: true });
      if (inv.json) out.json(result);
      else out.line(formatStop(result));
      return exitStatus.ok;
    },
    async events(client, inv) {
      let stopped: Extract<WireEvent, { type: 'stopped' }> | undefined;
      const onEvent = (event: WireEvent) => {
        if (event.type === 'stopped') stopped = event;
        if (inv.json) return out.json(event);
        const text = formatEvent(event);
        if (text !== null) out.line(text);
      };
      await client.request('events', {}, { onEvent, timeout: REPLY_TIMEOUT_MS });
      out.err(`clusterchart: following ${client.path} (Ctrl-C to end)`);
      await client.closed;
      // The control went away: normal after it stopped (a failure if it gave up, as `run` then
      // exits 1), otherwise it is no longer reachable.
      if (stopped !== undefined) return stopped.reason === 'giveup' ? exitStatus.failed : exitStatus.ok;
      throw createError('CC_ERR_CLI_CONNECTION_LOST', { path: client.path, what: 'events' });
    },
  };

  return {
    async run(argv) {
      let invocation: Invocation | undefined;
      try {
        invocation = parseArgv(argv);
        return await execute(invocation);
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        if (typeof code === 'string' && code.startsWith('CC_')) {
          out.err(`clusterchart: ${(error as Error).message} [${code}]`);
          if (invocation !== undefined && 'json' in invocation && invocation.json) {
            out.json({ ok: false, error: { code, message: (error as Error).message } });
          }
          return exitStatusOf(error);
        }
        out.err(`clusterchart: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        return exitStatus.failed;
      }
    },
  };

  async function execute(invocation: Invocation): Promise<number> {
    const local = localHandlers[invocation.command as keyof typeof localHandlers] as ((inv: Invocation) => Promise<number>) | undefined;
    return local === undefined ? remoteCommand(invocation as RemoteInvocation) : local(invocation);
  }

  async function diagramCommand(invocation: Extract<Invocation, { command: 'diagram' }>): Promise<number> {
    const { createDiagram, diagramMachines } = await import('../diagrams/index.js');
    const { machine, dot } = diagramMachines[invocation.machine];
    const text = await createDiagram(machine, { format: invocation.format, ...dot });
    io.stdout(text.endsWith('\n') ? text : `${text}\n`);
    return exitStatus.ok;
  }

  /** Misspelled `CLUSTERCHART_*` variables, said once before a command that reads them. */
  function warnAboutEnv() {
    for (const warning of envWarnings(sources.env)) out.err(`clusterchart: warning: ${warning}`);
  }

  async function remoteCommand(invocation: RemoteInvocation): Promise<number> {
    warnAboutEnv();
    const path = resolveControlPath(invocation.control, sources);
    const client = await createControlClient({ path });
    try {
      return await remoteHandlers[invocation.command](client, invocation as never);
    } catch (error) {
      throw notAControl(error);
    } finally {
      client.close();
    }
  }

  async function runCommand(invocation: Extract<Invocation, { command: 'run' }>): Promise<number> {
    warnAboutEnv();
    const config = resolveRunConfig(invocation.flags, sources);
    const script = resolve(cwd, invocation.script);
    // Nothing by that name at all; anything else (a directory, a name Node completes with .js,
    // one a loader would) is createControl()'s to judge as Node would resolve it.
    if (!existsAsName(script)) {
      throw createError('CC_ERR_CLI_SCRIPT_NOT_FOUND', { script: invocation.script, path: script, hint: didYouMeanScript(script) });
    }
    const control = createControl({
      ...config.settings,
      exec: script,
      args: invocation.args,
      // The agent reads the switch in each worker (log-prefix.ts).
      env: config.logPrefix ? { ...config.env, [logPrefixEnv]: 'true' } : config.env,
      // node:cluster's default, with the --node-arg options after it.
      execArgv: [...process.execArgv, ...config.nodeArgs],
      agent: true,
      signals: true,
      ...(invocation.inspect ? { inspect: (event: InspectionEvent) => out.err(inspectionLine(event)) } : {}),
    });
    const closers: Array<() => Promise<void>> = [];
    let dashboardUrl: string | null = null;
    try {
      const server = await createControlServer(control, { path: config.control });
      closers.push(() => server.close());
      if (config.dashboard !== null) {
        const dashboard = await openDashboard(control, config.dashboard);
        closers.unshift(() => dashboard.close());
        dashboardUrl = dashboard.url;
      }
    } catch (error) {
      for (const close of closers) await close();
      control.close();
      throw error;
    }
    return supervise(control, async () => {
      for (const close of closers) await close();
    }, config, invocation, dashboardUrl);
  }

  async function openDashboard(control: Control, { port, host }: { port: number; host: string }) {
    const { createDashboard } = await import('../inspect/index.js');
    try {
      return await createDashboard(control, { port, host });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && code.startsWith('CC_')) throw error;
      if (code === 'EADDRINUSE') throw createError('CC_ERR_DASHBOARD_PORT_IN_USE', { port, host }, error);
      throw createError('CC_ERR_SERVER_LISTEN', { path: `${host}:${port} (dashboard)`, reason: code ?? (error as Error).message }, error);
    }
  }

  async function supervise(
    control: Control,
    closeAll: () => Promise<void>,
    config: RunConfig,
    invocation: Extract<Invocation, { command: 'run' }>,
    dashboardUrl: string | null,
  ): Promise<number> {
    const show = (event: ControlEventMap[keyof ControlEventMap]) => {
      const text = formatEvent(event.type === 'error' ? { type: 'error', error: { code: codeOf(event.error), message: event.error.message } } : event);
      if (text === null) return;
      // What failed goes to stderr too, so `run app.js > app.log` still says why it exits 1.
      if (event.type === 'error' || event.type === 'giveup' || event.type === 'restartAbandoned') out.err(text);
      else out.line(text);
    };
    if (!invocation.quiet) control.on('transition', show);
    for (const type of ['startRestart', 'restart', 'restartAbandoned', 'danger', 'safe', 'memoryLimit', 'giveup', 'stop', 'exit', 'error'] as const) control.on(type, show);

    // Said as it happens: after a give-up, the signal binding exits 1 as soon as the stop is done.
    const stopped = new Promise<ControlEventMap['stopped']>((resolve) =>
      control.once('stopped', (end) => {
        if (end.reason === 'giveup') out.err('clusterchart: stopped after giving up');
        else out.line('clusterchart: stopped');
        resolve(end);
      }),
    );
    const size = config.settings.size;
    out.line(
      `clusterchart ${version}: supervising ${invocation.script} with ${size ?? 'the running'} worker${size === 1 ? '' : 's'}` +
        ` · control ${config.control} · pid ${process.pid}`,
    );
    if (dashboardUrl !== null) out.line(`clusterchart: dashboard at ${dashboardUrl}`);
    const started = Date.now();
    control.start().then(
      () => out.line(`clusterchart: ${size ?? 0} worker${size === 1 ? '' : 's'} ready in ${formatDuration(Date.now() - started)}`),
      () => {},
    );
    const end = await stopped;
    await closeAll();
    control.close();
    return end.reason === 'giveup' ? exitStatus.failed : exitStatus.ok;
  }
}

/** The control's actor is `control`, a worker's `worker-3`. */
const actorName = (ref: { sessionId: string }) => (ref as { id?: string }).id ?? ref.sessionId;

function codeOf(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'ERROR';
}

/** An XState inspection event as one JSON line, without the actor objects it refers to. */
function inspectionLine(event: InspectionEvent): string {
  const base = { type: event.type, actor: actorName(event.actorRef) };
  const detail =
    event.type === '@xstate.event'
      ? { event: event.event, source: event.sourceRef === undefined ? null : actorName(event.sourceRef) }
      : event.type === '@xstate.snapshot'
        ? { value: (event.snapshot as { value?: unknown }).value ?? null, status: (event.snapshot as { status?: unknown }).status ?? null }
        : event.type === '@xstate.action'
          ? { action: event.action.type }
          : {};
  try {
    return JSON.stringify({ ...base, ...detail }, (_, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : typeof value === 'object' && value !== null && 'sessionId' in value ? `actor:${String((value as { id?: unknown }).id)}` : value,
    );
  } catch {
    return JSON.stringify(base);
  }
}
