/**
 * Options: declared once with their defaults, validated once at the edge, frozen. Nothing
 * below this module reads `process.env` or re-checks an option.
 */
import { didYouMean } from './closest-name.js';
import { createError } from './errors.js';

export type ReadyOn = 'listening' | 'message' | 'online';

/** How each worker is supervised: the part of the options the machines read. */
export interface SupervisionSettings {
  /** Target size; `null` keeps whatever is running (the size is then the live count). */
  readonly size: number | null;
  readonly readyOn: ReadyOn;
  /** ms from fork until ready before the worker is terminated as a startup failure. */
  readonly startupTimeout: number;
  /** ms a disconnecting worker may drain before SIGTERM. */
  readonly shutdownTimeout: number;
  /** ms after SIGTERM before SIGKILL. */
  readonly terminateTimeout: number;
  /** An unexpected exit younger than this (ms) counts as a crash loop (danger); the loop ends once the workers forked after a backoff are this old and ready. */
  readonly minRestartAge: number;
  /** First fork delay in danger (ms); doubles on every further crash. */
  readonly throttleDelay: number;
  /** Cap of the doubling fork delay (ms). */
  readonly maxThrottleDelay: number;
  /** Replacements started at once during a rolling restart (Infinity: all of them). */
  readonly restartConcurrency: number;
  /** ms the first replacement (the canary) must stay up before the rollout goes on; 0: no canary. */
  readonly restartProbation: number;
  /**
   * Added to the nice value of the outgoing generation's workers when a restart begins (0–19),
   * so that on a busy machine their replacements get the CPU to boot; 0 leaves priorities alone.
   */
  readonly restartYield: number;
  /** Unexpected exits tolerated within `restartWindow`; one more gives up. */
  readonly maxRestarts: number;
  /** Sliding window (ms) for `maxRestarts`. */
  readonly restartWindow: number;
  /**
   * A ready worker whose memory (rss: /proc on Linux, else its agent's report) exceeds this
   * many bytes is replaced (the new one first, then it drains; with no size set it is only
   * shut down); `null`: no limit. Outside Linux it needs the agent.
   */
  readonly maxMemory: number | null;
  /** ms between two readings of the workers' memory, while `maxMemory` is set. */
  readonly memoryCheckInterval: number;
}

export const defaultSettings: SupervisionSettings = Object.freeze({
  size: null,
  readyOn: 'listening',
  startupTimeout: 30_000,
  shutdownTimeout: 5_000,
  terminateTimeout: 5_000,
  minRestartAge: 2_000,
  throttleDelay: 500,
  maxThrottleDelay: 30_000,
  restartConcurrency: Infinity,
  restartProbation: 0,
  restartYield: 10,
  maxRestarts: 10,
  restartWindow: 60_000,
  maxMemory: null,
  memoryCheckInterval: 10_000,
});

/** What a caller may pass: every setting optional, and `size` may be `'cpus'`. */
export type SettingsInput = Partial<Omit<SupervisionSettings, 'size'>> & { size?: number | 'cpus' | null };

const durations = [
  'startupTimeout',
  'shutdownTimeout',
  'terminateTimeout',
  'minRestartAge',
  'throttleDelay',
  'maxThrottleDelay',
  'restartProbation',
  'restartWindow',
  'memoryCheckInterval',
] as const;

const readyOns: readonly ReadyOn[] = ['listening', 'message', 'online'];

function invalid(option: string, reason: string) {
  return createError('CC_ERR_OPTION_INVALID', { option, reason });
}

/**
 * The most workers one control keeps: a guard against a typo (`set-size 10000`) that would
 * fork thousands of processes in one step, with the control deaf to commands and signals
 * until the last fork returned.
 */
export const MAX_SIZE = 1024;

/** What a size must be, in the words of every error about one (the control's, the server's, the CLI's). */
export const sizeExpected = `a whole number from 0 to ${MAX_SIZE} or 'cpus'`;

/**
 * A whole number from 0 to MAX_SIZE, or 'cpus' (resolved to `cpus`), or null/undefined.
 * Anything else is refused with the error `refuse` makes (the size option's by default).
 */
function normalizeSize(size: unknown, cpus: number, refuse: (reason: string) => Error = (reason) => invalid('size', reason)): number | null {
  return size === undefined || size === null ? null : sizeOf(size, cpus, refuse);
}

/** A size to move to (setSize): a number of workers or `'cpus'`; no size at all is refused. */
export function sizeOf(size: unknown, cpus: number, refuse: (reason: string) => Error): number {
  if (size === 'cpus') return cpus;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > MAX_SIZE) {
    throw refuse(`expected ${sizeExpected}, got ${describeValue(size)}`);
  }
  return size;
}

/** Validates `input` against the declared settings and returns them frozen, defaults filled. */
export function normalizeSettings(input: SettingsInput = {}, cpus = 1): SupervisionSettings {
  const settings: Record<string, unknown> = { ...defaultSettings };
  settings.size = normalizeSize(input.size, cpus);
  for (const key of durations) {
    const value = input[key];
    if (value === undefined) continue;
    const infinite = key === 'restartWindow' || key === 'startupTimeout';
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!infinite && !Number.isFinite(value))) {
      throw invalid(key, `expected a duration in ms ≥ 0, got ${describeValue(value)}`);
    }
    // No worker is ready at its fork: 0 would terminate every one of them, a crash loop by design.
    if (key === 'startupTimeout' && value === 0) throw invalid(key, 'expected a duration in ms > 0 (or Infinity), got 0: no worker could get ready');
    // Each reading asks every worker over IPC.
    if (key === 'memoryCheckInterval' && value < 100) throw invalid(key, `expected a duration of at least 100 ms, got ${String(value)}`);
    settings[key] = value;
  }
  if (input.readyOn !== undefined) {
    if (!readyOns.includes(input.readyOn)) {
      throw invalid('readyOn', `expected one of ${readyOns.join(', ')}, got ${describeValue(input.readyOn)}`);
    }
    settings.readyOn = input.readyOn;
  }
  if (input.restartConcurrency !== undefined) {
    const n = input.restartConcurrency;
    if (typeof n !== 'number' || Number.isNaN(n) || n < 1 || (!Number.isInteger(n) && n !== Infinity)) {
      throw invalid('restartConcurrency', `expected a whole number ≥ 1 or Infinity, got ${describeValue(n)}`);
    }
    settings.restartConcurrency = n;
  }
  if (input.restartYield !== undefined) {
    const n = input.restartYield;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 19) {
      throw invalid('restartYield', `expected a whole number from 0 to 19 (a nice increment), got ${describeValue(n)}`);
    }
    settings.restartYield = n;
  }
  if (input.maxRestarts !== undefined) {
    const n = input.maxRestarts;
    if (typeof n !== 'number' || Number.isNaN(n) || n < 0 || (!Number.isInteger(n) && n !== Infinity)) {
      throw invalid('maxRestarts', `expected a whole number ≥ 0 or Infinity, got ${describeValue(n)}`);
    }
    settings.maxRestarts = n;
  }
  if (input.maxMemory !== undefined && input.maxMemory !== null) {
    const n = input.maxMemory;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
      throw invalid('maxMemory', `expected a number of bytes > 0, got ${describeValue(n)}`);
    }
    settings.maxMemory = n;
  }
  if ((settings.maxThrottleDelay as number) < (settings.throttleDelay as number)) {
    // The one given is to blame: a throttleDelay above the default cap, or a cap below the delay.
    if (input.maxThrottleDelay === undefined) {
      throw invalid(
        'throttleDelay',
        `expected at most maxThrottleDelay (${String(defaultSettings.maxThrottleDelay)} ms by default), got ${String(settings.throttleDelay)}; raise maxThrottleDelay too`,
      );
    }
    throw invalid('maxThrottleDelay', `must be ≥ throttleDelay (${String(settings.throttleDelay)})`);
  }
  return Object.freeze(settings) as unknown as SupervisionSettings;
}

/** The options of `createControl()` that are not settings: the runtime reads them, the machines never do. */
export const runtimeOptionNames = ['exec', 'args', 'execArgv', 'env', 'agent', 'signals', 'inspect', 'port', 'clock'] as const;

/** Every option `createControl()` knows: the settings (`size` among them) and the runtime options. */
export const optionNames: readonly string[] = Object.freeze([...Object.keys(defaultSettings), ...runtimeOptionNames]);

/** The methods of `ClusterPort` (src/runtime/cluster-port.ts); a type test keeps them equal. */
export const portMethods = ['fork', 'disconnect', 'signal', 'lowerPriority', 'send', 'adopt', 'stats', 'subscribe', 'killAll', 'close'] as const;

/** The methods of `Clock` (src/runtime/clock.ts); a type test keeps them equal. */
export const clockMethods = ['now', 'setTimeout', 'clearTimeout'] as const;

const observerMethods = ['next', 'error', 'complete'] as const;

/**
 * Checks what `normalizeSettings` does not: that `options` is an object of known options, and
 * the types of the runtime options. An option set to `undefined` counts as not given.
 */
export function checkControlOptions(options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid('options', `expected an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (optionNames.includes(key)) continue;
    const hint = didYouMean(key, optionNames);
    throw invalid(key, hint === '' ? `unknown option; known options: ${optionNames.join(', ')}` : `unknown option${hint}`);
  }
  const given = options as Partial<Record<(typeof runtimeOptionNames)[number], unknown>>;
  const { exec, args, execArgv, env, inspect } = given;
  if (exec !== undefined && (typeof exec !== 'string' || exec === '')) {
    throw invalid('exec', `expected the path of the worker script, got ${describeValue(exec)}`);
  }
  checkStrings('args', args);
  checkStrings('execArgv', execArgv);
  if (env !== undefined && typeof env !== 'function') checkEnv('env', env, 'an object of strings or a function (slot) => such an object');
  for (const key of ['agent', 'signals'] as const) {
    const value = given[key];
    if (value !== undefined && typeof value !== 'boolean') throw invalid(key, `expected true or false, got ${describeValue(value)}`);
  }
  if (inspect !== undefined && typeof inspect !== 'function' && !isObserver(inspect)) {
    throw invalid('inspect', `expected a function or an observer with next, error or complete, got ${describeValue(inspect)}`);
  }
  checkMethods('port', given.port, 'ClusterPort', portMethods);
  checkMethods('clock', given.clock, 'Clock', clockMethods);
}

function checkStrings(option: string, value: unknown) {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw invalid(option, `expected an array of strings, got ${describeValue(value)}`);
  const index = value.findIndex((item) => typeof item !== 'string');
  if (index !== -1) throw invalid(option, `expected an array of strings, got ${describeValue(value[index])} at index ${index}`);
}

function isObserver(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const observer = value as Record<string, unknown>;
  const given = observerMethods.filter((name) => observer[name] !== undefined);
  return given.length > 0 && given.every((name) => typeof observer[name] === 'function');
}

function checkMethods(option: string, value: unknown, type: string, methods: readonly string[]) {
  if (value === undefined) return;
  const expected = `expected a ${type} (an object with the methods ${methods.join(', ')})`;
  if (typeof value !== 'object' || value === null) throw invalid(option, `${expected}, got ${describeValue(value)}`);
  const missing = methods.filter((name) => typeof (value as Record<string, unknown>)[name] !== 'function');
  if (missing.length > 0) throw invalid(option, `${expected}, got an object without ${missing.join(', ')}`);
}

/**
 * Worker environment variables: an object of strings (undefined leaves one out). Numbers
 * and booleans are refused, not turned into strings: the worker would read `'true'`.
 * `option` names it in the error (`env`, or `env(2)` for what the function gave slot 2).
 */
export function checkEnv(option: string, env: unknown, expected = 'an object of strings'): asserts env is Record<string, string | undefined> {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) throw invalid(option, `expected ${expected}, got ${describeValue(env)}`);
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && typeof value !== 'string') throw invalid(option, `expected a string for ${name}, got ${describeValue(value)}`);
  }
}

/** A value as an error message shows it: strings quoted, objects by their type. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
