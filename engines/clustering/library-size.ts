// Search settings fitted to the library's size. The defaults (20–60 clusters of at least 20 songs) are made
// for thousands of songs: a folder of 100 would get no playlist at all. A library of n songs holds at most
// n / floor clusters of `floor` songs, so the cluster counts are capped there, the fewest tried leave room for
// clusters twice the floor, and below 2 × fewest × floor songs the floor itself shrinks to about √n.
import type { SizeChange } from '../../words/clustering-defaults.ts';
import type { Algorithm } from './types.ts';

/** What the library's size may change, as the search and post-processing take it. */
export interface SizedSettings {
  minPlaylistSize: number;
  kmeansK: [number, number];
  gmmComponents: [number, number];
  dbscanMinSamples: [number, number];
}

/** The smallest floor a scaled library gets: a playlist of 4 songs is still a playlist. */
const MIN_SCALED_FLOOR = 4;

/**
 * The settings for a library of n songs, and those that changed for the algorithms searched (DBSCAN finds
 * its own cluster count, so the K-Means range stands for the clusters expected of it).
 */
export function fitToLibrary(
  n: number,
  s: SizedSettings,
  algorithms: readonly Algorithm[],
): { settings: SizedSettings; changes: SizeChange[] } {
  const fewest = Math.min(...algorithms.map((a) => (a === 'gmm' ? s.gmmComponents[0] : s.kmeansK[0])));
  const floor =
    n < 2 * fewest * s.minPlaylistSize
      ? Math.min(s.minPlaylistSize, Math.max(MIN_SCALED_FLOOR, Math.round(Math.sqrt(n))))
      : s.minPlaylistSize;
  const counts = ([lo, hi]: [number, number]): [number, number] => {
    const top = Math.min(hi, Math.max(2, Math.floor(n / floor)));
    return [Math.min(lo, Math.max(2, Math.floor(n / (2 * floor))), top), top];
  };
  const samplesTop = Math.min(s.dbscanMinSamples[1], floor);
  const settings: SizedSettings = {
    minPlaylistSize: floor,
    kmeansK: counts(s.kmeansK),
    gmmComponents: counts(s.gmmComponents),
    dbscanMinSamples: [Math.min(s.dbscanMinSamples[0], samplesTop), samplesTop],
  };
  const changes: SizeChange[] = [];
  const note = (field: SizeChange['field'], from: SizeChange['from'], to: SizeChange['to']) => {
    if (JSON.stringify(from) !== JSON.stringify(to)) changes.push({ field, from, to });
  };
  note('minPlaylistSize', s.minPlaylistSize, settings.minPlaylistSize);
  if (algorithms.includes('kmeans')) note('numClusters', s.kmeansK, settings.kmeansK);
  if (algorithms.includes('gmm')) note('gmmComponents', s.gmmComponents, settings.gmmComponents);
  if (algorithms.includes('dbscan')) note('dbscanMinSamples', s.dbscanMinSamples, settings.dbscanMinSamples);
  return { settings, changes };
}
