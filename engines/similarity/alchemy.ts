// Song alchemy (AudioMuse-AI `tasks/song_alchemy.py`): the centroid of the ADD items is the query; songs within an
// angular radius of the SUBTRACT centroid are dropped; the result is drawn from the nearest candidates by softmax
// sampling over their similarity, so a temperature of 0 gives the nearest songs and higher ones wander further.
import type { Rng } from '../clustering/rng.ts';
import { unit, type Neighbour } from './vector-space.ts';

/** The original's SUBTRACT radius: angular distance arccos(cos)/π, in [0, 1]. */
export const SUBTRACT_DISTANCE = 0.2;

/** The unit-length weighted mean of unit vectors (equal weights when none are given); undefined for none. */
export function centroid(vectors: readonly Float32Array[], weights?: readonly number[]): Float32Array | undefined {
  if (!vectors.length) return undefined;
  const sum = new Float64Array(vectors[0].length);
  vectors.forEach((v, k) => {
    const w = weights?.[k] ?? 1;
    for (let j = 0; j < v.length; j++) sum[j] += w * v[j];
  });
  return unit(sum);
}

/** Angular distance arccos(a·b)/π between unit vectors: 0 the same direction, 1 opposite. */
export function angularDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let j = 0; j < a.length; j++) dot += a[j] * b[j];
  return Math.acos(Math.min(1, Math.max(-1, dot))) / Math.PI;
}

/**
 * `n` candidates drawn without replacement, each with probability ∝ exp(−distance / temperature) among those
 * left (the original's softmax over similarity); temperature 0 takes them nearest first. `accept` is asked at each
 * draw with the picks so far (per-artist cap, duplicates): a refused candidate is dropped, not drawn again.
 */
export function sampleByTemperature(
  candidates: readonly Neighbour[],
  n: number,
  temperature: number,
  rng: Rng,
  accept: (index: number, picked: readonly number[]) => boolean = () => true,
): Neighbour[] {
  const left = [...candidates].sort((a, b) => a.distance - b.distance);
  const picked: Neighbour[] = [];
  const indices: number[] = [];
  const take = (k: number) => {
    const [c] = left.splice(k, 1);
    if (!accept(c.index, indices)) return;
    picked.push(c);
    indices.push(c.index);
  };
  if (temperature <= 0) {
    while (picked.length < n && left.length) take(0);
    return picked;
  }
  // Weights relative to the nearest candidate, so exp never underflows to all zeros.
  const nearest = left[0]?.distance ?? 0;
  const weight = left.map((c) => Math.exp(-(c.distance - nearest) / temperature));
  while (picked.length < n && left.length) {
    let total = 0;
    for (const w of weight) total += w;
    let r = rng.next() * total,
      k = 0;
    while (k < weight.length - 1 && (r -= weight[k]) > 0) k++;
    weight.splice(k, 1);
    take(k);
  }
  return picked;
}
