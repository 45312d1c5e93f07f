// Songs that would be in no playlist although a full one near them has room. The selection drops a cluster
// under the playlist floor whole, and cuts an artist's songs over the cap; a listener loses those songs when
// the next cluster would take them. Each is moved to the nearest cluster that will be a playlist (at least
// the floor), within the distance filter of its centroid and under the artist cap there.
import { sqDist } from './distance.ts';
import { capOf, type ArtistCaps } from './postprocess.ts';
import type { ClusterFit, Matrix } from './types.ts';

export interface ReassignOptions {
  /** In the unit of `dist` (0 = no limit). */
  maxDistance: number;
  minPlaylistSize: number;
}

/**
 * Members per cluster, closest first, with the songs outside every full cluster moved where they fit;
 * `dist` and `selection` (reason codes, 0 = kept) are updated for the moved songs. `scale` is the unit of
 * `dist` (the distance it divides by).
 */
export function reassignLeftOut(
  X: Matrix,
  fit: ClusterFit,
  scale: number,
  members: Int32Array[],
  dist: Float64Array,
  artists: Int32Array,
  caps: ArtistCaps,
  o: ReassignOptions,
  selection?: Int8Array,
): Int32Array[] {
  const full = members.map((m, c) => (m.length >= o.minPlaylistSize && m.length > 0 ? c : -1)).filter((c) => c >= 0);
  if (full.length === 0) return members;
  const inFull = new Uint8Array(fit.labels.length);
  const perArtist = new Map<number, Map<number, number>>(full.map((c) => [c, new Map()]));
  for (const c of full) {
    for (const i of members[c]) {
      inFull[i] = 1;
      if (artists[i] >= 0) perArtist.get(c)!.set(artists[i], (perArtist.get(c)!.get(artists[i]) ?? 0) + 1);
    }
  }
  const unit = scale > 0 ? scale : 1;
  // Each outside song's full clusters within the filter, nearest first; songs nearest a cluster go first.
  const options: { i: number; near: { c: number; d: number }[] }[] = [];
  for (let i = 0; i < fit.labels.length; i++) {
    if (inFull[i]) continue;
    const near = full
      .map((c) => ({ c, d: Math.sqrt(sqDist(X.data, i * X.cols, fit.centroids.data, c * X.cols, X.cols)) / unit }))
      .filter((x) => !(o.maxDistance > 0) || x.d <= o.maxDistance)
      .sort((a, b) => a.d - b.d || a.c - b.c);
    if (near.length) options.push({ i, near });
  }
  options.sort((a, b) => a.near[0].d - b.near[0].d || a.i - b.i);
  const added = new Map<number, number[]>(full.map((c) => [c, []]));
  for (const { i, near } of options) {
    const a = artists[i];
    const to = near.find(({ c }) => a < 0 || !(capOf(caps, a) > 0) || (perArtist.get(c)!.get(a) ?? 0) < capOf(caps, a));
    if (!to) continue;
    if (a >= 0) perArtist.get(to.c)!.set(a, (perArtist.get(to.c)!.get(a) ?? 0) + 1);
    added.get(to.c)!.push(i);
    dist[i] = to.d;
    if (selection) selection[i] = 0;
  }
  const moved = new Set([...added.values()].flat());
  return members.map((m, c) => {
    const more = added.get(c);
    if (more?.length) return Int32Array.from([...m, ...more].sort((x, y) => dist[x] - dist[y] || x - y));
    return added.has(c) ? m : m.filter((i) => !moved.has(i));
  });
}
