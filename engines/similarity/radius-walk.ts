// The original's default instant mix, "radius walk" (AudioMuse-AI `tasks/radius_walk_helper.py`): candidates
// sorted by distance to the seed, scanned in buckets of 50 (at least 3 buckets, more for long mixes), then a
// greedy walk whose every step minimises 0.7 × distance to the previous pick + 0.3 × distance to the seed, so
// the mix drifts smoothly instead of jumping back and forth around the seed.
import type { Neighbour, VectorSpace } from './vector-space.ts';

export const BUCKET_SIZE = 50;

export function radiusWalk(
  space: VectorSpace,
  seed: number,
  candidates: readonly Neighbour[],
  n: number,
  /** A rule about the songs picked so far: once it refuses a song, it refuses it for every longer pick list. */
  accept: (index: number, picked: readonly number[]) => boolean = () => true,
): Neighbour[] {
  const buckets = Math.max(3, Math.ceil(n / BUCKET_SIZE));
  const pool = [...candidates].sort((a, b) => a.distance - b.distance).slice(0, buckets * BUCKET_SIZE);
  const picked: Neighbour[] = [];
  const pickedIndices: number[] = [];
  const used = new Set<number>();
  let prev = seed;
  while (picked.length < n) {
    let best: Neighbour | undefined,
      bestScore = Infinity;
    for (const c of pool) {
      if (used.has(c.index)) continue;
      const score = 0.7 * space.distance(prev, c.index) + 0.3 * c.distance;
      if (score >= bestScore) continue;
      // `accept` (the costly part: a distance to every pick) only for a would-be best; a rejected song stays
      // rejected, as picks only grow.
      if (!accept(c.index, pickedIndices)) {
        used.add(c.index);
        continue;
      }
      bestScore = score;
      best = c;
    }
    if (!best) break;
    used.add(best.index);
    picked.push(best);
    pickedIndices.push(best.index);
    prev = best.index;
  }
  return picked;
}
