// The one reader of stored features: every user of embeddings (the clustering snapshot, the library map,
// the similarity queries) reads them here, always scoped to one media source and one analysis version,
// so features of two model or profile versions never meet in one space.
import type { Pool } from '../db.ts';
import { decodeEmbedding, MOOD_HEAD_COLUMNS } from './tracks.ts';

export interface VectorScope {
  source: string;
  analysisVersion: string;
  /** These tracks, in this order (tracks.id as strings); all analysed tracks of the scope, by id, when absent. */
  trackIds?: readonly string[];
}

/** What a similarity query or the map needs of a track: who it is and its embedding. */
export interface StoredEmbedding {
  /** tracks.id as a string. */
  id: string;
  itemId: string;
  artist: string | null;
  title: string | null;
  album: string | null;
  /** The server's ids of the artist, album and library (null when the server gave none). */
  artistId: string | null;
  albumId: string | null;
  libraryId: string | null;
  durationSec: number | null;
  embedding: Float32Array;
}

/** What clustering needs besides: the features its spaces are built from. */
export interface StoredVector extends StoredEmbedding {
  tempo: number | null;
  energy: number | null;
  tags: number[];
  moodHeads: Record<(typeof MOOD_HEAD_COLUMNS)[number], number>;
}

const IDENTITY =
  't.id::text AS id, t.item_id, t.artist, t.title, t.album, t.artist_id, t.album_id, t.library_id, t.duration_sec, f.embedding';
// The tags in PostgreSQL's binary array form: parsing 50 floats of text per row was most of a snapshot's load
// (300,000 rows: 40 s instead of a few).
const FEATURES = `f.tempo, f.energy, array_send(f.tags) AS tags, ${MOOD_HEAD_COLUMNS.map((c) => `f.${c}`).join(', ')}`;

/** A float4[] as array_send writes it: dimensions, flags and element type, (size, lower bound) per dimension,
 *  then each element as its length and big-endian bytes (length -1: NULL, which tags never hold). */
function decodeRealArray(b: Buffer): number[] {
  const dims = b.readInt32BE(0);
  if (dims === 0) return [];
  let n = 1;
  for (let d = 0; d < dims; d++) n *= b.readInt32BE(12 + 8 * d);
  const out = new Array<number>(n);
  for (let i = 0, o = 12 + 8 * dims; i < n; i++, o += 8) out[i] = b.readFloatBE(o + 4);
  return out;
}

/** The scope's analysed tracks (tracks.id as strings), ascending: the clustering snapshot's row order, and the
 *  similarity index's batches. */
export async function analysedTrackIds(pool: Pool, scope: Omit<VectorScope, 'trackIds'>): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT t.id::text AS id FROM tracks t JOIN track_features f ON f.track_id = t.id
      WHERE t.source = $1 AND t.analysis_status = 'analyzed' AND f.analysis_version = $2 ORDER BY t.id`,
    [scope.source, scope.analysisVersion],
  );
  return rows.map((r) => r.id);
}

/** The least and greatest of these ids: bounds that let PostgreSQL read only their range of tracks (without, a
 *  batch's merge join walked the tracks' primary key from its start: the similarity library's 30 batches of
 *  10,000 at 300,000 tracks took twice the map's one statement). */
function idRange(ids: readonly string[]): [string | null, string | null] {
  if (ids.length === 0) return [null, null];
  let [lo, hi] = [ids[0], ids[0]];
  for (const id of ids) {
    if (Number(id) < Number(lo)) lo = id;
    if (Number(id) > Number(hi)) hi = id;
  }
  return [lo, hi];
}

/** The scope's rows with the given columns, in the scope's order. */
async function scopedRows(pool: Pool, scope: VectorScope, columns: string) {
  if (scope.trackIds) {
    // Put in order here: PostgreSQL sorting 300,000 rows of a kilobyte spilled to disk.
    const { rows } = await pool.query(
      `SELECT s.ord::int AS ord, ${columns}
         FROM unnest($3::bigint[]) WITH ORDINALITY AS s (track_id, ord)
         JOIN tracks t ON t.id = s.track_id
         JOIN track_features f ON f.track_id = t.id
        WHERE t.source = $1 AND f.analysis_version = $2 AND t.id BETWEEN $4 AND $5 AND f.track_id BETWEEN $4 AND $5`,
      [scope.source, scope.analysisVersion, scope.trackIds, ...idRange(scope.trackIds)],
    );
    const placed = new Array<Record<string, any>>(scope.trackIds.length + 1);
    for (const r of rows) placed[r.ord as number] = r;
    return placed.filter((r) => r !== undefined);
  }
  const { rows } = await pool.query(
    `SELECT ${columns}
           FROM tracks t JOIN track_features f ON f.track_id = t.id
          WHERE t.source = $1 AND f.analysis_version = $2 AND t.analysis_status = 'analyzed'
          ORDER BY t.id`,
    [scope.source, scope.analysisVersion],
  );
  return rows;
}

const embeddingOf = (r: Record<string, any>): StoredEmbedding => ({
  id: r.id,
  itemId: r.item_id,
  artist: r.artist,
  title: r.title,
  album: r.album,
  artistId: r.artist_id,
  albumId: r.album_id,
  libraryId: r.library_id,
  durationSec: r.duration_sec,
  embedding: decodeEmbedding(r.embedding),
});

/** Identity and embedding only: the map and the similarity queries never read the 50 tags. */
export async function loadEmbeddings(pool: Pool, scope: VectorScope): Promise<StoredEmbedding[]> {
  return (await scopedRows(pool, scope, IDENTITY)).map(embeddingOf);
}

/** Identity, embedding and the clustering features. */
export async function loadVectors(pool: Pool, scope: VectorScope): Promise<StoredVector[]> {
  return (await scopedRows(pool, scope, `${IDENTITY}, ${FEATURES}`)).map((r) => ({
    ...embeddingOf(r),
    tempo: r.tempo,
    energy: r.energy,
    tags: decodeRealArray(r.tags),
    moodHeads: Object.fromEntries(MOOD_HEAD_COLUMNS.map((c) => [c, r[c]])) as StoredVector['moodHeads'],
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

/** The six mood heads of these tracks (tracks.id as strings), by id: read per request by the mood filter, so the
 *  similarity library in memory carries no mood columns. */
export async function moodHeadsOf(pool: Pool, trackIds: readonly string[]): Promise<Map<string, number[]>> {
  const { rows } = await pool.query(
    `SELECT track_id::text AS id, ${MOOD_HEAD_COLUMNS.join(', ')} FROM track_features WHERE track_id = ANY($1::bigint[])`,
    [trackIds],
  );
  return new Map(rows.map((r) => [r.id as string, MOOD_HEAD_COLUMNS.map((c) => r[c] as number)]));
}
