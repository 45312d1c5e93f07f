// The library map, a request-time query the web API (`GET /api/map`) and the CLI (`audiomuse map`) answer: the analysed library of the
// configured source and analysis version in 2-D, computed once per snapshot and cached in PostgreSQL.
import type { Config } from '../lib/config.ts';
import type { Pool } from '../lib/db.ts';
import { cachedMap, storeMap, type MapPoints } from '../lib/store/library.ts';
import { loadEmbeddings, vectorsSnapshot, type VectorScope } from '../lib/store/vectors.ts';
import { analysisVersion } from '../engines/analysis/version.ts';
import { projectLibrary } from '../engines/clustering/map-projection.ts';

export interface LibraryMap {
  snapshot: string;
  cached: boolean;
  computedAt: string;
  points: MapPoints;
}

/** What the map shows: what clustering would see, the configured source's tracks of the current analysis version. */
export function libraryMapScope(config: Pick<Config, 'mediaServerType' | 'analysis'>): Omit<VectorScope, 'trackIds'> {
  return { source: config.mediaServerType, analysisVersion: analysisVersion(config.analysis) };
}

/** One computation per snapshot even when several pages ask at once. */
const computing = new Map<string, Promise<{ points: MapPoints; computedAt: string }>>();

export async function libraryMap(pool: Pool, scope: Omit<VectorScope, 'trackIds'>): Promise<LibraryMap> {
  const { key } = await vectorsSnapshot(pool, scope);
  const hit = await cachedMap(pool, key);
  // A map cached before the points carried item ids is computed again (the song path is drawn by item id).
  if (hit?.points.itemIds) return { snapshot: key, cached: true, ...hit };
  let job = computing.get(key);
  if (!job) {
    job = (async () => {
      const tracks = await loadEmbeddings(pool, scope);
      const { x, y } = projectLibrary(tracks.map((t) => t.embedding));
      const points = {
        ids: tracks.map((t) => t.id),
        itemIds: tracks.map((t) => t.itemId),
        x,
        y,
        titles: tracks.map((t) => t.title),
        artists: tracks.map((t) => t.artist),
      };
      return { points, computedAt: await storeMap(pool, key, points) };
    })().finally(() => computing.delete(key));
    computing.set(key, job);
  }
  return { snapshot: key, cached: false, ...(await job) };
}
