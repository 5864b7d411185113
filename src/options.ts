/**
 * Options: declared once with their defaults, validated once at the edge, frozen. Nothing
 * below this module reads `process.env` or re-checks an option.
 */
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
  /** An unexpected exit younger than this (ms) counts as a crash loop (danger). */
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
] as const;

const readyOns: readonly ReadyOn[] = ['listening', 'message', 'online'];

function invalid(option: string, reason: string) {
  return createError('CC_ERR_OPTION_INVALID', { option, reason });
}

/** A whole number ≥ 0, or 'cpus' (resolved to `cpus`), or null/undefined. */
export function normalizeSize(size: unknown, cpus: number): number | null {
  if (size === undefined || size === null) return null;
  if (size === 'cpus') return cpus;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
    throw invalid('size', `expected a whole number ≥ 0 or 'cpus', got ${describe(size)}`);
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
      throw invalid(key, `expected a duration in ms ≥ 0, got ${describe(value)}`);
    }
    settings[key] = value;
  }
  if (input.readyOn !== undefined) {
    if (!readyOns.includes(input.readyOn)) {
      throw invalid('readyOn', `expected one of ${readyOns.join(', ')}, got ${describe(input.readyOn)}`);
    }
    settings.readyOn = input.readyOn;
  }
  if (input.restartConcurrency !== undefined) {
    const n = input.restartConcurrency;
    if (typeof n !== 'number' || Number.isNaN(n) || n < 1 || (!Number.isInteger(n) && n !== Infinity)) {
      throw invalid('restartConcurrency', `expected a whole number ≥ 1 or Infinity, got ${describe(n)}`);
    }
    settings.restartConcurrency = n;
  }
  if (input.restartYield !== undefined) {
    const n = input.restartYield;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 19) {
      throw invalid('restartYield', `expected a whole number from 0 to 19 (a nice increment), got ${describe(n)}`);
    }
    settings.restartYield = n;
  }
  if (input.maxRestarts !== undefined) {
    const n = input.maxRestarts;
    if (typeof n !== 'number' || Number.isNaN(n) || n < 0 || (!Number.isInteger(n) && n !== Infinity)) {
      throw invalid('maxRestarts', `expected a whole number ≥ 0 or Infinity, got ${describe(n)}`);
    }
    settings.maxRestarts = n;
  }
  if ((settings.maxThrottleDelay as number) < (settings.throttleDelay as number)) {
    throw invalid('maxThrottleDelay', `must be ≥ throttleDelay (${String(settings.throttleDelay)})`);
  }
  return Object.freeze(settings) as unknown as SupervisionSettings;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return typeof value;
}
