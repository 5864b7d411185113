/**
 * Configuration of the `clusterchart` command, normalised once, at the edge. Four layers,
 * later ones winning: package.json `"clusterchart"`, `clusterchart.config.json`,
 * `CLUSTERCHART_*` environment variables, flags. Each layer is checked on its own with
 * `normalizeSettings()` (so a mistake names its source: a file, a variable or a flag, with
 * the same `CC_ERR_OPTION_INVALID` as `createControl()`), then the merged settings once more.
 * This is the only module of the CLI that reads `process.env` (the runtime reads only what
 * node:cluster passes on to the workers: their NODE_OPTIONS, in exec-check.ts).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { didYouMean } from '../closest-name.js';
import { ClusterchartError, createError } from '../errors.js';
import { type SettingsInput, type SupervisionSettings, describeValue, normalizeSettings, sizeExpected } from '../options.js';
import { readSwitch, workerEnv } from '../runtime/agent-protocol.js';
import { type OptionSpec, defaultDashboardHost, defaultDashboardPort, otherOptions, settingOptions } from './options.js';
import { type RunFlags, isNodeOption, readValue } from './parse-argv.js';

export interface ConfigSources {
  /** Where package.json and clusterchart.config.json are looked for. Default: the working directory. */
  cwd?: string;
  /** The environment to read `CLUSTERCHART_*` from. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Used for `size: 'cpus'`. Default: `os.availableParallelism()`. */
  cpus?: number;
}

/** Everything `clusterchart run` needs, validated and frozen. */
export interface RunConfig {
  readonly settings: SupervisionSettings;
  readonly control: string;
  /** Extra environment of every worker. */
  readonly env: Readonly<Record<string, string>>;
  /** Node options of every worker, after the control's own. */
  readonly nodeArgs: readonly string[];
  /** Prefix each line of the workers' output with their id. */
  readonly logPrefix: boolean;
  /** null: no dashboard. */
  readonly dashboard: { readonly port: number; readonly host: string } | null;
}

/** One layer, after reading, before merging. */
interface Layer {
  source: string;
  /** How an error names a setting of this layer: `--throttle-delay`, `CLUSTERCHART_SIZE`, `size (package.json "clusterchart")`. */
  nameOf: (key: keyof SettingsInput) => string;
  settings: SettingsInput;
  control?: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
  logPrefix?: boolean;
  dashboard?: number | true | false;
  dashboardHost?: string;
}

const configFileName = 'clusterchart.config.json';
const defaultControl = otherOptions.control.default;

const settingKeys = Object.keys(settingOptions) as Array<keyof SettingsInput>;
const extraKeys = ['control', 'env', 'nodeArgs', 'logPrefix', 'dashboard', 'dashboardHost'] as const;
const knownKeys: readonly string[] = [...settingKeys, ...extraKeys];

/** The environment variables clusterchart reads. */
const envNames: readonly string[] = [
  ...settingKeys.map((key) => settingOptions[key].env!),
  otherOptions.control.env,
  otherOptions.logPrefix.env,
  otherOptions.dashboard.env,
  otherOptions.dashboardHost.env,
];
/** The ones it gives every worker (a `clusterchart` started inside a worker sees them). */
const workerEnvNames: readonly string[] = Object.values(workerEnv);

/**
 * A `CLUSTERCHART_*` variable that is not one of clusterchart's is ignored; one that is
 * obviously a misspelling of one of them (`CLUSTERCHART_SIZ`) gets a warning, so the typo
 * does not go unnoticed. Others may be the app's own: no word about them.
 */
export function envWarnings(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  const warnings: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.toUpperCase().startsWith('CLUSTERCHART_') || envNames.includes(name) || workerEnvNames.includes(name)) continue;
    const hint = didYouMean(name, envNames);
    if (hint !== '') warnings.push(`${name} is not a clusterchart variable${hint}; it is ignored`);
  }
  return warnings;
}

/** The layers from files and the environment, in the order they apply. */
function readLayers(sources: ConfigSources): Layer[] {
  const cwd = sources.cwd ?? process.cwd();
  const env = sources.env ?? process.env;
  const layers: Layer[] = [];
  const pkg = readJson(join(cwd, 'package.json'), 'package.json');
  if (pkg !== undefined) {
    if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg)) {
      throw createError('CC_ERR_CONFIG_INVALID', { source: 'package.json', reason: 'it is not a JSON object' });
    }
    const section = (pkg as Record<string, unknown>).clusterchart;
    if (section !== undefined) layers.push(fileLayer(section, 'package.json "clusterchart"'));
  }
  const file = readJson(join(cwd, configFileName), configFileName);
  if (file !== undefined) layers.push(fileLayer(file, configFileName));
  layers.push(envLayer(env));
  return layers;
}

/** Parsed JSON of a file, or undefined when there is none. */
function readJson(path: string, source: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw createError('CC_ERR_CONFIG_READ', { source, reason: code ?? (error as Error).message }, error);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw createError('CC_ERR_CONFIG_INVALID', { source, reason: (error as Error).message }, error);
  }
}

function fileLayer(value: unknown, source: string): Layer {
  const invalid = (reason: string) => createError('CC_ERR_CONFIG_INVALID', { source, reason });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('expected an object of options');
  const layer: Layer = { source, nameOf: (key) => `${key} (${source})`, settings: {} };
  const settings: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!knownKeys.includes(key)) {
      throw createError('CC_ERR_CONFIG_UNKNOWN_KEY', { key: JSON.stringify(key), source, hint: didYouMean(key, knownKeys), known: knownKeys.join(', ') });
    }
    if (key === 'control') {
      if (typeof raw !== 'string' || raw === '') throw invalid('control must be a path (a string)');
      layer.control = raw;
    } else if (key === 'env') {
      layer.env = envObject(raw, invalid);
    } else if (key === 'nodeArgs') {
      if (!Array.isArray(raw) || !raw.every(isNodeOption)) {
        throw invalid('nodeArgs must be an array of Node options, such as ["--expose-gc", "--max-old-space-size=4096"]');
      }
      layer.nodeArgs = raw;
    } else if (key === 'logPrefix') {
      if (typeof raw !== 'boolean') throw invalid(`logPrefix must be true or false, got ${describeValue(raw)}`);
      layer.logPrefix = raw;
    } else if (key === 'dashboard') {
      if (typeof raw === 'boolean') layer.dashboard = raw;
      else layer.dashboard = portOf(raw, `${source}: dashboard`);
    } else if (key === 'dashboardHost') {
      if (typeof raw !== 'string' || raw === '') throw invalid('dashboardHost must be a host name or address');
      layer.dashboardHost = raw;
    } else if (key === 'size' && raw === null) {
      // null keeps whatever runs for createControl(); `run` starts from nothing, so it would mean no worker at all.
      throw createError('CC_ERR_OPTION_INVALID', {
        option: layer.nameOf('size'),
        reason: `expected ${sizeExpected}, got null (leave size out for the default, cpus)`,
      });
    } else {
      const spec: OptionSpec = settingOptions[key as keyof SettingsInput];
      // Strings such as "5s" or "cpus" read as flags do; other types go to normalizeSettings as they are.
      settings[key] = typeof raw === 'string' ? readValue(spec, raw, `${key} (${source})`) : raw;
    }
  }
  layer.settings = checkedEach(settings as SettingsInput, layer.nameOf);
  return layer;
}

function envObject(raw: unknown, invalid: (reason: string) => ClusterchartError): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('env must be an object of strings (numbers and booleans are written as strings)');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw invalid(`env.${name} must be a string (or a number or boolean, written as a string), got ${value === null ? 'null' : typeof value}`);
    }
    out[name] = String(value);
  }
  return out;
}

function portOf(raw: unknown, source: string): number {
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string') {
    throw createError('CC_ERR_OPTION_INVALID', { option: source, reason: `expected a port number 0–65535, got ${describeValue(raw)}` });
  }
  return readValue(otherOptions.dashboard, text, source) as number;
}

function envLayer(env: Readonly<Record<string, string | undefined>>): Layer {
  const layer: Layer = { source: 'the environment', nameOf: (key) => settingOptions[key].env!, settings: {} };
  const settings: Record<string, unknown> = {};
  for (const key of settingKeys) {
    const spec: OptionSpec = settingOptions[key];
    const raw = env[spec.env!];
    if (raw !== undefined && raw !== '') settings[key] = readValue(spec, raw, spec.env!);
  }
  const control = env[otherOptions.control.env];
  if (control !== undefined && control !== '') layer.control = control;
  const logPrefix = env[otherOptions.logPrefix.env];
  if (logPrefix !== undefined && logPrefix !== '') {
    layer.logPrefix = readSwitch(logPrefix);
    if (layer.logPrefix === undefined) {
      throw createError('CC_ERR_OPTION_INVALID', { option: otherOptions.logPrefix.env, reason: `expected true/on/yes/1 or false/off/no/0, got ${JSON.stringify(logPrefix)}` });
    }
  }
  const dashboard = env[otherOptions.dashboard.env];
  if (dashboard !== undefined && dashboard !== '') {
    // A number is a port, as with --dashboard (0 picks a free one: 1 and 0 are not switches
    // here); words switch it on or off.
    const on = /^\d+$/.test(dashboard) ? undefined : readSwitch(dashboard);
    layer.dashboard = on ?? portOf(dashboard, otherOptions.dashboard.env);
  }
  const host = env[otherOptions.dashboardHost.env];
  if (host !== undefined && host !== '') layer.dashboardHost = host;
  layer.settings = checkedEach(settings as SettingsInput, layer.nameOf);
  return layer;
}

function flagLayer(flags: RunFlags): Layer {
  const nameOf = (key: keyof SettingsInput) => `--${settingOptions[key].flag}`;
  return {
    source: 'flags',
    nameOf,
    settings: checkedEach(flags.settings, nameOf),
    ...(flags.control === undefined ? {} : { control: flags.control }),
    ...(flags.env === undefined ? {} : { env: flags.env }),
    ...(flags.nodeArgs === undefined ? {} : { nodeArgs: flags.nodeArgs }),
    ...(flags.logPrefix === undefined ? {} : { logPrefix: flags.logPrefix }),
    ...(flags.dashboard === undefined ? {} : { dashboard: flags.dashboard }),
    ...(flags.dashboardHost === undefined ? {} : { dashboardHost: flags.dashboardHost }),
  };
}

/**
 * Checks the values of one layer with `normalizeSettings()`, naming the layer in the
 * error. Rules between two settings (maxThrottleDelay ≥ throttleDelay) wait for the merge.
 */
function checkedEach(settings: SettingsInput, name: (key: keyof SettingsInput) => string): SettingsInput {
  const probe: SettingsInput = {
    ...settings,
    throttleDelay: settings.throttleDelay ?? 0,
    maxThrottleDelay: settings.maxThrottleDelay ?? Number.MAX_SAFE_INTEGER,
  };
  try {
    normalizeSettings(probe, 1);
  } catch (error) {
    if (error instanceof ClusterchartError && error.code === 'CC_ERR_OPTION_INVALID') {
      const option = String(error.details.option) as keyof SettingsInput;
      if (Object.hasOwn(settings, option)) {
        throw createError('CC_ERR_OPTION_INVALID', { option: name(option), reason: error.details.reason }, error);
      }
    }
    throw error;
  }
  return settings;
}

/** The control socket path for the commands that talk to a running control. */
export function resolveControlPath(flag: string | undefined, sources: ConfigSources = {}): string {
  if (flag !== undefined) return flag;
  const env = sources.env ?? process.env;
  const fromEnv = env[otherOptions.control.env];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  // Only the files' `control` keys matter here: a bad timeout must not keep `status` from working.
  const cwd = sources.cwd ?? process.cwd();
  let path: string = defaultControl;
  const pkg = readJson(join(cwd, 'package.json'), 'package.json') as { clusterchart?: { control?: unknown } } | undefined;
  const file = readJson(join(cwd, configFileName), configFileName) as { control?: unknown } | undefined;
  for (const [value, source] of [
    [typeof pkg === 'object' && pkg !== null ? pkg.clusterchart?.control : undefined, 'package.json "clusterchart"'],
    [typeof file === 'object' && file !== null ? file.control : undefined, configFileName],
  ] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') {
      throw createError('CC_ERR_CONFIG_INVALID', { source, reason: 'control must be a path (a string)' });
    }
    path = value;
  }
  return path;
}

/** Merges the four layers for `clusterchart run` and validates the result. */
export function resolveRunConfig(flags: RunFlags, sources: ConfigSources = {}): RunConfig {
  const layers = [...readLayers(sources), flagLayer(flags)];
  const merged: SettingsInput = { size: 'cpus' };
  let control: string = defaultControl;
  let env: Record<string, string> = {};
  let nodeArgs: readonly string[] = [];
  let logPrefix = false;
  let dashboard: number | boolean = false;
  let dashboardHost: string = defaultDashboardHost;
  /** The layer each setting's value came from, to name it in an error of the merged settings. */
  const from = new Map<string, Layer>();
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.settings)) {
      if (value === undefined) continue;
      (merged as Record<string, unknown>)[key] = value;
      from.set(key, layer);
    }
    if (layer.control !== undefined) control = layer.control;
    if (layer.env !== undefined) env = { ...env, ...layer.env };
    // A list, not a set of names: a later layer's replaces it.
    if (layer.nodeArgs !== undefined) nodeArgs = layer.nodeArgs;
    if (layer.logPrefix !== undefined) logPrefix = layer.logPrefix;
    if (layer.dashboard !== undefined) dashboard = layer.dashboard;
    if (layer.dashboardHost !== undefined) dashboardHost = layer.dashboardHost;
  }
  let settings: SupervisionSettings;
  try {
    settings = normalizeSettings(merged, sources.cpus ?? availableParallelism());
  } catch (error) {
    // A rule between settings (maxThrottleDelay ≥ throttleDelay) names the one to change by where it was set.
    const option = error instanceof ClusterchartError && error.code === 'CC_ERR_OPTION_INVALID' ? String(error.details.option) : '';
    const layer = from.get(option);
    if (layer === undefined) throw error;
    throw createError('CC_ERR_OPTION_INVALID', { option: layer.nameOf(option as keyof SettingsInput), reason: (error as ClusterchartError).details.reason }, error);
  }
  const port = dashboard === true ? defaultDashboardPort : dashboard === false ? null : dashboard;
  return Object.freeze({
    settings,
    control,
    env: Object.freeze(env),
    nodeArgs: Object.freeze([...nodeArgs]),
    logPrefix,
    dashboard: port === null ? null : Object.freeze({ port, host: dashboardHost }),
  });
}
