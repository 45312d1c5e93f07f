// The one reader of stored features: every user of embeddings (the clustering snapshot, the library map,
// the similarity queries) reads them here, always scoped to one media source and one analysis version,
// so features of two model or profile versions never meet in one space.
import { streamRows, type Pool } from '../db.ts';
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

// Rows are decoded as node-pg parses them, while PostgreSQL sends the next ones (the whole result first, then
// decoding, left one of the two cores idle at a time and held every row's text at once). Bytes travel as base64
// (PostgreSQL writes it faster than hex, and it is shorter) and are decoded into a few large Float32Arrays, of
// which each track's embedding and tags are views: at 300,000 tracks a buffer and a number array per row were
// most of a load's time (allocation and garbage collection).
const IDENTITY =
  "t.id::text, t.item_id, t.artist, t.title, t.album, t.artist_id, t.album_id, t.library_id, t.duration_sec, encode(f.embedding, 'base64')";
/** The scalar features, in the order they are packed. */
const SCALARS = ['tempo', 'energy', ...MOOD_HEAD_COLUMNS] as const;
// A vector's features in one field (node-pg's cost is per field as much as per byte): the embedding, then the tags
// and the scalars as array_send writes a real[] — dimensions, flags and element type, (size, lower bound) per
// dimension, then each element as its length (−1: NULL, no bytes follow) and big-endian bytes.
const VECTOR = `t.id::text, t.artist, t.title,
  encode(f.embedding || array_send(f.tags) || array_send(ARRAY[${SCALARS.map((c) => `f.${c}`).join(', ')}]), 'base64')`;
/** Tracks per batch handed to forEachEmbeddingBatch's callback (and per array their embeddings are views of). */
const BATCH = 10_000;

const EMBEDDING_BYTES = EMBEDDING_DIM * 4;
/** On a little-endian machine an embedding's bytes are its floats: one copy. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Turns a row (`columns` first, in order) into T, its floats stored at slot `i` of a block of `size`. */
interface Reader<T> {
  columns: string;
  block(size: number): (row: any[], i: number) => T;
}

/** Where a block's embeddings go: row i's 200 float32 (little-endian bytes) copied from `bytes` at `from`. */
function embeddingBlock(size: number) {
  const all = new Float32Array(size * EMBEDDING_DIM);
  const allBytes = new Uint8Array(all.buffer);
  return (i: number, bytes: Buffer, from: number): Float32Array => {
    const at = i * EMBEDDING_DIM;
    if (LITTLE_ENDIAN) bytes.copy(allBytes, at * 4, from, from + EMBEDDING_BYTES);
    else for (let j = 0; j < EMBEDDING_DIM; j++) all[at + j] = bytes.readFloatLE(from + 4 * j);
    return all.subarray(at, at + EMBEDDING_DIM);
  };
}

const EMBEDDINGS: Reader<StoredEmbedding> = {
  columns: IDENTITY,
  block(size) {
    const embeddingAt = embeddingBlock(size);
    const scratch = Buffer.alloc(EMBEDDING_BYTES + 4);
    return (r, i) => {
      // Node's base64 decoder skips the line breaks PostgreSQL puts every 76 characters.
      const n = scratch.write(r[9], 'base64');
      if (n !== EMBEDDING_BYTES) throw new Error(`track ${r[0]}: embedding of ${n} bytes, not ${EMBEDDING_BYTES}`);
      return {
        id: r[0],
        itemId: r[1],
        artist: r[2],
        title: r[3],
        album: r[4],
        artistId: r[5],
        albumId: r[6],
        libraryId: r[7],
        durationSec: r[8],
        embedding: embeddingAt(i, scratch, 0),
      };
    };
  },
};

/** A one-dimensional real[] as array_send wrote it at `at`, into `out` from `o` (NULL elements as null); returns
 *  the offset after it, or −1 if it is not `count` reals. */
function readReals(v: DataView, at: number, count: number, out: { [i: number]: number | null }, o: number): number {
  if (v.getInt32(at) !== 1 || v.getInt32(at + 12) !== count) return -1;
  let p = at + 20;
  for (let j = 0; j < count; j++) {
    const len = v.getInt32(p);
    if (len === -1) out[o + j] = null;
    else if (len === 4) out[o + j] = v.getFloat32(p + 4);
    else return -1;
    p += len === -1 ? 4 : 8;
  }
  return p;
}

const VECTORS: Reader<StoredVector> = {
  columns: VECTOR,
  block(size) {
    const embeddingAt = embeddingBlock(size);
    const tags = new Float32Array(size * TAGS.length);
    const scratch = Buffer.alloc(EMBEDDING_BYTES + 2 * 20 + 8 * (TAGS.length + SCALARS.length) + 4);
    const view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
    const scalars: (number | null)[] = [];
    return (r, i) => {
      const n = scratch.write(r[3], 'base64');
      const end = readReals(view, EMBEDDING_BYTES, TAGS.length, tags, i * TAGS.length);
      if (end < 0 || readReals(view, end, SCALARS.length, scalars, 0) !== n)
        throw new Error(`track ${r[0]}: features not of ${EMBEDDING_DIM} + ${TAGS.length} + ${SCALARS.length} reals`);
      const [tempo, energy, danceable, aggressive, happy, party, relaxed, sad] = scalars;
      return {
        id: r[0],
        artist: r[1],
        title: r[2],
        embedding: embeddingAt(i, scratch, 0),
        tempo,
        energy,
        tags: tags.subarray(i * TAGS.length, (i + 1) * TAGS.length),
        // NOT NULL columns.
        moodHeads: { danceable, aggressive, happy, party, relaxed, sad } as StoredVector['moodHeads'],
      };
    };
  },
};

/** The scope's analysed tracks (tracks.id as strings), ascending: the clustering snapshot's row order. */
export async function analysedTrackIds(pool: Pool, scope: Omit<VectorScope, 'trackIds'>): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT t.id::text AS id FROM tracks t JOIN track_features f ON f.track_id = t.id
      WHERE t.source = $1 AND t.analysis_status = 'analyzed' AND f.analysis_version = $2 ORDER BY t.id`,
    [scope.source, scope.analysisVersion],
  );
  return rows.map((r) => r.id);
}

/** The least and greatest of these ids: bounds that let PostgreSQL read only their range of tracks. */
function idRange(ids: readonly string[]): [string | null, string | null] {
  if (ids.length === 0) return [null, null];
  let [lo, hi] = [ids[0], ids[0]];
  for (const id of ids) {
    if (Number(id) < Number(lo)) lo = id;
    if (Number(id) > Number(hi)) hi = id;
  }
  return [lo, hi];
}

/** These tracks, in the given order (ids out of the scope left out). */
async function readGiven<T>(pool: Pool, scope: VectorScope & { trackIds: readonly string[] }, reader: Reader<T>) {
  const ids = scope.trackIds;
  const read = reader.block(ids.length);
  const placed = new Array<T>(ids.length);
  // Each row goes to its place as it comes: PostgreSQL sorting 300,000 rows of a kilobyte spilled to disk.
  await streamRows(
    pool,
    `SELECT ${reader.columns}, s.ord::int
       FROM unnest($3::bigint[]) WITH ORDINALITY AS s (track_id, ord)
       JOIN tracks t ON t.id = s.track_id
       JOIN track_features f ON f.track_id = t.id
      WHERE t.source = $1 AND f.analysis_version = $2 AND t.id BETWEEN $4 AND $5 AND f.track_id BETWEEN $4 AND $5`,
    [scope.source, scope.analysisVersion, ids, ...idRange(ids)],
    (r) => {
      const slot = (r[r.length - 1] as number) - 1;
      placed[slot] = read(r, slot);
    },
  );
  return placed.filter((t) => t !== undefined);
}

/** The scope's analysed tracks by id, in batches of BATCH (`done` read so far). */
async function readScope<T>(
  pool: Pool,
  scope: Omit<VectorScope, 'trackIds'>,
  reader: Reader<T>,
  each: (batch: T[], done: number) => void,
): Promise<void> {
  let batch: T[] = [];
  let read = reader.block(BATCH);
  let done = 0;
  await streamRows(
    pool,
    `SELECT ${reader.columns}
       FROM tracks t JOIN track_features f ON f.track_id = t.id
      WHERE t.source = $1 AND f.analysis_version = $2 AND t.analysis_status = 'analyzed'
      ORDER BY t.id`,
    [scope.source, scope.analysisVersion],
    (r) => {
      batch.push(read(r, batch.length));
      if (batch.length < BATCH) return;
      each(batch, (done += batch.length));
      [batch, read] = [[], reader.block(BATCH)];
    },
  );
  if (batch.length) each(batch, done + batch.length);
}

async function load<T>(pool: Pool, scope: VectorScope, reader: Reader<T>): Promise<T[]> {
  if (scope.trackIds) return readGiven(pool, { ...scope, trackIds: scope.trackIds }, reader);
  const out: T[] = [];
  await readScope(pool, scope, reader, (batch) => {
    for (const t of batch) out.push(t);
  });
  return out;
}

/** Identity and embedding only: the map and the similarity queries never read the 50 tags. */
export const loadEmbeddings = (pool: Pool, scope: VectorScope): Promise<StoredEmbedding[]> =>
  load(pool, scope, EMBEDDINGS);

/** The scope's analysed embeddings a batch at a time, handed over as they are read (`done` so far). */
export const forEachEmbeddingBatch = (
  pool: Pool,
  scope: Omit<VectorScope, 'trackIds'>,
  each: (tracks: StoredEmbedding[], done: number) => void,
): Promise<void> => readScope(pool, scope, EMBEDDINGS, each);

/** What clustering reads of each track. */
export const loadVectors = (pool: Pool, scope: VectorScope): Promise<StoredVector[]> => load(pool, scope, VECTORS);

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
