// The one reader of stored features: every user of embeddings (the clustering snapshot, the library map,
// the similarity queries) reads them here, always scoped to one media source and one analysis version,
// so features of two model or profile versions never meet in one space.
import type { Pool } from '../db.ts';
import { MOOD_HEAD_COLUMNS } from './tracks.ts';
import { EMBEDDING_DIM, TAGS } from '../../words/vocabulary.ts';

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

/** What clustering needs of a track: who it is (for artist caps and names) and the features its spaces are
 *  built from. */
export interface StoredVector {
  /** tracks.id as a string. */
  id: string;
  artist: string | null;
  title: string | null;
  embedding: Float32Array;
  tempo: number | null;
  energy: number | null;
  /** 50 scores in TAGS order. */
  tags: Float32Array;
  moodHeads: Record<(typeof MOOD_HEAD_COLUMNS)[number], number>;
}

// Bytes travel as base64 (PostgreSQL writes it faster than hex, and it is shorter) and are decoded straight into
// one Float32Array per load, of which each track's embedding and tags are views: at 300,000 tracks a buffer and
// a number array per row were most of a load's time (allocation and garbage collection).
const IDENTITY =
  "t.id::text AS id, t.item_id, t.artist, t.title, t.album, t.artist_id, t.album_id, t.library_id, t.duration_sec, encode(f.embedding, 'base64') AS embedding";
const VECTOR = `t.id::text AS id, t.artist, t.title, encode(f.embedding, 'base64') AS embedding, f.tempo, f.energy,
  encode(array_send(f.tags), 'base64') AS tags, ${MOOD_HEAD_COLUMNS.map((c) => `f.${c}`).join(', ')}`;
/** Rows per statement: a load holds one batch of row text at a time (all 300,000 at once, their strings kept
 *  the garbage collector busy for seconds), and PostgreSQL reads the next batch while this one is decoded. */
const BATCH = 10_000;

const EMBEDDING_BYTES = EMBEDDING_DIM * 4;
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Each row's embedding (200 float32, little-endian, as base64) as a view into one array for all the rows. */
function decodeEmbeddings(rows: readonly Record<string, any>[]): Float32Array[] {
  const all = new Float32Array(rows.length * EMBEDDING_DIM);
  const bytes = Buffer.from(all.buffer);
  return rows.map((r, i) => {
    const at = i * EMBEDDING_BYTES;
    // Node's base64 decoder skips the line breaks PostgreSQL puts every 76 characters.
    const n = bytes.write(r.embedding, at, EMBEDDING_BYTES, 'base64');
    if (n !== EMBEDDING_BYTES) throw new Error(`track ${r.id}: embedding of ${n} bytes, not ${EMBEDDING_BYTES}`);
    if (!LITTLE_ENDIAN) for (let j = at; j < at + EMBEDDING_BYTES; j += 4) all[j / 4] = bytes.readFloatLE(j);
    return all.subarray(i * EMBEDDING_DIM, (i + 1) * EMBEDDING_DIM);
  });
}

/** Each row's tags (a float4[] as array_send writes it, as base64) as a view into one array for all the rows.
 *  array_send: dimensions, flags and element type, (size, lower bound) per dimension, then each element as its
 *  length and big-endian bytes (length -1: NULL, which tags never hold). */
function decodeTags(rows: readonly Record<string, any>[]): Float32Array[] {
  const all = new Float32Array(rows.length * TAGS.length);
  const scratch = Buffer.alloc(20 + 8 * TAGS.length);
  return rows.map((r, i) => {
    const n = scratch.write(r.tags, 0, 'base64');
    const dims = scratch.readInt32BE(0);
    const count = dims === 1 ? scratch.readInt32BE(12) : 0;
    if (count !== TAGS.length || n !== 20 + 8 * count)
      throw new Error(`track ${r.id}: ${count} tags, not ${TAGS.length}`);
    for (let j = 0, o = 24; j < count; j++, o += 8) all[i * TAGS.length + j] = scratch.readFloatBE(o);
    return all.subarray(i * TAGS.length, (i + 1) * TAGS.length);
  });
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

/** These tracks' rows with the given columns, in the given order (ids out of the scope left out). */
async function rowsOf(pool: Pool, scope: Omit<VectorScope, 'trackIds'>, trackIds: readonly string[], columns: string) {
  // Put in order here: PostgreSQL sorting 300,000 rows of a kilobyte spilled to disk.
  const { rows } = await pool.query(
    `SELECT s.ord::int AS ord, ${columns}
       FROM unnest($3::bigint[]) WITH ORDINALITY AS s (track_id, ord)
       JOIN tracks t ON t.id = s.track_id
       JOIN track_features f ON f.track_id = t.id
      WHERE t.source = $1 AND f.analysis_version = $2 AND t.id BETWEEN $4 AND $5 AND f.track_id BETWEEN $4 AND $5`,
    [scope.source, scope.analysisVersion, trackIds, ...idRange(trackIds)],
  );
  const placed = new Array<Record<string, any>>(trackIds.length + 1);
  for (const r of rows) placed[r.ord as number] = r;
  return placed.filter((r) => r !== undefined);
}

const toEmbeddings = (rows: Record<string, any>[]): StoredEmbedding[] => {
  const embeddings = decodeEmbeddings(rows);
  return rows.map((r, i) => ({
    id: r.id,
    itemId: r.item_id,
    artist: r.artist,
    title: r.title,
    album: r.album,
    artistId: r.artist_id,
    albumId: r.album_id,
    libraryId: r.library_id,
    durationSec: r.duration_sec,
    embedding: embeddings[i],
  }));
};

const toVectors = (rows: Record<string, any>[]): StoredVector[] => {
  const embeddings = decodeEmbeddings(rows);
  const tags = decodeTags(rows);
  return rows.map((r, i) => ({
    id: r.id,
    artist: r.artist,
    title: r.title,
    embedding: embeddings[i],
    tempo: r.tempo,
    energy: r.energy,
    tags: tags[i],
    moodHeads: {
      danceable: r.danceable,
      aggressive: r.aggressive,
      happy: r.happy,
      party: r.party,
      relaxed: r.relaxed,
      sad: r.sad,
    },
  }));
};

/** The scope's tracks in batches of BATCH, in the scope's order (`done` of `total` ids read so far). */
async function forEachBatch<T>(
  pool: Pool,
  scope: VectorScope,
  columns: string,
  decode: (rows: Record<string, any>[]) => T[],
  each: (batch: T[], done: number, total: number) => void,
): Promise<void> {
  const ids = scope.trackIds ?? (await analysedTrackIds(pool, scope));
  const fetch = (from: number) => rowsOf(pool, scope, ids.slice(from, from + BATCH), columns);
  let next = ids.length ? fetch(0) : undefined;
  try {
    for (let i = 0; i < ids.length; i += BATCH) {
      const rows = await next!;
      next = i + BATCH < ids.length ? fetch(i + BATCH) : undefined;
      each(decode(rows), Math.min(ids.length, i + BATCH), ids.length);
    }
  } finally {
    next?.catch(() => undefined); // a batch in flight when decoding failed: its error is not the one to report
  }
}

async function loadAll<T>(
  pool: Pool,
  scope: VectorScope,
  columns: string,
  decode: (rows: Record<string, any>[]) => T[],
): Promise<T[]> {
  const out: T[] = [];
  await forEachBatch(pool, scope, columns, decode, (batch) => {
    for (const x of batch) out.push(x);
  });
  return out;
}

/** Identity and embedding only: the map and the similarity queries never read the 50 tags. */
export const loadEmbeddings = (pool: Pool, scope: VectorScope): Promise<StoredEmbedding[]> =>
  loadAll(pool, scope, IDENTITY, toEmbeddings);

/** The scope's embeddings a batch at a time (one batch of rows in memory). */
export const forEachEmbeddingBatch = (
  pool: Pool,
  scope: VectorScope,
  each: (tracks: StoredEmbedding[], done: number, total: number) => void,
): Promise<void> => forEachBatch(pool, scope, IDENTITY, toEmbeddings, each);

/** What clustering reads of each track. */
export const loadVectors = (pool: Pool, scope: VectorScope): Promise<StoredVector[]> =>
  loadAll(pool, scope, VECTOR, toVectors);

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
