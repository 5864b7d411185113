/** Medians and formatting. A null value (a timeout, "stuck") sorts as +∞. */

export function median(values) {
  const xs = values.filter((v) => v !== undefined).map((v) => (v === null ? Infinity : v)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = Math.floor(xs.length / 2);
  const m = xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return Number.isNaN(m) ? Infinity : m;
}

export const seconds = (ms, digits = 2) => (ms === undefined ? '–' : ms === Infinity ? 'never' : `${(ms / 1000).toFixed(digits)} s`);
export const count = (n) => (n === undefined ? '–' : n === Infinity ? '∞' : String(Math.round(n * 10) / 10));
export const mb = (bytes) => (bytes === undefined ? '–' : `${(bytes / 2 ** 20).toFixed(1)} MB`);
export const ratio = (a, b) => (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);
