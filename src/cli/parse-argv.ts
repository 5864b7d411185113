/**
 * `parseArgv()`: argv (without `node` and the script) → what to do, as data. No I/O, no
 * `process`, no defaults from configuration: those are merged later by `config.ts`. Usage
 * mistakes throw coded errors (`CC_ERR_CLI_*`, or `CC_ERR_OPTION_INVALID` for a value that
 * cannot be read), which the CLI turns into exit status 2.
 */
import { didYouMean } from '../closest-name.js';
import { type DiagramFormat, type DiagramName, defaultDiagramFormat, defaultDiagramName, diagramFormats, diagramNames } from '../diagrams/choices.js';
import { createError } from '../errors.js';
import { MAX_SIZE, type ReadyOn, type SettingsInput, sizeExpected } from '../options.js';
import {
  type CommandName,
  type OptionName,
  type OptionKind,
  type OptionSpec,
  commandNames,
  commandSpecs,
  globalOptions,
  options,
  settingOptions,
} from './options.js';

/** Flags of `run` that configuration files and the environment may also set. */
export interface RunFlags {
  settings: SettingsInput;
  control?: string;
  env?: Record<string, string>;
  /** Node options of every worker, after the control's own (`--node-arg`). */
  nodeArgs?: string[];
  /** Prefix each line of the workers' output with their id (`--log-prefix`). */
  logPrefix?: boolean;
  /** A port, or true for the default port. */
  dashboard?: number | true;
  dashboardHost?: string;
}

interface Remote {
  control?: string;
  json: boolean;
}

export type Invocation =
  | { command: 'help'; topic: CommandName | null }
  | { command: 'version' }
  | { command: 'run'; script: string; args: string[]; flags: RunFlags; inspect: boolean; quiet: boolean }
  | ({ command: 'status' } & Remote)
  | ({ command: 'restart'; wait: boolean } & Remote)
  | ({ command: 'set-size'; size: number | 'cpus'; wait: boolean } & Remote)
  | ({ command: 'add' | 'remove'; n: number; wait: boolean } & Remote)
  | ({ command: 'shutdown' | 'terminate'; ids: number[] | 'all' } & Remote)
  | ({ command: 'stop'; force: boolean } & Remote)
  | ({ command: 'events' } & Remote)
  | { command: 'diagram'; machine: DiagramName; format: DiagramFormat };

type Values = Partial<Record<OptionName, string | true | string[]>>;

interface Tokens {
  positionals: string[];
  values: Values;
  /** Everything after `--`. */
  rest: string[] | null;
  /** Positionals (by index) that came right after a flag whose value is optional (`--dashboard abc`). */
  afterOptional: Map<number, OptionName>;
}

export function parseArgv(argv: readonly string[]): Invocation {
  const [first, ...tail] = argv;
  if (first === undefined) return { command: 'help', topic: null };
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = tail[0];
    if (topic === undefined || topic === 'help') return { command: 'help', topic: null };
    if (!isCommand(topic)) throw unknownCommand(topic);
    return { command: 'help', topic };
  }
  if (first === '--version' || first === '-v') return { command: 'version' };
  if (!isCommand(first)) throw unknownCommand(first, tail);

  const tokens = tokenize(first, tail);
  if (tokens.values.help === true) return { command: 'help', topic: first };
  if (tokens.values.version === true) return { command: 'version' };
  return builders[first](tokens);
}

/** The commands of PM2 (and words of other supervisors) a newcomer types, and ours for them. */
const commandsOfOtherTools: Readonly<Record<string, CommandName>> = {
  start: 'run',
  reload: 'restart',
  scale: 'set-size',
  ls: 'status',
  list: 'status',
  ps: 'status',
  delete: 'stop',
  kill: 'stop',
  logs: 'events',
};

function unknownCommand(name: string, rest: readonly string[] = []) {
  return createError('CC_ERR_CLI_UNKNOWN_COMMAND', { command: JSON.stringify(name), hint: commandHint(name, rest) });
}

/** What `name` was meant as: an option typed before a command (`rest` holds it), another tool's command, or a typo. */
function commandHint(name: string, rest: readonly string[]): string {
  if (name.startsWith('-')) {
    const command = rest.find(isCommand);
    if (command === undefined) return '';
    return ` (options go after the command: clusterchart ${[command, name, ...rest.filter((word) => word !== command)].join(' ')})`;
  }
  if (Object.hasOwn(commandsOfOtherTools, name)) return ` (did you mean ${commandsOfOtherTools[name]}?)`;
  return didYouMean(name, commandNames);
}

function isCommand(name: string): name is CommandName {
  return (commandNames as string[]).includes(name);
}

/** Splits argv into positionals, option values (checked against the command) and the rest. */
function tokenize(command: CommandName, argv: readonly string[]): Tokens {
  const allowed = [...commandSpecs[command].options, ...globalOptions] as OptionName[];
  const byFlag = new Map<string, OptionName>();
  for (const name of allowed) {
    const spec: OptionSpec = options[name];
    byFlag.set(`--${spec.flag}`, name);
    if (spec.short !== undefined) byFlag.set(`-${spec.short}`, name);
  }
  const takesRest = 'rest' in commandSpecs[command];
  const tokens: Tokens = { positionals: [], values: {}, rest: null, afterOptional: new Map() };
  // A flag of this command, or any `--word`, where a value should be is a value left out
  // (`-e --control x.sock`), not the value.
  const isFlag = (arg: string) => arg === '--' || arg.startsWith('--') || byFlag.has(arg);

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      if (!takesRest) throw createError('CC_ERR_CLI_BAD_ARGUMENT', { command, reason: '`--` is only for `run`' });
      tokens.rest = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      tokens.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq !== -1 ? arg.slice(eq + 1) : undefined;
    const name = byFlag.get(flag);
    if (name === undefined) {
      // After run's script, a flag no option resembles is most likely the app's own.
      const script = takesRest ? tokens.positionals[0] : undefined;
      const hint =
        didYouMean(flag, [...byFlag.keys()].filter((known) => known.startsWith('--'))) ||
        (script === undefined ? '' : ` (the app's own arguments go after --, as in \`clusterchart run ${script} -- ${argv.slice(i).join(' ')}\`)`);
      throw createError('CC_ERR_CLI_UNKNOWN_OPTION', { option: flag, command, hint });
    }
    const spec: OptionSpec = options[name];
    let value: string | true;
    if (spec.kind === 'boolean') {
      if (inline !== undefined) throw createError('CC_ERR_CLI_BAD_ARGUMENT', { command, reason: `${flag} takes no value` });
      value = true;
    } else if (inline !== undefined) {
      value = inline;
    } else if (spec.optionalValue === true) {
      // Anything numeric is the value (and checked as one: `--dashboard -1`); a word may be
      // the script (`--dashboard app.js`), which the command's builder sorts out.
      const next = argv[i + 1];
      if (next !== undefined && /^[-+]?\.?\d/.test(next)) {
        value = next;
        i++;
      } else {
        value = true;
        if (next !== undefined && !next.startsWith('-')) tokens.afterOptional.set(tokens.positionals.length, name);
      }
    } else {
      const next = argv[i + 1];
      if (next === undefined || isFlag(next)) throw createError('CC_ERR_CLI_MISSING_VALUE', { option: `--${spec.flag}`, value: spec.value ?? 'a value' });
      value = next;
      i++;
    }
    const previous = tokens.values[name];
    if (spec.repeatable === true) {
      tokens.values[name] = [...(Array.isArray(previous) ? previous : []), String(value)];
    } else {
      if (previous !== undefined && spec.kind !== 'boolean') {
        throw createError('CC_ERR_CLI_BAD_ARGUMENT', { command, reason: `${flag} given twice` });
      }
      tokens.values[name] = value;
    }
  }
  return tokens;
}

const flagOf = (name: OptionName) => `--${options[name].flag}`;
const has = (values: Values, name: OptionName) => values[name] === true;
const text = (values: Values, name: OptionName) => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};

function noPositionals(command: CommandName, tokens: Tokens, max = 0) {
  if (tokens.positionals.length > max) {
    throw createError('CC_ERR_CLI_BAD_ARGUMENT', { command, reason: `unexpected argument ${JSON.stringify(tokens.positionals[max])}` });
  }
}

function remote(tokens: Tokens): Remote {
  const control = text(tokens.values, 'control');
  // Checked as `run` checks it: `--control ""` is a usage mistake, not an unreachable control.
  if (control !== undefined) readValue(options.control, control, '--control');
  return { json: has(tokens.values, 'json'), ...(control === undefined ? {} : { control }) };
}

/** A whole number ≥ 0 written as one. */
function wholeNumber(command: CommandName, what: string, raw: string): number {
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw createError('CC_ERR_CLI_BAD_ARGUMENT', { command, reason: `${what} must be a whole number ≥ 0, got ${JSON.stringify(raw)}` });
  }
  return Number(raw);
}

/**
 * A size or count as the control takes it (0 to MAX_SIZE), said in the words the control
 * and the server use, so a size is refused the same way however far out of range it is.
 */
function upToMaxSize(command: CommandName, raw: string, expected: string): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n <= MAX_SIZE)) {
    const what = command === 'set-size' ? 'the size' : 'the count';
    const hint = command === 'set-size' ? didYouMean(raw, ['cpus']) : '';
    throw createError('CC_ERR_CLI_BAD_ARGUMENT', { command, reason: `${what} must be ${expected}, got ${JSON.stringify(raw)}${hint}` });
  }
  return n;
}

/**
 * Words after the script: the app's arguments go after `--`, so a word there is a mistake.
 * One right after `--dashboard` was meant as its port; when the script itself came right
 * after it, the message says that it was read as the script.
 */
function strayAfterScript(script: string, extra: readonly string[], tokens: Tokens): never {
  for (const [index, name] of tokens.afterOptional) {
    if (index > 0) readValue(options[name], tokens.positionals[index]!, flagOf(name));
  }
  const rest = [...extra, ...(tokens.rest ?? [])].map((arg) => (/^[\w./:=@%+,-]+$/.test(arg) ? arg : JSON.stringify(arg)));
  const before = tokens.afterOptional.get(0);
  const note = before === undefined ? '' : ` (${flagOf(before)} takes only a number, so ${JSON.stringify(script)} was read as the script)`;
  throw createError('CC_ERR_CLI_BAD_ARGUMENT', {
    command: 'run',
    reason: `unexpected argument ${JSON.stringify(extra[0])} after the script${note}; the app's own arguments go after --, as in \`clusterchart run ${script} -- ${rest.join(' ')}\``,
  });
}

const builders: { readonly [C in CommandName]: (tokens: Tokens) => Invocation } = {
  run(tokens) {
    const [script, ...extra] = tokens.positionals;
    if (script === undefined) throw createError('CC_ERR_CLI_BAD_ARGUMENT', { command: 'run', reason: 'the script to run is missing' });
    if (extra.length > 0) strayAfterScript(script, extra, tokens);
    return {
      command: 'run',
      script,
      args: tokens.rest ?? [],
      flags: runFlags(tokens.values),
      inspect: has(tokens.values, 'inspect'),
      quiet: has(tokens.values, 'quiet'),
    };
  },
  status(tokens) {
    noPositionals('status', tokens);
    return { command: 'status', ...remote(tokens) };
  },
  restart(tokens) {
    noPositionals('restart', tokens);
    return { command: 'restart', wait: has(tokens.values, 'wait'), ...remote(tokens) };
  },
  'set-size'(tokens) {
    noPositionals('set-size', tokens, 1);
    const [raw] = tokens.positionals;
    if (raw === undefined) throw createError('CC_ERR_CLI_BAD_ARGUMENT', { command: 'set-size', reason: `the size is missing (${sizeExpected})` });
    const size = raw === 'cpus' ? 'cpus' : upToMaxSize('set-size', raw, sizeExpected);
    return { command: 'set-size', size, wait: !has(tokens.values, 'noWait'), ...remote(tokens) };
  },
  add: (tokens) => relative('add', tokens),
  remove: (tokens) => relative('remove', tokens),
  shutdown: (tokens) => targets('shutdown', tokens),
  terminate: (tokens) => targets('terminate', tokens),
  stop(tokens) {
    noPositionals('stop', tokens);
    return { command: 'stop', force: has(tokens.values, 'force'), ...remote(tokens) };
  },
  events(tokens) {
    noPositionals('events', tokens);
    return { command: 'events', ...remote(tokens) };
  },
  diagram(tokens) {
    noPositionals('diagram', tokens, 1);
    const [machine = defaultDiagramName] = tokens.positionals;
    const format = text(tokens.values, 'format') ?? defaultDiagramFormat;
    return { command: 'diagram', machine: oneOf(machine, diagramNames, 'the machine'), format: oneOf(format, diagramFormats, '--format') };
  },
};

/** `typed` if it is one of `names`; else a usage error of `diagram` that lists them, with the one obviously meant. */
function oneOf<N extends string>(typed: string, names: readonly N[], what: string): N {
  if ((names as readonly string[]).includes(typed)) return typed as N;
  throw createError('CC_ERR_CLI_BAD_ARGUMENT', { command: 'diagram', reason: `${what} is ${listed(names)}, got ${JSON.stringify(typed)}${didYouMean(typed, names)}` });
}

/** `a, b or c`. */
const listed = (names: readonly string[]) => `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;

function relative(command: 'add' | 'remove', tokens: Tokens): Invocation {
  noPositionals(command, tokens, 1);
  const [raw] = tokens.positionals;
  const n = raw === undefined ? 1 : upToMaxSize(command, raw, `a whole number from 0 to ${MAX_SIZE}`);
  return { command, n, wait: !has(tokens.values, 'noWait'), ...remote(tokens) };
}

function targets(command: 'shutdown' | 'terminate', tokens: Tokens): Invocation {
  const { positionals } = tokens;
  // Every worker at once is an outage: said in full, never a default (PM2's stop wants a name too).
  if (positionals.length === 0) {
    throw createError('CC_ERR_CLI_BAD_ARGUMENT', { command, reason: `name the workers: ids (\`clusterchart status\` lists them), or \`all\`${command === 'shutdown' ? '; to replace every worker without a gap, `clusterchart restart`' : ''}` });
  }
  if (positionals.length === 1 && positionals[0] === 'all') return { command, ids: 'all', ...remote(tokens) };
  if (positionals.includes('all')) throw createError('CC_ERR_CLI_BAD_ARGUMENT', { command, reason: '`all` cannot be mixed with ids' });
  return { command, ids: positionals.map((raw) => wholeNumber(command, 'a worker id', raw)), ...remote(tokens) };
}

function runFlags(values: Values): RunFlags {
  const settings: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(settingOptions) as Array<[keyof SettingsInput, OptionSpec]>) {
    const raw = text(values, key);
    if (raw !== undefined) settings[key] = readValue(spec, raw, flagOf(key));
  }
  const flags: RunFlags = { settings: settings as SettingsInput };
  const control = text(values, 'control');
  if (control !== undefined) flags.control = readValue(options.control, control, '--control') as string;
  const env = values.env;
  if (Array.isArray(env)) flags.env = Object.fromEntries(env.map((pair) => readEnvPair(pair)));
  const nodeArgs = values.nodeArg;
  if (Array.isArray(nodeArgs)) flags.nodeArgs = nodeArgs.map(readNodeArg);
  if (has(values, 'logPrefix')) flags.logPrefix = true;
  const dashboard = values.dashboard;
  if (dashboard === true) flags.dashboard = true;
  else if (typeof dashboard === 'string') flags.dashboard = readValue(options.dashboard, dashboard, '--dashboard') as number;
  const host = text(values, 'dashboardHost');
  if (host !== undefined) flags.dashboardHost = host;
  return flags;
}

/** `KEY=VALUE` → [KEY, VALUE]. */
export function readEnvPair(pair: string): [string, string] {
  const eq = pair.indexOf('=');
  const key = eq === -1 ? pair : pair.slice(0, eq);
  if (eq === -1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    throw createError('CC_ERR_CLI_BAD_ARGUMENT', { command: 'run', reason: `--env takes KEY=VALUE, got ${JSON.stringify(pair)}` });
  }
  return [key, pair.slice(eq + 1)];
}

/** A Node option: `--expose-gc`, `--max-old-space-size=4096`; not the script's own arguments. */
export const isNodeOption = (arg: unknown): arg is string => typeof arg === 'string' && arg.startsWith('-');

function readNodeArg(arg: string): string {
  if (!isNodeOption(arg)) {
    throw createError('CC_ERR_CLI_BAD_ARGUMENT', { command: 'run', reason: `--node-arg takes a Node option such as --node-arg=--expose-gc, got ${JSON.stringify(arg)} (the app's own arguments go after --)` });
  }
  return arg;
}

const durationUnits: Record<string, number> = { '': 1, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
/** Binary units, as PM2's max_memory_restart reads them: 512M is 512 MiB. */
const byteUnits: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/**
 * An option's text (from a flag, an environment variable or a config file string) as the
 * value `normalizeSettings()` then checks. Text that is no value of the kind at all (`abc`
 * for a duration) is `CC_ERR_OPTION_INVALID` here, naming where it came from.
 */
export function readValue(spec: OptionSpec, raw: string, source: string): unknown {
  const bad = (expected: string, hint = '') =>
    createError('CC_ERR_OPTION_INVALID', { option: source, reason: `expected ${expected}, got ${JSON.stringify(raw)}${hint}` });
  return readers[spec.kind](raw.trim(), raw, bad);
}

type Reader = (trimmed: string, raw: string, bad: (expected: string, hint?: string) => Error) => unknown;
const infinite = (text: string) => /^\+?inf(inity)?$/i.test(text);
const number = /^-?\d+(\.\d+)?$/;

/** How each kind of option reads its text, in a lookup table. */
const readers: { readonly [K in OptionKind]: Reader } = {
  size: (text, _, bad) => {
    if (text === 'cpus') return 'cpus';
    if (!number.test(text)) throw bad(sizeExpected, didYouMean(text, ['cpus']));
    return Number(text);
  },
  duration: (text, _, bad) => {
    if (infinite(text)) return Infinity;
    const match = /^(-?\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text);
    if (match === null) throw bad('a duration such as 5000, 5000ms, 5s or 2m');
    return Number(match[1]) * durationUnits[match[2] ?? '']!;
  },
  bytes: (text, _, bad) => {
    const match = /^(-?\d+(?:\.\d+)?)\s*([kmg]?b?)$/i.exec(text);
    if (match === null) throw bad('a memory size such as 512M, 1.5G or 800000000 (bytes)');
    return Math.round(Number(match[1]) * byteUnits[match[2]!.toLowerCase()]!);
  },
  count: (text, _, bad) => {
    if (infinite(text)) return Infinity;
    if (!number.test(text)) throw bad('a whole number');
    return Number(text);
  },
  readyOn: (text) => text as ReadyOn,
  port: (text, _, bad) => {
    if (!/^\d+$/.test(text) || Number(text) > 65_535) throw bad('a port number 0–65535');
    return Number(text);
  },
  path: (text, raw, bad) => {
    if (text === '') throw bad('a path');
    return raw;
  },
  string: (_, raw) => raw,
  env: (_, raw) => raw,
  boolean: (_, raw) => raw,
  format: (_, raw) => raw,
};

