// What the fast profile changes for a user: the playlists. The same library is clustered from exact and from
// fast features: the search runs on the exact features, then its winning parameters and fit seed are fitted
// on both feature sets, and we count the tracks whose playlist changes (playlists matched one-to-one by
// largest overlap; "no playlist" is a playlist too). For scale, the same count between two fits of the exact
// features that differ only in the fit seed: what the clustering itself moves with no feature change at all.
import type { FeatureSpace, TrackFeatures } from '../engines/clustering/features.ts';
import {
  evaluateCandidate,
  prepareSearchData,
  resolveSearchOptions,
  runSearch,
  type SearchOptions,
} from '../engines/clustering/search.ts';

/** Options for a library of a hundred-odd tracks (the defaults are sized for thousands). */
const SMALL_LIBRARY: Partial<SearchOptions> = {
  runs: 200,
  ranges: { kmeansK: [5, 15], dbscanEps: [0.1, 0.5], dbscanMinSamples: [3, 10], gmmComponents: [5, 15], pca: [0, 5] },
  minPlaylistSize: 5,
  maxSongsPerArtist: 0,
};

export interface ClusteringChange {
  featureSpace: FeatureSpace;
  tracks: number;
  playlists: number;
  /** Tracks in a different playlist with fast features than with exact ones (same parameters and seed). */
  changedByProfile: number;
  /** Tracks in a different playlist between two exact fits that differ only in the fit seed. */
  changedBySeed: number;
}

export async function compareClusterings(
  exact: readonly TrackFeatures[],
  fast: readonly TrackFeatures[],
  featureSpace: FeatureSpace,
): Promise<ClusteringChange> {
  const features = { featureSpace, topNMoods: 5 };
  const exactData = prepareSearchData(exact, features, SMALL_LIBRARY.ranges!.pca[1]);
  const fastData = prepareSearchData(fast, features, SMALL_LIBRARY.ranges!.pca[1]);
  const o = resolveSearchOptions(exactData, SMALL_LIBRARY);
  const { state } = await runSearch(exactData, { ...SMALL_LIBRARY, seed: 1 });
  if (!state.best) throw new Error(`the ${featureSpace} search found no clustering`);
  const task = { index: 0, params: state.best.params, origin: 'random' as const, fitSeed: state.best.fitSeed };
  const playlists = (data: typeof exactData, fitSeed: number) =>
    (evaluateCandidate(data, { ...task, fitSeed }, o, true).clusters ?? []).map((c) => c.members);
  const reference = playlists(exactData, task.fitSeed);
  return {
    featureSpace,
    tracks: exact.length,
    playlists: reference.length,
    changedByProfile: playlistChanges(reference, playlists(fastData, task.fitSeed), exact.length),
    changedBySeed: playlistChanges(reference, playlists(exactData, task.fitSeed + 1), exact.length),
  };
}

/** Tracks not in the corresponding playlist, after matching the playlists of `a` and `b` by largest overlap. */
export function playlistChanges(a: readonly Int32Array[], b: readonly Int32Array[], n: number): number {
  const of = (lists: readonly Int32Array[]) => {
    const where = new Int32Array(n).fill(-1); // -1: in no playlist
    lists.forEach((m, p) => m.forEach((t) => (where[t] = p)));
    return where;
  };
  const wa = of(a),
    wb = of(b);
  const overlap = new Map<string, number>();
  for (let t = 0; t < n; t++) overlap.set(`${wa[t]},${wb[t]}`, (overlap.get(`${wa[t]},${wb[t]}`) ?? 0) + 1);
  // Greedy one-to-one matching, largest overlaps first; "no playlist" only matches "no playlist".
  const match = new Map<number, number>([[-1, -1]]);
  const usedB = new Set<number>([-1]);
  for (const [key] of [...overlap].sort((x, y) => y[1] - x[1])) {
    const [pa, pb] = key.split(',').map(Number);
    if (match.has(pa) || usedB.has(pb)) continue;
    match.set(pa, pb);
    usedB.add(pb);
  }
  let changed = 0;
  for (let t = 0; t < n; t++) if (match.get(wa[t]) !== wb[t]) changed++;
  return changed;
}
