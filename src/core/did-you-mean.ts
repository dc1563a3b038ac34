/** Edits between two words (insert, delete, replace, or swap two neighbours: "matirx" is one from "matrix"). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate `word` was most likely meant as: a few edits away (a third of its length, at least
 * one), or the start of a longer name ("arch" for "arch-list"). Undefined when none is near.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(word, name);
    const near = distance <= Math.max(1, Math.floor(word.length / 3)) || (word.length >= 3 && name.startsWith(word));
    if (near && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
