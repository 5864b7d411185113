/** Markdown tables and the "best peer" rule shared by the scenario reports. */
import { interval, median, ratioInterval } from './stats.mjs';
import { peers } from './tools.mjs';

export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Median of a metric of one row, or undefined (n/a, not run). */
export function med(rows, row, metric) {
  const values = rows?.[row]?.[metric];
  return values === undefined ? undefined : median(values);
}

/**
 * The best peer (lowest median of `metric` unless `higher`), among the five peers that ran,
 * that pass `eligible(rowId)`. Returns { id, value } or undefined.
 */
export function bestPeer(rows, metric, { eligible = () => true, higher = false } = {}) {
  let best;
  for (const peer of peers) {
    const value = med(rows, peer.id, metric);
    if (value === undefined || !Number.isFinite(value) || !eligible(peer.id)) continue;
    if (best === undefined || (higher ? value > best.value : value < best.value)) best = { id: peer.id, value };
  }
  return best;
}

/** The 95% bootstrap interval of clusterchart's ratio to `best` (a bestPeer result) on `metric`, formatted. */
export const intervalToBest = (rows, metric, best) => interval(best ? ratioInterval(rows.clusterchart?.[metric], rows[best.id]?.[metric]) : undefined);

/** "n/a (reason)" for a row that lacks the feature, else undefined. */
export const naOf = (rows, row) => (rows?.[row]?.na ? `n/a (${rows[row].na})` : undefined);

export const runsOf = (rows, row, metric) => rows?.[row]?.[metric]?.length ?? 0;
