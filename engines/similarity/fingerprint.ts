// A person's sonic fingerprint (AudioMuse-AI `tasks/sonic_fingerprint_manager.py`), with the original's #603 fixed:
// the songs they play most, weighted by play count × recency (30-day half-life; play counts alone when the dates are
// missing, never a flat weight), at most a few per album, grouped into a few weighted centroids so one album or one
// DJ mix cannot pull the whole fingerprint its way. The centroids are expanded by nearest neighbours elsewhere.
import { cosineDistance, unit, type Neighbour } from './vector-space.ts';

/** The original's SONIC_FINGERPRINT_TOP_N_SONGS. */
export const FINGERPRINT_TOP_N = 20;
/** The original's per-album cap (it applied it on Navidrome only). */
export const FINGERPRINT_MAX_PER_ALBUM = 3;
export const FINGERPRINT_MAX_CENTROIDS = 3;
export const RECENCY_HALF_LIFE_DAYS = 30;

/** One song a person has played (or marked as a favourite). */
export interface PlayedSong {
  /** The caller's id of the song (a library row). */
  id: number;
  /** Versions of one song share it (artist + title without version notes): they count as one song. */
  songKey: string;
  /** The per-album cap's key; '' = unknown (each such song its own album). */
  albumKey: string;
  /** Unit embedding. */
  embedding: Float32Array;
  playCount: number;
  lastPlayed: Date | null;
  favourite: boolean;
}

export interface FingerprintOptions {
  now: Date;
  topN?: number;
  maxPerAlbum?: number;
  maxCentroids?: number;
  halfLifeDays?: number;
}

export interface FingerprintSeed {
  id: number;
  /** Plays counted (play count, plus the favourite's plays). */
  plays: number;
  /** exp(−ln2 / half-life · days since last played); see `playWeights` for a song without a date. */
  recency: number;
  weight: number;
  /** Index of its centroid. */
  centroid: number;
}

export interface FingerprintCentroid {
  /** Unit vector. */
  vector: Float32Array;
  /** Share of the seeds' weight, the centroids' shares summing to 1. */
  weight: number;
  /** Ids of its seeds, heaviest first. */
  seeds: number[];
}

export interface Fingerprint {
  /** Heaviest first. */
  seeds: FingerprintSeed[];
  /** Heaviest first. */
  centroids: FingerprintCentroid[];
}

/** exp(−ln2 / halfLife · days): 1 today, ½ after one half-life; a date in the future counts as today. */
export function recencyWeight(days: number, halfLifeDays = RECENCY_HALF_LIFE_DAYS): number {
  return Math.exp((-Math.LN2 / halfLifeDays) * Math.max(0, days));
}

const median = (xs: number[]): number | undefined => {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Each song's plays, recency and weight = plays × recency.
 * - A favourite counts as the person's median play count (over their played songs; 1 when none) on top of its own
 *   plays: a starred song weighs like a typically played one, whatever the scale of their counts.
 * - A song without a date gets the median recency of their dated songs, and when none has a date every recency
 *   is 1: play counts alone decide (the original gave undated songs a flat 0.25, so one 100-track mix played once
 *   through outweighed ten songs played twenty times each, #603).
 */
export function playWeights(
  songs: readonly Pick<PlayedSong, 'playCount' | 'lastPlayed' | 'favourite'>[],
  now: Date,
  halfLifeDays = RECENCY_HALF_LIFE_DAYS,
): { plays: number; recency: number; weight: number }[] {
  const favouritePlays = median(songs.filter((s) => s.playCount > 0).map((s) => s.playCount)) ?? 1;
  const dated = songs.flatMap((s) =>
    s.lastPlayed ? [recencyWeight((now.getTime() - s.lastPlayed.getTime()) / 86_400_000, halfLifeDays)] : [],
  );
  const undated = median(dated) ?? 1;
  let d = 0;
  return songs.map((s) => {
    const plays = s.playCount + (s.favourite ? favouritePlays : 0);
    const recency = s.lastPlayed ? dated[d++] : undated;
    return { plays, recency, weight: plays * recency };
  });
}

/** Versions of one song as one: plays summed, the latest date, a favourite when any is; the most played one's id. */
function mergeVersions(songs: readonly PlayedSong[]): PlayedSong[] {
  const byKey = new Map<string, PlayedSong>();
  for (const s of songs) {
    const had = byKey.get(s.songKey);
    if (!had) {
      byKey.set(s.songKey, s);
      continue;
    }
    const keep = s.playCount > had.playCount ? s : had;
    const later = !had.lastPlayed || (s.lastPlayed && s.lastPlayed > had.lastPlayed) ? s.lastPlayed : had.lastPlayed;
    byKey.set(s.songKey, {
      ...keep,
      playCount: had.playCount + s.playCount,
      lastPlayed: later,
      favourite: had.favourite || s.favourite,
    });
  }
  return [...byKey.values()];
}

/**
 * The fingerprint of a person's listening: the `topN` heaviest songs (no more than `maxPerAlbum` of one album) as
 * seeds, grouped by weighted spherical k-means into at most `maxCentroids` centroids. Deterministic: the first
 * centre is the heaviest seed, each next one the seed farthest from those chosen, by weight × squared distance.
 * Undefined when no song has any weight.
 */
export function sonicFingerprint(songs: readonly PlayedSong[], opts: FingerprintOptions): Fingerprint | undefined {
  const topN = opts.topN ?? FINGERPRINT_TOP_N;
  const maxPerAlbum = opts.maxPerAlbum ?? FINGERPRINT_MAX_PER_ALBUM;
  const merged = mergeVersions(songs);
  const weighed = playWeights(merged, opts.now, opts.halfLifeDays).map((w, k) => ({ ...w, song: merged[k] }));
  // Heaviest first (more plays, then the smaller id, among equals): seeds are chosen by weight, so a song played
  // to death two years ago (weight ~10⁻⁷) takes no seat from this month's favourites.
  weighed.sort((a, b) => b.weight - a.weight || b.plays - a.plays || a.song.id - b.song.id);
  const perAlbum = new Map<string, number>();
  const chosen: typeof weighed = [];
  for (const w of weighed) {
    if (chosen.length === topN || !(w.weight > 0)) break;
    const album = w.song.albumKey;
    if (album) {
      const n = perAlbum.get(album) ?? 0;
      if (n >= maxPerAlbum) continue;
      perAlbum.set(album, n + 1);
    }
    chosen.push(w);
  }
  if (!chosen.length) return undefined;

  const k = Math.min(opts.maxCentroids ?? FINGERPRINT_MAX_CENTROIDS, chosen.length);
  const { labels, centres } = weightedSphericalKMeans(
    chosen.map((c) => c.song.embedding),
    chosen.map((c) => c.weight),
    k,
  );
  const total = chosen.reduce((s, c) => s + c.weight, 0);
  const clusters = centres
    .map((vector, c) => ({
      vector,
      weight: chosen.reduce((s, w, i) => s + (labels[i] === c ? w.weight : 0), 0) / total,
      members: chosen.flatMap((_, i) => (labels[i] === c ? [i] : [])),
    }))
    .filter((c) => c.members.length)
    .sort((a, b) => b.weight - a.weight);
  const centroidOf = new Map<number, number>();
  clusters.forEach((c, ci) => c.members.forEach((i) => centroidOf.set(i, ci)));
  return {
    seeds: chosen.map((c, i) => ({
      id: c.song.id,
      plays: c.plays,
      recency: c.recency,
      weight: c.weight,
      centroid: centroidOf.get(i)!,
    })),
    centroids: clusters.map((c) => ({
      vector: c.vector,
      weight: c.weight,
      seeds: c.members.map((i) => chosen[i].song.id),
    })),
  };
}

/** Lloyd's iterations on the sphere (cosine distance, centres the unit weighted means), from a deterministic
 *  farthest-first start. A centre left without points keeps its place with no members. */
export function weightedSphericalKMeans(
  vectors: readonly Float32Array[],
  weights: readonly number[],
  k: number,
  maxIter = 50,
): { labels: number[]; centres: Float32Array[] } {
  let heaviest = 0;
  weights.forEach((w, i) => w > weights[heaviest] && (heaviest = i));
  const centres = [unit(vectors[heaviest])];
  while (centres.length < k) {
    let best = -1,
      bestScore = 0;
    vectors.forEach((v, i) => {
      const d = Math.min(...centres.map((c) => cosineDistance(v, c)));
      const score = weights[i] * d * d;
      if (score > bestScore) [best, bestScore] = [i, score];
    });
    if (best < 0) break; // every seed sits on a centre already
    centres.push(unit(vectors[best]));
  }
  let labels: number[] = [];
  for (let iter = 0; iter < maxIter; iter++) {
    const next = vectors.map((v) => {
      let at = 0;
      centres.forEach((c, ci) => cosineDistance(v, c) < cosineDistance(v, centres[at]) && (at = ci));
      return at;
    });
    if (next.every((l, i) => l === labels[i])) break;
    labels = next;
    centres.forEach((c, ci) => {
      const sum = new Float64Array(c.length);
      let any = false;
      vectors.forEach((v, i) => {
        if (labels[i] !== ci) return;
        any = true;
        for (let j = 0; j < v.length; j++) sum[j] += weights[i] * v[j];
      });
      if (any) centres[ci] = unit(sum);
    });
  }
  return { labels, centres };
}

/**
 * Up to `n` songs drawn from per-centroid candidate lists (nearest first) in proportion to the centroids' weights:
 * each pick goes to the list furthest behind its share (weight × picks so far), so 0.6 / 0.3 / 0.1 interleave
 * as 6 / 3 / 1 of every 10. A list that runs dry leaves its share to the others. `accept` refuses a song given the
 * picks so far (another version of one, over an artist's cap; a song already picked is skipped here); `picked` starts the answer (seeds).
 */
export function interleaveByWeight(
  lists: readonly (readonly Neighbour[])[],
  weights: readonly number[],
  n: number,
  accept: (index: number, picked: readonly number[]) => boolean,
  picked: readonly number[] = [],
): { neighbour: Neighbour; list: number }[] {
  const out: { neighbour: Neighbour; list: number }[] = [];
  const indices = [...picked];
  const seen = new Set(picked);
  const next = lists.map(() => 0);
  const taken = lists.map(() => 0);
  const live = new Set(lists.map((_, c) => c));
  while (out.length < n && live.size) {
    let c = -1,
      behind = -Infinity;
    for (const l of live) {
      const gap = weights[l] * (out.length + 1) - taken[l];
      if (gap > behind) [c, behind] = [l, gap];
    }
    const list = lists[c];
    while (next[c] < list.length && (seen.has(list[next[c]].index) || !accept(list[next[c]].index, indices))) next[c]++;
    if (next[c] === list.length) {
      live.delete(c);
      continue;
    }
    const neighbour = list[next[c]++];
    out.push({ neighbour, list: c });
    indices.push(neighbour.index);
    seen.add(neighbour.index);
    taken[c]++;
  }
  return out;
}
