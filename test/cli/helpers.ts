import type { ControlStatus } from '../../src/runtime/create-control.js';
/**
 * Real `clusterchart` processes for CLI tests: `node dist/cli.js run …` as a child in its
 * own process group (so a failed test can SIGKILL the whole tree), its output read line by
 * line with bounded waits, and one-shot commands with their exit status and output.
 * No sleeps: every wait is for a line, an exit or a reply, and fails with what it saw.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const cliPath = join(root, 'dist', 'cli.js');
export const fixture = (name: string) => join(root, 'test', 'fixtures', 'cli', name);

export function requireBuild(): void {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` before the CLI tests`);
}

/** A temp folder with a short path (UNIX socket paths must stay under ~100 bytes). */
export function tempDir(prefix = 'cc-'): { dir: string; sock: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, sock: join(dir, 'c.sock'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Every process a test started, to kill in afterEach (pid → kill the group or just it). */
const started = new Map<number, { group: boolean }>();

export { isAlive } from '../helpers/processes.js';

/** SIGKILL every process (and process group) started through these helpers that still runs. */
export function killStarted(): void {
  for (const [pid, { group }] of started) {
    for (const target of group ? [-pid, pid] : [pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
  started.clear();
}

/** Rejects after `ms` with `message()` unless `promise` settles first. */
export function within<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${message()}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** One command to completion: `clusterchart <args>`. */
export function cli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number; bin?: readonly string[] } = {},
): Promise<Result> {
  const [exe, ...pre] = options.bin ?? [process.execPath, cliPath];
  const child = spawn(exe!, [...pre, ...args], {
    cwd: options.cwd ?? root,
    env: options.env ?? cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.set(child.pid!, { group: false });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Result>((resolve) =>
    child.on('close', (code, signal) => {
      started.delete(child.pid!);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return within(done, options.timeout ?? 20_000, () => `clusterchart ${args.join(' ')} to exit (stdout ${stdout}, stderr ${stderr})`);
}

/** The test's environment without CLUSTERCHART_* (so the host's settings never leak in). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CLUSTERCHART_')) env[key] = value;
  return { ...env, ...extra };
}

export interface RunProcess {
  child: ChildProcess;
  pid: number;
  sock: string;
  /** Every stdout line so far. */
  lines: string[];
  stderr(): string;
  /** Resolves with the first line (from the start) matching `pattern`, or fails after `ms`. */
  waitFor(pattern: RegExp, ms?: number, from?: number): Promise<string>;
  /** Resolves with the exit of the run process, or fails after `ms`. */
  exited(ms?: number): Promise<Result>;
  /** Worker pids seen in transition lines. */
  workerPids(): number[];
}

/** `clusterchart run <args>` in its own process group; resolves once it printed its summary. */
export async function startRun(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; sock: string; ready?: boolean; bin?: readonly string[] },
): Promise<RunProcess> {
  const [exe, ...pre] = options.bin ?? [process.execPath, cliPath];
  const child = spawn(exe!, [...pre, 'run', '--control', options.sock, ...args], {
    cwd: options.cwd ?? root,
    env: options.env ?? cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid!;
  started.set(pid, { group: true });
  const lines: string[] = [];
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  let exit: Result | null = null;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    let nl: number;
    while ((nl = stdout.indexOf('\n')) !== -1) {
      lines.push(stdout.slice(0, nl));
      stdout = stdout.slice(nl + 1);
    }
    for (const w of [...waiters]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const closed = new Promise<Result>((resolve) =>
    child.on('close', (code, signal) => {
      exit = { code, signal, stdout: lines.join('\n'), stderr };
      for (const w of [...waiters]) w();
      resolve(exit);
    }),
  );
  const describe = () => `run output:\n${lines.join('\n')}\nstderr:\n${stderr}`;

  const run: RunProcess = {
    child,
    pid,
    sock: options.sock,
    lines,
    stderr: () => stderr,
    waitFor(pattern, ms = 15_000, from = 0) {
      return within(
        new Promise<string>((resolve, reject) => {
          const check = () => {
            const line = lines.slice(from).find((l) => pattern.test(l));
            if (line !== undefined) {
              waiters.delete(check);
              resolve(line);
            } else if (exit !== null) {
              waiters.delete(check);
              reject(new Error(`run exited (${String(exit.code)}/${String(exit.signal)}) before printing ${String(pattern)}\n${describe()}`));
            }
          };
          waiters.add(check);
          check();
        }),
        ms,
        () => `a line matching ${String(pattern)}\n${describe()}`,
      );
    },
    exited(ms = 20_000) {
      return within(closed, ms, () => `the run process to exit\n${describe()}`);
    },
    workerPids() {
      const pids = new Set<number>();
      for (const line of lines) {
        const match = /^#\d+\[(\d+)\]/.exec(line);
        if (match !== null) pids.add(Number(match[1]));
      }
      return [...pids];
    },
  };
  await run.waitFor(/^clusterchart .*: supervising/);
  if (options.ready !== false) await run.waitFor(/^clusterchart: \d+ workers? ready/);
  closed.then(() => started.delete(pid));
  return run;
}

/** `status --json` prints exactly what `control.status()` returns. */
export type StatusJson = ControlStatus;

export async function status(sock: string): Promise<StatusJson> {
  const result = await cli(['status', '--json', '--control', sock]);
  if (result.code !== 0) throw new Error(`status failed (${String(result.code)}): ${result.stderr}`);
  return JSON.parse(result.stdout) as StatusJson;
}

/**
 * A command that keeps running (`events`): its stdout lines as they come. Resolves once it
 * is subscribed (it says so on stderr), so nothing after this call can be missed.
 */
export async function startFollower(args: readonly string[]) {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: root, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  started.set(child.pid!, { group: false });
  const lines: string[] = [];
  let rest = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf('\n')) !== -1) {
      lines.push(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
    for (const w of [...waiters]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const w of [...waiters]) w();
  });
  let exit: Result | null = null;
  const closed = new Promise<Result>((resolve) =>
    child.on('close', (code, signal) => {
      started.delete(child.pid!);
      exit = { code, signal, stdout: lines.join('\n'), stderr };
      for (const w of [...waiters]) w();
      resolve(exit);
    }),
  );
  const until = (check: () => boolean, what: string) =>
    within(
      new Promise<void>((resolve, reject) => {
        const test = () => {
          if (check()) {
            waiters.delete(test);
            resolve();
          } else if (exit !== null) {
            waiters.delete(test);
            reject(new Error(`the follower exited before ${what}; stdout: ${lines.join('\n')} stderr: ${stderr}`));
          }
        };
        waiters.add(test);
        test();
      }),
      15_000,
      () => `${what}; stdout: ${lines.join('\n')} stderr: ${stderr}`,
    );
  await until(() => /following/.test(stderr), 'the follower to subscribe');
  return {
    child,
    lines,
    waitFor: (pattern: RegExp) => until(() => lines.some((l) => pattern.test(l)), `a line matching ${String(pattern)}`),
    exited: () => within(closed, 15_000, () => `the follower to exit; stdout: ${lines.join('\n')} stderr: ${stderr}`),
  };
}
