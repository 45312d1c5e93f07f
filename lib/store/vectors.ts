// The one reader of stored features: every user of embeddings (the clustering snapshot, the library map,
// the coming similarity index) reads them here, always scoped to one media source and one analysis version,
// so features of two model or profile versions never meet in one space.
import type { Pool } from '../db.ts';
import { decodeEmbedding, MOOD_HEAD_COLUMNS } from './tracks.ts';

export interface VectorScope {
  source: string;
  analysisVersion: string;
  /** These tracks, in this order (tracks.id as strings); all analysed tracks of the scope, by id, when absent. */
  trackIds?: readonly string[];
}

export interface StoredVector {
  /** tracks.id as a string. */
  id: string;
  itemId: string;
  artist: string | null;
  title: string | null;
  album: string | null;
  tempo: number | null;
  energy: number | null;
  tags: number[];
  moodHeads: Record<(typeof MOOD_HEAD_COLUMNS)[number], number>;
  embedding: Float32Array;
}

const COLUMNS = `t.id::text AS id, t.item_id, t.artist, t.title, t.album, f.tempo, f.energy, f.tags, f.embedding,
  ${MOOD_HEAD_COLUMNS.map((c) => `f.${c}`).join(', ')}`;

export async function loadVectors(pool: Pool, scope: VectorScope): Promise<StoredVector[]> {
  const { rows } = scope.trackIds
    ? await pool.query(
        `SELECT ${COLUMNS}
           FROM unnest($3::bigint[]) WITH ORDINALITY AS s (track_id, ord)
           JOIN tracks t ON t.id = s.track_id
           JOIN track_features f ON f.track_id = t.id
          WHERE t.source = $1 AND f.analysis_version = $2
          ORDER BY s.ord`,
        [scope.source, scope.analysisVersion, scope.trackIds],
      )
    : await pool.query(
        `SELECT ${COLUMNS}
           FROM tracks t JOIN track_features f ON f.track_id = t.id
          WHERE t.source = $1 AND f.analysis_version = $2 AND t.analysis_status = 'analyzed'
          ORDER BY t.id`,
        [scope.source, scope.analysisVersion],
      );
  return rows.map((r) => ({
    id: r.id,
    itemId: r.item_id,
    artist: r.artist,
    title: r.title,
    album: r.album,
    tempo: r.tempo,
    energy: r.energy,
    tags: r.tags,
    moodHeads: Object.fromEntries(MOOD_HEAD_COLUMNS.map((c) => [c, r[c]])) as StoredVector['moodHeads'],
    embedding: decodeEmbedding(r.embedding),
  }));
}

/** What identifies a scope's analysed state: a new analysis result or a removed track changes it. */
export async function vectorsSnapshot(
  pool: Pool,
  scope: Omit<VectorScope, 'trackIds'>,
): Promise<{ key: string; tracks: number }> {
  const {
    rows: [r],
  } = await pool.query<{ n: string; last: string | null; ids: string | null }>(
    `SELECT count(*) AS n, max(f.analyzed_at)::text AS last, sum(f.track_id)::text AS ids
       FROM tracks t JOIN track_features f ON f.track_id = t.id
      WHERE t.source = $1 AND f.analysis_version = $2 AND t.analysis_status = 'analyzed'`,
    [scope.source, scope.analysisVersion],
  );
  return {
    key: `${scope.source}|${scope.analysisVersion}|${r.n}|${r.last ?? ''}|${r.ids ?? ''}`,
    tracks: Number(r.n),
  };
}
