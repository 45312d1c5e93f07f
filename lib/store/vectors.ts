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

/** Tracks per statement: one JSON value and one or two bytea values of about 10 MB each. */
const BATCH = 10_000;
/** Statements in flight (each on its own pooled connection): PostgreSQL builds the next while this process
 *  decodes one. */
const IN_FLIGHT = 2;
const EMBEDDING_BYTES = 800; // track_features.embedding's CHECK

const IDENTITY = [
  't.id::text',
  't.item_id',
  't.artist',
  't.title',
  't.album',
  't.artist_id',
  't.album_id',
  't.library_id',
  't.duration_sec',
];
const FEATURES = ['f.tempo', 'f.energy', 'f.tags', ...MOOD_HEAD_COLUMNS.map((c) => `f.${c}`)];

/**
 * A batch's rows as a few values instead of one row each: per row, the text columns cost more to receive and
 * turn into objects than their content (300,000 rows: 15–30 s under load). The scalars in one JSON array of
 * arrays (JSON.parse is native), the embeddings (and the tags, in array_send's binary form) each concatenated
 * into one bytea. The aggregates of one statement see the rows in one order, so row k of the JSON is the k-th
 * slice of each bytea; `s.ord` (its place in the batch) puts it back in the batch's order.
 */
function batchSql(features: boolean, analysedOnly: boolean): string {
  const scalars = features ? [...IDENTITY, ...FEATURES] : IDENTITY;
  return `SELECT json_agg(json_build_array(s.ord, ${scalars.join(', ')})) AS rows,
                 string_agg(f.embedding, ''::bytea) AS embeddings
            FROM unnest($3::bigint[]) WITH ORDINALITY AS s (track_id, ord)
            JOIN tracks t ON t.id = s.track_id
            JOIN track_features f ON f.track_id = t.id
           WHERE t.source = $1 AND f.analysis_version = $2 AND t.id BETWEEN $4 AND $5 AND f.track_id BETWEEN $4 AND $5
                 ${analysedOnly ? `AND t.analysis_status = 'analyzed'` : ''}`;
}

type Batch = { rows: unknown[][] | null; embeddings: Buffer | null };

/** A float4 of the JSON: a number, or NaN/Infinity, which JSON writes as strings (as pg's float parser reads). */
const real = (v: unknown) => (typeof v === 'string' ? parseFloat(v) : (v as number | null));

function embeddingOf(r: unknown[], embeddings: Buffer, k: number): StoredEmbedding {
  return {
    id: r[1] as string,
    itemId: r[2] as string,
    artist: r[3] as string | null,
    title: r[4] as string | null,
    album: r[5] as string | null,
    artistId: r[6] as string | null,
    albumId: r[7] as string | null,
    libraryId: r[8] as string | null,
    durationSec: real(r[9]),
    embedding: decodeEmbedding(embeddings.subarray(k * EMBEDDING_BYTES, (k + 1) * EMBEDDING_BYTES)),
  };
}

/** One batch's tracks in the order of `ids` (those out of the scope left out). */
function decodeBatch(b: Batch, features: boolean, size: number): (StoredEmbedding | StoredVector)[] {
  if (!b.rows) return [];
  const rows = b.rows;
  const placed = new Array<StoredEmbedding | StoredVector | undefined>(size);
  rows.forEach((r, k) => {
    const e = embeddingOf(r, b.embeddings!, k);
    const at = (r[0] as number) - 1;
    if (!features) placed[at] = e;
    else {
      const moodHeads = {} as StoredVector['moodHeads'];
      MOOD_HEAD_COLUMNS.forEach((c, i) => (moodHeads[c] = real(r[13 + i]) as number));
      const tags = r[12] as unknown[];
      for (let i = 0; i < tags.length; i++) if (typeof tags[i] === 'string') tags[i] = real(tags[i]);
      placed[at] = { ...e, tempo: real(r[10]), energy: real(r[11]), tags: tags as number[], moodHeads };
    }
  });
  const out: (StoredEmbedding | StoredVector)[] = [];
  for (const t of placed) if (t !== undefined) out.push(t);
  return out;
}

/**
 * The scope's tracks a batch at a time, in the scope's order (`each` called in that order, with the tracks done
 * and the total), IN_FLIGHT batches fetched at once.
 */
async function forEachBatch<T extends StoredEmbedding>(
  pool: Pool,
  scope: VectorScope,
  features: boolean,
  each: (tracks: T[], done: number, total: number) => void,
  batch: number,
): Promise<void> {
  const ids = scope.trackIds ?? (await analysedTrackIds(pool, scope));
  const sql = batchSql(features, !scope.trackIds);
  const fetch = async (from: number) => {
    const part = ids.slice(from, from + batch);
    // The batch's id range: without it, a merge join walks the tracks' index from its start for every batch.
    let [lo, hi] = [part[0], part[0]];
    for (const id of part) {
      if (Number(id) < Number(lo)) lo = id;
      if (Number(id) > Number(hi)) hi = id;
    }
    const { rows } = await pool.query<Batch>(sql, [scope.source, scope.analysisVersion, part, lo, hi]);
    return decodeBatch(rows[0], features, part.length) as T[];
  };
  const pending: Promise<T[]>[] = [];
  for (let i = 0; i < IN_FLIGHT && i * batch < ids.length; i++) pending.push(fetch(i * batch));
  for (let from = 0; from < ids.length; from += batch) {
    const tracks = await pending.shift()!;
    const next = from + IN_FLIGHT * batch;
    if (next < ids.length) pending.push(fetch(next));
    each(tracks, Math.min(ids.length, from + batch), ids.length);
  }
}

/** The scope's analysed embeddings (identity and embedding) a batch at a time: the similarity library's load. */
export function forEachEmbeddingBatch(
  pool: Pool,
  scope: VectorScope,
  each: (tracks: StoredEmbedding[], done: number, total: number) => void,
  batch = BATCH,
): Promise<void> {
  return forEachBatch(pool, scope, false, each, batch);
}

/** Identity and embedding only: the map and the similarity queries never read the 50 tags. */
export async function loadEmbeddings(pool: Pool, scope: VectorScope, batch = BATCH): Promise<StoredEmbedding[]> {
  const all: StoredEmbedding[] = [];
  await forEachBatch<StoredEmbedding>(
    pool,
    scope,
    false,
    (tracks) => {
      for (const t of tracks) all.push(t);
    },
    batch,
  );
  return all;
}

/** Identity, embedding and the clustering features. */
export async function loadVectors(pool: Pool, scope: VectorScope, batch = BATCH): Promise<StoredVector[]> {
  const all: StoredVector[] = [];
  await forEachBatch<StoredVector>(
    pool,
    scope,
    true,
    (tracks) => {
      for (const t of tracks) all.push(t);
    },
    batch,
  );
  return all;
}

/** The scope's analysed tracks (tracks.id as strings), ascending: the clustering snapshot's row order, and the
 *  similarity index's batches. One value, not a row each (300,000 rows of one column took a second). */
export async function analysedTrackIds(pool: Pool, scope: Omit<VectorScope, 'trackIds'>): Promise<string[]> {
  const { rows } = await pool.query<{ ids: string | null }>(
    `SELECT string_agg(t.id::text, ',' ORDER BY t.id) AS ids FROM tracks t JOIN track_features f ON f.track_id = t.id
      WHERE t.source = $1 AND t.analysis_status = 'analyzed' AND f.analysis_version = $2`,
    [scope.source, scope.analysisVersion],
  );
  return rows[0].ids ? rows[0].ids.split(',') : [];
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
