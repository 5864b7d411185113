/**
 * Every command and option of the `clusterchart` command, as typed data. The parser
 * (`parse-argv.ts`), `--help`, the configuration loader (`config.ts`) and `docs/cli.md` are
 * all made from these tables. Each supervision setting must have an entry (the mapped type
 * of `settingOptions` fails to compile otherwise).
 */
import { defaultDiagramFormat, defaultDiagramName, diagramFormats, diagramNames } from '../diagrams/choices.js';
import { MAX_SIZE, type SettingsInput, defaultSettings } from '../options.js';
import { defaultControlPath } from '../server/control-server.js';

/** The port `--dashboard` uses when given without one. */
export const defaultDashboardPort = 9464;
/** Where the dashboard listens unless told: loopback, so only this machine reaches it (createDashboard's own default too). */
export const defaultDashboardHost = '127.0.0.1';

/** How an option's text becomes a value. */
export type OptionKind =
  | 'boolean'
  | 'string'
  | 'path'
  | 'size'
  | 'duration'
  | 'bytes'
  | 'count'
  | 'readyOn'
  | 'env'
  | 'port'
  | 'format';

export interface OptionSpec {
  /** The long flag without its dashes. */
  readonly flag: string;
  readonly short?: string;
  readonly kind: OptionKind;
  /** Placeholder of the value in help; absent for boolean flags. */
  readonly value?: string;
  /** `--dashboard` and `--dashboard 9000` are both valid. */
  readonly optionalValue?: boolean;
  readonly repeatable?: boolean;
  readonly description: string;
  /** The default as shown in help and docs. */
  readonly default?: string;
  /** Key in package.json `"clusterchart"` and `clusterchart.config.json`; absent: flag only. */
  readonly configKey?: string;
  /** Environment variable; absent: not read from the environment. */
  readonly env?: string;
}

type SettingKey = keyof SettingsInput;

const env = (key: string) => `CLUSTERCHART_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
const ms = (key: keyof typeof defaultSettings) => {
  const value = defaultSettings[key];
  return value === Infinity ? 'Infinity' : `${String(value)} ms`;
};

const setting = (key: SettingKey, spec: Omit<OptionSpec, 'configKey' | 'env'>): OptionSpec => ({ ...spec, configKey: key, env: env(key) });

/** The supervision settings of `createControl()`, as flags, config keys and env vars. */
export const settingOptions: { readonly [K in SettingKey]-?: OptionSpec } = {
  size: setting('size', {
    flag: 'size',
    short: 's',
    kind: 'size',
    value: 'N|cpus',
    description: 'Number of workers to keep alive; `cpus` is os.availableParallelism().',
    default: 'cpus',
  }),
  readyOn: setting('readyOn', {
    flag: 'ready-on',
    kind: 'readyOn',
    value: 'listening|message|online',
    description: "When a worker counts as ready: its first `listening`, its `ready()` call from clusterchart/worker (or PM2's `process.send('ready')`), or `online`.",
    default: defaultSettings.readyOn,
  }),
  startupTimeout: setting('startupTimeout', {
    flag: 'startup-timeout',
    kind: 'duration',
    value: 'MS',
    description: 'Time from fork until ready before the worker is terminated as a startup failure.',
    default: ms('startupTimeout'),
  }),
  shutdownTimeout: setting('shutdownTimeout', {
    flag: 'shutdown-timeout',
    kind: 'duration',
    value: 'MS',
    description: 'Time a disconnecting worker may drain before SIGTERM.',
    default: ms('shutdownTimeout'),
  }),
  terminateTimeout: setting('terminateTimeout', {
    flag: 'terminate-timeout',
    kind: 'duration',
    value: 'MS',
    description: 'Time after SIGTERM before SIGKILL.',
    default: ms('terminateTimeout'),
  }),
  minRestartAge: setting('minRestartAge', {
    flag: 'min-restart-age',
    kind: 'duration',
    value: 'MS',
    description: 'An unexpected exit of a worker younger than this counts as a crash loop (danger); the loop ends once the workers forked after a backoff are this old and ready.',
    default: ms('minRestartAge'),
  }),
  throttleDelay: setting('throttleDelay', {
    flag: 'throttle-delay',
    kind: 'duration',
    value: 'MS',
    description: 'First fork delay in danger; doubles with every further crash.',
    default: ms('throttleDelay'),
  }),
  maxThrottleDelay: setting('maxThrottleDelay', {
    flag: 'max-throttle-delay',
    kind: 'duration',
    value: 'MS',
    description: 'Cap of the doubling fork delay.',
    default: ms('maxThrottleDelay'),
  }),
  restartConcurrency: setting('restartConcurrency', {
    flag: 'restart-concurrency',
    kind: 'count',
    value: 'N',
    description: 'Replacements started at once during a rolling restart (Infinity: all; each old worker still waits until its replacement is ready).',
    default: String(defaultSettings.restartConcurrency),
  }),
  restartProbation: setting('restartProbation', {
    flag: 'restart-probation',
    kind: 'duration',
    value: 'MS',
    description: 'Time the first replacement of a rollout (the canary) must stay up before the rollout goes on; 0 forks no canary.',
    default: ms('restartProbation'),
  }),
  restartYield: setting('restartYield', {
    flag: 'restart-yield',
    kind: 'count',
    value: 'N',
    description: "Added to the outgoing workers' nice value (0–19) when a restart begins, so that on a busy machine their replacements boot first; 0 leaves priorities alone.",
    default: String(defaultSettings.restartYield),
  }),
  maxRestarts: setting('maxRestarts', {
    flag: 'max-restarts',
    kind: 'count',
    value: 'N',
    description: 'Unexpected exits tolerated within --restart-window, and crashes in a row before --min-restart-age; one more gives up (exit status 1).',
    default: String(defaultSettings.maxRestarts),
  }),
  restartWindow: setting('restartWindow', {
    flag: 'restart-window',
    kind: 'duration',
    value: 'MS',
    description: 'Sliding window for --max-restarts.',
    default: ms('restartWindow'),
  }),
  maxMemory: setting('maxMemory', {
    flag: 'max-memory',
    kind: 'bytes',
    value: 'SIZE',
    description:
      "A ready worker whose memory (rss) exceeds this (512M, 1G: MiB, GiB) is replaced, as PM2's max_memory_restart reloads: the new one first, then it drains. Read every --memory-check-interval.",
    default: 'no limit',
  }),
  memoryCheckInterval: setting('memoryCheckInterval', {
    flag: 'memory-check-interval',
    kind: 'duration',
    value: 'MS',
    description: "Time between two readings of the workers' memory, with --max-memory.",
    default: ms('memoryCheckInterval'),
  }),
};

/** Options beyond the supervision settings. */
export const otherOptions = {
  control: {
    flag: 'control',
    short: 'c',
    kind: 'path',
    value: 'PATH',
    description: 'Path of the control socket.',
    default: defaultControlPath,
    configKey: 'control',
    env: 'CLUSTERCHART_CONTROL',
  },
  env: {
    flag: 'env',
    short: 'e',
    kind: 'env',
    value: 'KEY=VALUE',
    repeatable: true,
    description: 'Set an environment variable of every worker (repeatable). Config files take an object.',
    configKey: 'env',
  },
  nodeArg: {
    flag: 'node-arg',
    kind: 'string',
    value: 'ARG',
    repeatable: true,
    description:
      "A Node option of every worker (repeatable; write it with `=`: --node-arg=--expose-gc), after run's own; for those NODE_OPTIONS refuses. Config files take an array, `nodeArgs`.",
    configKey: 'nodeArgs',
  },
  dashboard: {
    flag: 'dashboard',
    kind: 'port',
    value: 'PORT',
    optionalValue: true,
    description:
      'Serve the live dashboard (diagrams, workers, /metrics, /healthz, /readyz) on this port (0 picks a free one). The variable also takes true/on/yes (port 9464) and false/off/no.',
    default: 'off; 9464 when given without a port',
    configKey: 'dashboard',
    env: 'CLUSTERCHART_DASHBOARD',
  },
  dashboardHost: {
    flag: 'dashboard-host',
    kind: 'string',
    value: 'HOST',
    description: 'Address the dashboard listens on.',
    default: defaultDashboardHost,
    configKey: 'dashboardHost',
    env: 'CLUSTERCHART_DASHBOARD_HOST',
  },
  logPrefix: {
    flag: 'log-prefix',
    kind: 'boolean',
    description:
      "Put `#<id> | ` before every line a worker writes through process.stdout and process.stderr (console too). The worker's agent does it, so nothing is copied through the control; what writes to the file descriptors itself (the worker's child processes, pino's default destination, Node's report of an uncaught exception) is not prefixed, and a line written in pieces may take in another worker's. The variable takes true/on/yes/1 and false/off/no/0.",
    default: 'off',
    configKey: 'logPrefix',
    env: 'CLUSTERCHART_LOG_PREFIX',
  },
  inspect: {
    flag: 'inspect',
    kind: 'boolean',
    description: 'Print every XState inspection event of the control and its workers (one JSON line each) to stderr.',
  },
  quiet: {
    flag: 'quiet',
    short: 'q',
    kind: 'boolean',
    description: 'Print only the summary, warnings and errors, not every worker transition (errors, a give-up and an abandoned restart go to stderr, the rest to stdout).',
  },
  json: {
    flag: 'json',
    kind: 'boolean',
    description: 'Print JSON (one value per line) instead of text; an error is also printed as `{"ok":false,"error":{"code":…,"message":…}}` on stdout.',
  },
  wait: {
    flag: 'wait',
    short: 'w',
    kind: 'boolean',
    description: 'Wait until the rolling restart is done, printing progress; exit 1 if it is abandoned (the new version crash-looped, the old workers keep serving). Ctrl-C ends the wait, not the restart.',
  },
  noWait: {
    flag: 'no-wait',
    kind: 'boolean',
    description: 'Answer as soon as the control accepted the new size, without waiting for it.',
  },
  force: {
    flag: 'force',
    short: 'f',
    kind: 'boolean',
    description: 'Terminate every worker at once (SIGTERM, then SIGKILL) instead of draining.',
  },
  format: {
    flag: 'format',
    kind: 'format',
    value: diagramFormats.join('|'),
    description: 'Output format of the diagram.',
    default: defaultDiagramFormat,
  },
  help: {
    flag: 'help',
    short: 'h',
    kind: 'boolean',
    description: 'Show help for the command.',
  },
  version: {
    flag: 'version',
    short: 'v',
    kind: 'boolean',
    description: 'Print the version of clusterchart.',
  },
} as const satisfies Record<string, OptionSpec>;

export const options = { ...settingOptions, ...otherOptions } as const;
export type OptionName = keyof typeof options;

export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
  readonly variadic?: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  readonly positionals: readonly PositionalSpec[];
  readonly options: readonly OptionName[];
  /** `run` takes the script's own arguments after `--`. */
  readonly rest?: string;
  readonly examples: readonly string[];
}

const settingNames = Object.keys(settingOptions) as SettingKey[];
const remote = ['control', 'json', 'help'] as const satisfies readonly OptionName[];

export const commandSpecs = {
  run: {
    name: 'run',
    summary: 'Run a script under clusterchart: keep its workers alive and serve the control socket.',
    description:
      'Forks the workers with the worker agent preloaded (so `status` shows connections and memory with no change to the app), ' +
      'serves the control socket, and prints one line per worker transition. SIGINT or SIGTERM stop the workers gracefully and ' +
      'exit 0 (a second one forces the stop); SIGHUP restarts them; giving up on a crash loop exits 1. Settings come from ' +
      'package.json "clusterchart", clusterchart.config.json, CLUSTERCHART_* variables and flags, later ones winning. ' +
      "The app's own arguments go after `--`; any other word after the script is a usage error.",
    positionals: [{ name: 'script', description: 'The worker script (the app).', required: true }],
    rest: 'args',
    options: [...settingNames, 'control', 'env', 'nodeArg', 'logPrefix', 'dashboard', 'dashboardHost', 'inspect', 'quiet', 'help'],
    examples: [
      'clusterchart run server.js --size 4',
      'clusterchart run server.js --size cpus --shutdown-timeout 10s --env PORT=8080 -- --verbose',
      'clusterchart run server.js --ready-on message --dashboard 9464',
    ],
  },
  status: {
    name: 'status',
    summary: 'Show the control and every worker: id, pid, slot, state, generation, uptime, restarts, connections, memory.',
    positionals: [],
    options: remote,
    examples: ['clusterchart status', 'clusterchart status --json'],
  },
  restart: {
    name: 'restart',
    summary: 'Replace every worker with a new generation, each old one once its replacement is ready, dropping no request.',
    positionals: [],
    options: ['wait', ...remote],
    examples: ['clusterchart restart', 'clusterchart restart --wait'],
  },
  'set-size': {
    name: 'set-size',
    summary: 'Set the number of workers; waits until it is reached and the workers it stopped are gone.',
    positionals: [{ name: 'size', description: `A whole number from 0 to ${MAX_SIZE}, or \`cpus\`.`, required: true }],
    options: ['noWait', ...remote],
    examples: ['clusterchart set-size 8', 'clusterchart set-size cpus'],
  },
  add: {
    name: 'add',
    summary: 'Add workers (default 1); waits until they are ready.',
    positionals: [{ name: 'n', description: 'How many workers to add (default 1).' }],
    options: ['noWait', ...remote],
    examples: ['clusterchart add', 'clusterchart add 2'],
  },
  remove: {
    name: 'remove',
    summary: 'Remove workers (default 1), shutting them down gracefully; waits until they are gone.',
    positionals: [{ name: 'n', description: 'How many workers to remove (default 1); more than the size is refused (set-size 0 stops them all).' }],
    options: ['noWait', ...remote],
    examples: ['clusterchart remove', 'clusterchart remove 2'],
  },
  shutdown: {
    name: 'shutdown',
    summary:
      'Shut workers down gracefully (disconnect, drain, then SIGTERM and SIGKILL on timeouts); the control replaces them. They leave at once, before their replacements serve: to replace every worker without a gap, use `restart`.',
    positionals: [{ name: 'id', description: 'Worker ids, or `all`.', variadic: true, required: true }],
    options: remote,
    examples: ['clusterchart shutdown 3', 'clusterchart shutdown all'],
  },
  terminate: {
    name: 'terminate',
    summary: 'Terminate workers (SIGTERM, then SIGKILL); the control replaces them.',
    positionals: [{ name: 'id', description: 'Worker ids, or `all`.', variadic: true, required: true }],
    options: remote,
    examples: ['clusterchart terminate 3 4', 'clusterchart terminate all'],
  },
  stop: {
    name: 'stop',
    summary: 'Stop every worker in parallel; `clusterchart run` then exits 0.',
    positionals: [],
    options: ['force', ...remote],
    examples: ['clusterchart stop', 'clusterchart stop --force'],
  },
  events: {
    name: 'events',
    summary: 'Follow the control: one line per worker transition (`#id[pid] from -> to`) and per control event. Ends when the control stops: exit 0, or 1 if it gave up.',
    positionals: [],
    options: remote,
    examples: ['clusterchart events', 'clusterchart events --json'],
  },
  diagram: {
    name: 'diagram',
    summary: 'Print the statechart of the worker or the control as Mermaid, DOT or SVG.',
    positionals: [{ name: 'machine', description: `${diagramNames.map((name) => `\`${name}\`${name === defaultDiagramName ? ' (default)' : ''}`).join(' or ')}.` }],
    options: ['format', 'help'],
    examples: ['clusterchart diagram control', 'clusterchart diagram worker --format svg > worker.svg'],
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof commandSpecs;
export const commandNames = Object.keys(commandSpecs) as CommandName[];

/** Options every command accepts and that appear only in the global help. */
export const globalOptions = ['help', 'version'] as const satisfies readonly OptionName[];

