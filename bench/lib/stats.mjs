/** Medians and formatting. A null value (a timeout, "stuck") sorts as +∞. */

export function median(values) {
  const xs = values.filter((v) => v !== undefined).map((v) => (v === null ? Infinity : v)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = Math.floor(xs.length / 2);
  const m = xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return Number.isNaN(m) ? Infinity : m;
}

export const seconds = (ms, digits = 2) => (ms === undefined ? '–' : ms === Infinity ? 'never' : `${(ms / 1000).toFixed(digits)} s`);
export const millis = (ms) => (ms === undefined ? '–' : ms === Infinity ? 'never' : `${ms.toFixed(1)} ms`);
export const count = (n) => (n === undefined ? '–' : n === Infinity ? '∞' : String(Math.round(n * 10) / 10));
export const mb = (bytes) => (bytes === undefined ? '–' : `${(bytes / 2 ** 20).toFixed(1)} MiB`);
export const ratio = (a, b) => (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);

/** A seeded PRNG (mulberry32): a report renders the same interval from the same figures. */
function seededRandom(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * The 95% bootstrap interval of median(a) / median(b), as [low, high]: each of 2000 samples
 * redraws, with replacement, as many figures from each as it has. Undefined below 3 figures
 * a side. An interval that spans 1 says the two are apart by less than their run-to-run noise.
 */
export function ratioInterval(a, b, samples = 2000) {
  const xs = (a ?? []).filter(Number.isFinite);
  const ys = (b ?? []).filter(Number.isFinite);
  if (xs.length < 3 || ys.length < 3) return undefined;
  const random = seededRandom(7);
  const redraw = (values) => values.map(() => values[Math.floor(random() * values.length)]);
  const ratios = Array.from({ length: samples }, () => median(redraw(xs)) / median(redraw(ys))).sort((p, q) => p - q);
  return [ratios[Math.floor(samples * 0.025)], ratios[Math.ceil(samples * 0.975) - 1]];
}

export const interval = (range) => (range === undefined ? '–' : `${range[0].toFixed(2)}–${range[1].toFixed(2)}×`);
