/**
 * "Did you mean …?" for names typed by hand: options, commands, environment variables.
 */

/**
 * The one of `names` that `typed` was obviously meant as: the same but for case, or at most
 * 2 edits away (when only one is). Null when none is, or when two are equally near.
 */
function closestName(typed: string, names: readonly string[]): string | null {
  const lower = typed.toLowerCase();
  const sameCase = names.find((name) => name.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const distances = names.map((name) => editDistance(lower, name.toLowerCase()));
  const best = Math.min(...distances);
  const closest = names.filter((_, i) => distances[i] === best);
  return best <= 2 && closest.length === 1 ? closest[0]! : null;
}

/** ` (did you mean <name>?)` when `typed` obviously meant one of `names` (see closestName), else ''. */
export function didYouMean(typed: string, names: readonly string[]): string {
  const meant = closestName(typed, names);
  return meant === null ? '' : ` (did you mean ${meant}?)`;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
